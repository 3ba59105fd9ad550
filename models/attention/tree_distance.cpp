// tree_distance: scaled dot-product multi-head attention plus a learned per-head bias indexed by
// where key node j lies from query node i in the tree: the bias is a table
// tree_distance_bias (buckets, H), looked up per pair (as relative's T5 bias, with tree path
// lengths in place of sequence offsets) and added to the scores. Options:
//   max_distance (default 8): path lengths beyond it share the last bucket;
//   directional (default false): false indexes by the path length up + down (max_distance + 1
//     buckets); true by the pair (steps up from i to the lowest common ancestor, steps down from
//     there to j), each clipped to max_distance ((max_distance + 1)² buckets), so parent
//     (1, 0), child (0, 1) and sibling (1, 1) get their own biases. See tree_distance_bucket().
// Queries and keys are the nodes of ctx.tree: Tq = Tk = N. Padded nodes are hidden as keys and
// see nothing as queries (TreeAttention's mask with every relation allowed); ctx.key_padding and
// ctx.causal apply on top. Projections are mha's.
#include <cmath>

#include "framework/nn/init.h"
#include "models/attention/tree_attention.h"

namespace heed {
namespace {

class TreeDistanceAttention final : public TreeAttention {
 public:
  explicit TreeDistanceAttention(const AttentionConfig& c)
      : TreeAttention(c, "tree_distance", kAllTreeRelations),
        max_distance_(c.extra.get_int("max_distance", 8, 1, 1 << 12)),
        directional_(c.extra.get_bool("directional", false)) {
    table_ = register_module(
        "tree_distance_bias",
        std::make_shared<Embedding>(tree_distance_buckets(max_distance_, directional_), c.heads));
    normal_(table_->weight(), 0.0f, 1.0f / std::sqrt(static_cast<float>(d_model_)));  // as T5's
  }

 private:
  // (B, H, N, N), learned: the table looked up at bucket ids (B, N, N). Pairs involving padding
  // take bucket 0; TreeAttention's mask hides them, so their bias never reaches a weight or a
  // gradient.
  Tensor score_bias(const Tensor&, const Tensor&, const AttentionContext& ctx) const override {
    const TreeBatch& tree = *ctx.tree;
    const int64_t B = tree.batch_size(), N = tree.max_nodes();
    Tensor up = tree.steps_up(), down = tree.steps_down();  // (B, N, N) int32, -1 at padding
    Tensor ids = Tensor::empty({B, N, N}, DType::I64);
    const int32_t* u = up.data<int32_t>();
    const int32_t* d = down.data<int32_t>();
    int64_t* id = ids.data<int64_t>();
    for (int64_t at = 0; at < B * N * N; ++at)
      id[at] = u[at] >= 0 ? tree_distance_bucket(u[at], d[at], max_distance_, directional_) : 0;
    return table_->forward(ids).permute({0, 3, 1, 2});
  }

  int64_t max_distance_;
  bool directional_;
  std::shared_ptr<Embedding> table_;
};

}  // namespace

HEED_REGISTER_ATTENTION(tree_distance,
                        "a learned per-head bias by clipped tree path distance (options "
                        "max_distance, directional: by steps up and down)",
                        TreeDistanceAttention);

}  // namespace heed
