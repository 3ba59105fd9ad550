#include "models/attention/tree_attention.h"

#include <algorithm>

#include "framework/autograd.h"
#include "framework/ops.h"
#include "framework/text.h"

namespace heed {

void TreeAttention::check_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                                 const AttentionContext& ctx) const {
  check_attention_inputs(query, key, value, d_model_, name_);
  const std::string who = name_;
  if (key.size(1) != query.size(1) || ctx.cache != nullptr)
    throw Error(who +
                ": attends among one tree's nodes: keys must be the queries' nodes and there is "
                "no KV cache");
  if (ctx.tree == nullptr)
    throw Error(who +
                ": needs a tree (AttentionContext::tree must point to the batch's TreeBatch); "
                "use it in a tree model such as tree_encoder");
  const int64_t batch = query.size(0), nodes = query.size(1);
  if (ctx.tree->batch_size() != batch || ctx.tree->max_nodes() != nodes)
    throw Error(who + ": the tree batch has " + std::to_string(ctx.tree->batch_size()) +
                " trees of up to " + std::to_string(ctx.tree->max_nodes()) +
                " nodes, but the inputs are (batch " + std::to_string(batch) + ", length " +
                std::to_string(nodes) + ")");
}

Tensor TreeAttention::noncausal_mask(const Tensor& qh, const Tensor&,
                                     const AttentionContext& ctx) const {
  const int64_t B = qh.size(0), N = qh.size(2);
  Tensor mask = tree_relation_mask(*ctx.tree, allowed_);
  if (Tensor extra = attention_mask(ctx, B, N, N); extra.defined()) {
    NoGradGuard no_grad;
    mask = add(mask, extra);
  }
  return mask;
}

uint32_t parse_tree_relations(const std::string& spec, const char* who) {
  static const std::vector<std::pair<std::string, uint32_t>> kNames = {
      {"self", relation_bit(kRelSelf)},
      {"parent", relation_bit(kRelParent)},
      {"children", relation_bit(kRelChild)},
      {"siblings", relation_bit(kRelSibling)},
      {"ancestors", relation_bit(kRelParent) | relation_bit(kRelAncestor)},
      {"descendants", relation_bit(kRelChild) | relation_bit(kRelDescendant)},
      {"all", kAllTreeRelations},
  };
  auto valid = [] {
    std::vector<std::string> names;
    for (const auto& [n, bits] : kNames) names.push_back(n);
    return join(names);
  };
  uint32_t bits = 0;
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    std::string name = spec.substr(start, end - start);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    auto it = std::find_if(kNames.begin(), kNames.end(),
                           [&](const auto& entry) { return entry.first == name; });
    if (it == kNames.end())
      throw Error(
          std::string(who) + ": option 'relations' = '" + spec + "': " +
          (name.empty() ? std::string("empty relation name") : "unknown relation '" + name + "'") +
          " (valid, comma-separated: " + valid() + ")");
    bits |= it->second;
    start = end + 1;
  }
  return bits;
}

Tensor tree_relation_mask(const TreeBatch& tree, uint32_t allowed) {
  Tensor rel = tree.relation();  // (B, N, N) int32
  const int64_t B = tree.batch_size(), N = tree.max_nodes();
  Tensor mask = Tensor::empty({B, 1, N, N});
  const int32_t* r = rel.data<int32_t>();
  const int32_t* pad = tree.node_pad.data<int32_t>();
  float* m = mask.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < N; ++j) {
        const int64_t at = (b * N + i) * N + j;
        // "all" includes kRelNone (cousins), which relation() also reports for padding: the
        // padding check keeps padded nodes hidden whatever the set.
        const bool real = pad[b * N + i] == 0 && pad[b * N + j] == 0;
        m[at] = real && (allowed & (1u << static_cast<uint32_t>(r[at]))) ? 0.0f : kMaskedScore;
      }
  return mask;
}

int64_t tree_distance_bucket(int64_t up, int64_t down, int64_t max_distance, bool directional) {
  if (!directional) return std::min(up + down, max_distance);
  return std::min(up, max_distance) * (max_distance + 1) + std::min(down, max_distance);
}

int64_t tree_distance_buckets(int64_t max_distance, bool directional) {
  return directional ? (max_distance + 1) * (max_distance + 1) : max_distance + 1;
}

}  // namespace heed
