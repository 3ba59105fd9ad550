// What the tree attention variants (tree_mask, tree_distance) share: their skeleton
// (TreeAttention: the checks on AttentionContext::tree and the relation mask), the relation mask
// and the distance buckets (exposed so that tests and pictures can check them against the
// definitions), and small random tree batches for `heed gradcheck` and the generic variant tests.
//
// A tree variant is self-attention over a batch's nodes: query i and key j are nodes i and j of
// the same tree, so Tq = Tk = N = TreeBatch::max_nodes().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/tree_batch.h"
#include "framework/random.h"
#include "models/attention/skeleton.h"

namespace heed {

// A set of TreeRelation codes as bits (1 << code). The names a user writes, comma-separated:
//   self, parent, children, siblings,
//   ancestors   = every proper ancestor (the parent included),
//   descendants = every proper descendant (the children included),
//   all         = every node of the tree.
// Throws heed::Error naming `who` on an unknown or empty name, listing the valid ones.
uint32_t parse_tree_relations(const std::string& spec, const char* who);
constexpr uint32_t relation_bit(TreeRelation r) {
  return 1u << static_cast<uint32_t>(r);
}
// "all": every pair of real nodes (kRelNone is cousins and beyond).
constexpr uint32_t kAllTreeRelations = relation_bit(kRelSelf) | relation_bit(kRelParent) |
                                       relation_bit(kRelChild) | relation_bit(kRelAncestor) |
                                       relation_bit(kRelDescendant) | relation_bit(kRelSibling) |
                                       relation_bit(kRelNone);

// (B, 1, N, N) additive mask: 0 where relation()[b, i, j] is in `allowed`, -inf elsewhere,
// including every pair that involves padding (kRelNone is never allowed). No autograd.
Tensor tree_relation_mask(const TreeBatch& tree, uint32_t allowed);

// The tree_distance bucket of a pair `up` edges from the query to the lowest common ancestor and
// `down` edges from there to the key, with distances clipped to max_distance:
//   undirected:  min(up + down, K)                         in [0, K]
//   directional: min(up, K) · (K + 1) + min(down, K)       in [0, (K + 1)² − 1]
int64_t tree_distance_bucket(int64_t up, int64_t down, int64_t max_distance, bool directional);
int64_t tree_distance_buckets(int64_t max_distance, bool directional);  // the table's rows

// The tree variants' skeleton: self-attention among the nodes of ctx.tree with mha's
// projections, node i seeing node j when their relation is in `allowed`; padded nodes are
// hidden as keys and see nothing as queries, and ctx's causal flag and key padding apply on top.
// Missing trees, trees that do not match the inputs, cross-attention and KV caches are errors
// naming the variant.
class TreeAttention : public PackedAttention {
 public:
  AttentionCapabilities capabilities() const override {
    return {.cross = false, .kv_cache = false, .needs_tree = true};
  }

 protected:
  TreeAttention(const AttentionConfig& c, const char* name, uint32_t allowed)
      : PackedAttention(c, name), allowed_(allowed) {}

  void check_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                    const AttentionContext& ctx) const override;
  // (B, 1, N, N): the relation mask plus ctx's.
  Tensor noncausal_mask(const Tensor& qh, const Tensor& kh,
                        const AttentionContext& ctx) const override;

  uint32_t allowed_;  // relation_bit()s
};

}  // namespace heed
