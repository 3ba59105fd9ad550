// A batch of trees padded to its largest, as tensors for tree models. The per-node tensors are
// built at once; the pairwise ones (B, N, N) are derived on demand because they grow
// quadratically (B = 32 trees of N = 1000 nodes is 128 MB per int32 tensor): ask only for those a
// model uses. Pairwise tensors are int32 for that reason; index_select accepts int32 and int64.
#pragma once

#include <vector>

#include "datasets/batch.h"  // kFirstDataToken
#include "datasets/tree.h"
#include "framework/random.h"
#include "framework/tensor.h"

namespace heed {

// What key node j is to query node i (relation()[b, i, j]); exactly one code per pair.
enum TreeRelation : int32_t {
  kRelNone = 0,        // unrelated (cousins and beyond), or padding
  kRelSelf = 1,        // j == i
  kRelParent = 2,      // j is i's parent
  kRelChild = 3,       // j is one of i's children
  kRelAncestor = 4,    // j is a proper ancestor of i other than its parent
  kRelDescendant = 5,  // j is a proper descendant of i other than its children
  kRelSibling = 6,     // j != i shares i's parent
};

struct TreeBatch {
  std::vector<Tree> trees;
  Tensor tokens;       // (B, N) int64, kPad after each tree's nodes
  Tensor parent;       // (B, N) int64, -1 at the root and at padding
  Tensor child_index;  // (B, N) int64, 0 at padding
  Tensor depth;        // (B, N) int64, 0 at padding
  Tensor node_pad;     // (B, N) int32, 1 at padding (as Seq2SeqBatch::src_pad)

  int64_t batch_size() const { return static_cast<int64_t>(trees.size()); }
  int64_t max_nodes() const { return tokens.size(1); }  // N

  // (B, N, N) int32: 1 where j is a proper ancestor of i (transpose the last two dims for
  // descendants); 0 wherever i or j is padding.
  Tensor ancestor() const;
  // (B, N, N) int32 TreeRelation codes; kRelNone wherever i or j is padding.
  Tensor relation() const;
  // (B, N, N) int32 path lengths through the lowest common ancestor: distance = up + down, where
  // up counts the edges from i up to the LCA and down those from the LCA down to j (so
  // up(i, j) = down(j, i)). -1 wherever i or j is padding.
  Tensor distance() const;
  Tensor steps_up() const;
  Tensor steps_down() const;
  // (B, N, max_depth) int64: node i's branch indices, nearest first: [k] is the child index of
  // i's ancestor k levels up (k = 0: i itself), clipped to max_branch - 1; -1 past the root and
  // at padding. Nearest first is the stack of Shiv & Quirk's tree positional encoding (2019): a
  // node deeper than max_depth keeps its last max_depth branches and loses those near the root.
  // Tree::root_path gives the same branches root first, unclipped.
  Tensor paths(int64_t max_depth, int64_t max_branch) const;
};

// Throws heed::Error on an empty batch. Trees may have different sizes (N = the largest, at
// least min_nodes and 1); an empty tree is a row of padding.
TreeBatch make_tree_batch(std::vector<Tree> trees, int64_t min_nodes = 1);

// Random trees, for gradient checks (heed gradcheck) and tests.
//
// A uniformly random ordered tree of `nodes` nodes (each new node's parent drawn from the path
// from the last node up to the root, which keeps pre-order), tokens in [first_token,
// first_token + token_range).
Tree random_tree(Rng& rng, int64_t nodes, int64_t first_token = kFirstDataToken,
                 int64_t token_range = 8);
// One random tree per entry of `sizes` (N = the largest), from `seed`.
TreeBatch random_tree_batch(const std::vector<int64_t>& sizes, uint64_t seed);

}  // namespace heed
