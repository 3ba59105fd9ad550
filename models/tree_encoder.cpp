#include "models/tree_encoder.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "framework/nn/init.h"
#include "framework/ops.h"
#include "models/embedding.h"

namespace heed {
namespace {

void check_one_of(const std::string& what, const std::string& value,
                  const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  std::string list;
  for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw Error("tree_encoder: " + what + " '" + value + "' is not one of: " + list);
}

// The nodes of each depth, and where each node's state sits among its level's.
struct Levels {
  std::vector<std::vector<int64_t>> nodes;  // [depth] flat ids b·N + i, by b then i
  std::vector<int64_t> row;                 // (B·N) row within its level, -1 for padding
};

Levels levels_of(const TreeBatch& batch) {
  const int64_t B = batch.batch_size(), N = batch.max_nodes();
  Levels l;
  l.row.assign(B * N, -1);
  for (int64_t b = 0; b < B; ++b) {
    const Tree& t = batch.trees[b];
    for (int64_t i = 0; i < t.size(); ++i) {
      const auto d = static_cast<std::size_t>(t.depth[i]);
      if (l.nodes.size() <= d) l.nodes.resize(d + 1);
      l.row[b * N + i] = static_cast<int64_t>(l.nodes[d].size());
      l.nodes[d].push_back(b * N + i);
    }
  }
  return l;
}

// Bottom-up over the levels lv = levels_of(batch), deepest first: one call of compose(depth d,
// x_d (M, C), children (M, K, C) or undefined for a level of leaves, child_pad (M, K)) per
// depth, the children's states gathered from the level below. The levels are scattered back to
// (B, N, C), padding rows 0.
using ComposeLevel = std::function<Tensor(int64_t, const Tensor&, const Tensor&, const Tensor&)>;
Tensor bottom_up(const Tensor& x, const TreeBatch& batch, const Levels& lv,
                 const ComposeLevel& compose) {
  const int64_t B = batch.batch_size(), N = batch.max_nodes(), C = x.size(2);
  const Tensor flat = reshape(x, {B * N, C});
  std::vector<Tensor> states(lv.nodes.size());
  for (int64_t d = static_cast<int64_t>(lv.nodes.size()) - 1; d >= 0; --d) {
    const std::vector<int64_t>& nodes = lv.nodes[d];
    const int64_t M = static_cast<int64_t>(nodes.size());
    Tensor xd = index_select(flat, 0, Tensor::from_ints(nodes, {M}));  // (M, C)
    int64_t K = 0;
    for (int64_t id : nodes) K = std::max(K, batch.trees[id / N].num_children[id % N]);
    Tensor children, pad;
    if (K > 0) {  // (M, K, C) gathered from the level below; absent children padded
      std::vector<int64_t> idx(M * K, 0), p(M * K, 1);
      for (int64_t m = 0; m < M; ++m) {
        const int64_t b = nodes[m] / N;
        std::vector<int64_t> kids = batch.trees[b].children(nodes[m] % N);
        for (std::size_t k = 0; k < kids.size(); ++k) {
          idx[m * K + static_cast<int64_t>(k)] = lv.row[b * N + kids[k]];
          p[m * K + static_cast<int64_t>(k)] = 0;
        }
      }
      children =
          reshape(index_select(states[d + 1], 0, Tensor::from_ints(idx, {M * K})), {M, K, C});
      pad = Tensor::from_ints(p, {M, K}, DType::I32);
    }
    states[d] = compose(d, xd, children, pad);
  }
  // Scatter the levels back to (B, N, C): one gather from [levels..., a zero row for padding].
  std::vector<Tensor> parts;
  std::vector<int64_t> offset(lv.nodes.size() + 1, 0);
  for (std::size_t d = 0; d < lv.nodes.size(); ++d) {
    parts.push_back(states[d]);
    offset[d + 1] = offset[d] + static_cast<int64_t>(lv.nodes[d].size());
  }
  const int64_t zero_row = offset.back();
  parts.push_back(Tensor::zeros({1, C}));
  std::vector<int64_t> where(B * N, zero_row);
  for (std::size_t d = 0; d < lv.nodes.size(); ++d)
    for (int64_t id : lv.nodes[d]) where[id] = offset[d] + lv.row[id];
  return reshape(index_select(concat(parts, 0), 0, Tensor::from_ints(where, {B * N})), {B, N, C});
}

}  // namespace

// ---- child_attention ----

ChildAttentionLayer::ChildAttentionLayer(const LayerConfig& c)
    : heads_(c.heads), dropout_(c.dropout) {
  attn_ = register_module("attn", make_attention("mha", {c.d_model, c.heads, c.dropout, {}}));
  ffn_ = FeedForward(*this, c);
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(c.d_model));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(c.d_model));
}

Tensor ChildAttentionLayer::compose(const Tensor& x, const Tensor& children,
                                    const Tensor& child_pad, Tensor* weights) const {
  const bool training = is_training();
  const int64_t M = x.size(0), C = x.size(1);
  Tensor u = x;
  if (children.defined()) {
    const int64_t K = children.size(1);
    AttentionContext ctx;
    ctx.key_padding = child_pad;
    ctx.need_weights = weights != nullptr;
    AttentionOutput a = attn_->forward(reshape(x, {M, 1, C}), children, children, ctx);
    if (weights) *weights = a.weights;
    // A leaf among nodes with children attends to nothing: the core gives 0, out_proj its bias;
    // zeroing the row makes a leaf's attention exactly 0, as for a level of leaves only.
    std::vector<float> has_child(M, 0.0f);
    std::vector<int64_t> pad = child_pad.to_ints();
    for (int64_t m = 0; m < M; ++m) has_child[m] = K > 0 && pad[m * K] == 0 ? 1.0f : 0.0f;
    Tensor out = mul(reshape(a.out, {M, C}), Tensor::from_vector(has_child, {M, 1}));
    u = add(x, dropout(out, dropout_, training));
  } else if (weights) {
    *weights = Tensor();
  }
  u = norm1_->forward(u);
  return norm2_->forward(add(u, ffn_.forward(u, training)));
}

Tensor ChildAttentionLayer::forward(const Tensor& x, const TreeBatch& batch,
                                    Tensor* weights) const {
  const int64_t B = batch.batch_size(), N = batch.max_nodes();
  const Levels lv = levels_of(batch);
  std::vector<Tensor> level_weights(lv.nodes.size());  // [depth] (M_d, H, 1, K_d)
  Tensor out = bottom_up(
      x, batch, lv, [&](int64_t d, const Tensor& xd, const Tensor& children, const Tensor& pad) {
        return compose(xd, children, pad, weights ? &level_weights[d] : nullptr);
      });
  if (weights) {  // (B, H, N, N): node i's weight on child j at [b, h, i, j]
    const int64_t heads = heads_;
    Tensor all = Tensor::zeros({B, heads, N, N});
    float* a = all.data<float>();
    for (std::size_t d = 0; d < lv.nodes.size(); ++d) {
      if (!level_weights[d].defined()) continue;
      const int64_t K = level_weights[d].size(3);
      std::vector<float> w = level_weights[d].to_vector();  // (M, H, 1, K)
      for (std::size_t m = 0; m < lv.nodes[d].size(); ++m) {
        const int64_t b = lv.nodes[d][m] / N, i = lv.nodes[d][m] % N;
        std::vector<int64_t> kids = batch.trees[b].children(i);
        for (int64_t h = 0; h < heads; ++h)
          for (std::size_t k = 0; k < kids.size(); ++k)
            a[((b * heads + h) * N + i) * N + kids[k]] =
                w[(static_cast<int64_t>(m) * heads + h) * K + static_cast<int64_t>(k)];
      }
    }
    *weights = all;
  }
  return out;
}

// ---- child_fold (experimental) ----

ChildFoldLayer::ChildFoldLayer(const LayerConfig& c) : dropout_(c.dropout) {
  gru_ = register_module("gru", std::make_shared<GRUCell>(c.d_model, c.d_model));
  ffn_ = FeedForward(*this, c);
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(c.d_model));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(c.d_model));
}

Tensor ChildFoldLayer::compose(const Tensor& x, const Tensor& children,
                               const Tensor& child_pad) const {
  const bool training = is_training();
  const int64_t M = x.size(0);
  Tensor h = x;
  if (children.defined()) {
    const int64_t K = children.size(1);
    Tensor gi = gru_->input_gates(children);  // (M, K, 3C): every child's input side at once
    std::vector<int64_t> pad = child_pad.to_ints();
    for (int64_t k = 0; k < K; ++k) {
      std::vector<float> has(M);
      bool any = false;
      for (int64_t m = 0; m < M; ++m) any |= (has[m] = pad[m * K + k] == 0 ? 1.0f : 0.0f) > 0;
      if (!any) continue;
      Tensor next = gru_->forward_gates(select(gi, 1, k), h);  // (M, C)
      h = where(Tensor::from_vector(has, {M, 1}), next, h);
    }
  }
  Tensor u = norm1_->forward(h);
  return norm2_->forward(add(u, ffn_.forward(u, training)));
}

Tensor ChildFoldLayer::forward(const Tensor& x, const TreeBatch& batch) const {
  return bottom_up(x, batch, levels_of(batch),
                   [this](int64_t, const Tensor& xd, const Tensor& children, const Tensor& pad) {
                     return compose(xd, children, pad);
                   });
}

// ---- encoder ----

TreeEncoder::TreeEncoder(const TreeEncoderConfig& c) : config_(c) {
  if (c.vocab < 1 || c.layers < 0 || c.d_model <= 0 || c.heads <= 0 || c.d_model % c.heads != 0)
    throw Error("tree_encoder: vocab must be positive, layers non-negative and d_model " +
                std::to_string(c.d_model) + " divisible by heads " + std::to_string(c.heads));
  check_one_of("composition", c.composition, {"none", "child_attention", "child_fold"});
  check_one_of("position", c.position, {"tree", "sinusoidal", "none"});
  if (c.composition == "child_attention" && c.attention != "mha")
    throw Error("tree_encoder: composition child_attention attends with mha; attention '" +
                c.attention + "' applies to composition none only");
  embed_ = register_module("embed", std::make_shared<Embedding>(c.vocab, c.d_model));
  // As TokenAndPosition: N(0, 1/C), scaled back up by √C in embed().
  normal_(embed_->weight(), 0.0f, 1.0f / std::sqrt(static_cast<float>(c.d_model)));
  if (c.position == "tree")
    pos_ = register_module("pos",
                           std::make_shared<TreePosition>(c.d_model, c.max_depth, c.max_branch));
  if (c.composition == "none") {
    transformer_ = register_module("transformer", std::make_shared<Encoder>(c.layer(), c.layers));
    xavier_init_matrices(*transformer_);  // as Classifier's
  } else if (c.composition == "child_fold") {
    fold_ = register_module("layers", std::make_shared<ModuleList<ChildFoldLayer>>());
    for (int64_t i = 0; i < c.layers; ++i)
      fold_->push_back(std::make_shared<ChildFoldLayer>(c.layer()));
    // Xavier for the feed-forward matrices; the GRU keeps torch's U(-1/sqrt(C), 1/sqrt(C)).
    for (const auto& [name, p] : fold_->named_parameters())
      if (p.dim() > 1 && name.find("gru.") == std::string::npos) xavier_uniform_(p);
  } else {
    child_ = register_module("layers", std::make_shared<ModuleList<ChildAttentionLayer>>());
    for (int64_t i = 0; i < c.layers; ++i)
      child_->push_back(std::make_shared<ChildAttentionLayer>(c.layer()));
    xavier_init_matrices(*child_);
  }
}

Tensor TreeEncoder::embed(const TreeBatch& batch) const {
  const int64_t N = batch.max_nodes(), C = config_.d_model;
  Tensor x = mul(embed_->forward(batch.tokens), std::sqrt(static_cast<float>(C)));
  if (pos_) x = add(x, pos_->forward(batch));
  if (config_.position == "sinusoidal") x = add(x, sinusoidal_positions(0, N, C));
  return x;
}

Tensor TreeEncoder::forward(const TreeBatch& batch, std::vector<Tensor>* weights) const {
  Tensor x = dropout(embed(batch), config_.dropout, is_training());
  if (transformer_) {
    AttentionContext ctx;
    ctx.key_padding = batch.node_pad;
    ctx.tree = &batch;
    return transformer_->forward(x, ctx, weights);
  }
  if (fold_) {
    for (std::size_t i = 0; i < fold_->size(); ++i) {
      x = (*fold_)[i].forward(x, batch);
      if (weights) weights->push_back(Tensor());
    }
    return x;
  }
  for (std::size_t i = 0; i < child_->size(); ++i) {
    Tensor w;
    x = (*child_)[i].forward(x, batch, weights ? &w : nullptr);
    if (weights) weights->push_back(w);
  }
  return x;
}

// ---- classifier ----

TreeClassifier::TreeClassifier(const TreeClassifierConfig& c) : config_(c) {
  if (c.num_classes < 1) throw Error("tree_encoder: num_classes must be positive");
  check_one_of("pooling", c.pooling, {"root", "mean"});
  encoder_ = register_module("encoder", std::make_shared<TreeEncoder>(c));
  head_ = register_module("head", std::make_shared<Linear>(c.d_model, c.num_classes));
}

Tensor TreeClassifier::forward(const TreeBatch& batch) const {
  Tensor h = encoder_->forward(batch);  // (B, N, C)
  if (config_.pooling == "root") return head_->forward(select(h, 1, 0));
  const int64_t B = h.size(0), N = h.size(1);
  std::vector<int64_t> pad = batch.node_pad.to_ints();
  std::vector<float> keep(B * N), inv(B);  // empty trees pool to 0
  for (int64_t b = 0; b < B; ++b) {
    int64_t n = 0;
    for (int64_t i = 0; i < N; ++i) n += (keep[b * N + i] = pad[b * N + i] == 0 ? 1.0f : 0.0f) > 0;
    inv[b] = n > 0 ? 1.0f / static_cast<float>(n) : 0.0f;
  }
  Tensor pooled =
      mul(sum(mul(h, Tensor::from_vector(keep, {B, N, 1})), {1}), Tensor::from_vector(inv, {B, 1}));
  return head_->forward(pooled);
}

std::vector<Tensor> TreeEncoder::attention(const TreeBatch& batch) const {
  NoGradGuard no_grad;
  std::vector<Tensor> weights;
  forward(batch, &weights);
  return weights;
}

std::vector<Tensor> TreeClassifier::attention(const TreeBatch& batch) const {
  return encoder_->attention(batch);
}

}  // namespace heed
