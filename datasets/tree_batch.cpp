#include "datasets/tree_batch.h"

#include <algorithm>
#include <string>

namespace heed {
namespace {

// Calls f(i, j, lca) for every pair of nodes of `tree`, in O(N²) overall: with nodes in
// pre-order, the LCA of (i, j) is j when j is an ancestor-or-self of i (i lies in j's subtree,
// nodes [j, j + size_j)), else the LCA of (i, parent(j)), computed earlier since parent(j) < j.
template <typename F>
void for_each_pair(const Tree& tree, const std::vector<int64_t>& sizes, F f) {
  const int64_t n = tree.size();
  std::vector<int64_t> lca(n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      lca[j] = (j <= i && i < j + sizes[j]) ? j : lca[tree.parent[j]];
      f(i, j, lca[j]);
    }
  }
}

// A (B, N, N) int32 tensor with `fill` everywhere, and f(tree, i, j, lca) -> value on each tree's
// nodes.
template <typename F>
Tensor pairwise(const TreeBatch& batch, int32_t fill, F f) {
  const int64_t B = batch.batch_size(), N = batch.max_nodes();
  Tensor out = Tensor::empty({B, N, N}, DType::I32);
  int32_t* p = out.data<int32_t>();
  std::fill(p, p + B * N * N, fill);
  for (int64_t b = 0; b < B; ++b) {
    const Tree& tree = batch.trees[b];
    int32_t* row = p + b * N * N;
    for_each_pair(tree, tree.subtree_sizes(),
                  [&](int64_t i, int64_t j, int64_t lca) { row[i * N + j] = f(tree, i, j, lca); });
  }
  return out;
}

}  // namespace

TreeBatch make_tree_batch(std::vector<Tree> trees, int64_t min_nodes) {
  if (trees.empty()) throw Error("make_tree_batch: no trees");
  const int64_t B = static_cast<int64_t>(trees.size());
  int64_t N = std::max<int64_t>(1, min_nodes);
  for (const Tree& t : trees) N = std::max(N, t.size());
  std::vector<int64_t> tokens(B * N, kPad), parent(B * N, -1), child(B * N, 0), depth(B * N, 0);
  std::vector<int64_t> pad(B * N, 1);
  for (int64_t b = 0; b < B; ++b) {
    const Tree& t = trees[b];
    for (int64_t i = 0; i < t.size(); ++i) {
      tokens[b * N + i] = t.tokens[i];
      parent[b * N + i] = t.parent[i];
      child[b * N + i] = t.child_index[i];
      depth[b * N + i] = t.depth[i];
      pad[b * N + i] = 0;
    }
  }
  TreeBatch batch;
  batch.tokens = Tensor::from_ints(tokens, {B, N});
  batch.parent = Tensor::from_ints(parent, {B, N});
  batch.child_index = Tensor::from_ints(child, {B, N});
  batch.depth = Tensor::from_ints(depth, {B, N});
  batch.node_pad = Tensor::from_ints(pad, {B, N}, DType::I32);
  batch.trees = std::move(trees);
  return batch;
}

Tensor TreeBatch::ancestor() const {
  return pairwise(*this, 0, [](const Tree&, int64_t i, int64_t j, int64_t lca) {
    return static_cast<int32_t>(lca == j && j != i);
  });
}

Tensor TreeBatch::relation() const {
  return pairwise(*this, kRelNone, [](const Tree& t, int64_t i, int64_t j, int64_t lca) {
    if (i == j) return kRelSelf;
    if (lca == j) return t.parent[i] == j ? kRelParent : kRelAncestor;
    if (lca == i) return t.parent[j] == i ? kRelChild : kRelDescendant;
    return t.parent[i] == t.parent[j] ? kRelSibling : kRelNone;
  });
}

Tensor TreeBatch::distance() const {
  return pairwise(*this, -1, [](const Tree& t, int64_t i, int64_t j, int64_t lca) {
    return static_cast<int32_t>(t.depth[i] + t.depth[j] - 2 * t.depth[lca]);
  });
}

Tensor TreeBatch::steps_up() const {
  return pairwise(*this, -1, [](const Tree& t, int64_t i, int64_t, int64_t lca) {
    return static_cast<int32_t>(t.depth[i] - t.depth[lca]);
  });
}

Tensor TreeBatch::steps_down() const {
  return pairwise(*this, -1, [](const Tree& t, int64_t, int64_t j, int64_t lca) {
    return static_cast<int32_t>(t.depth[j] - t.depth[lca]);
  });
}

Tensor TreeBatch::paths(int64_t max_depth, int64_t max_branch) const {
  if (max_depth < 1 || max_branch < 1)
    throw Error("TreeBatch::paths: max_depth and max_branch must be >= 1 (got " +
                std::to_string(max_depth) + ", " + std::to_string(max_branch) + ")");
  const int64_t B = batch_size(), N = max_nodes();
  std::vector<int64_t> out(B * N * max_depth, -1);
  for (int64_t b = 0; b < B; ++b) {
    const Tree& t = trees[b];
    for (int64_t i = 0; i < t.size(); ++i) {
      int64_t* p = out.data() + (b * N + i) * max_depth;
      int64_t a = i;
      for (int64_t k = 0; k < max_depth && t.parent[a] != -1; ++k, a = t.parent[a])
        p[k] = std::min(t.child_index[a], max_branch - 1);
    }
  }
  return Tensor::from_ints(out, {B, N, max_depth});
}

Tree random_tree(Rng& rng, int64_t nodes, int64_t first_token, int64_t token_range) {
  Tree t;
  if (nodes <= 0) return t;
  t.add_node(first_token + rng.randint(0, token_range), -1);
  for (int64_t i = 1; i < nodes; ++i) {
    std::vector<int64_t> open;  // the last node and its ancestors: the parents pre-order allows
    for (int64_t a = i - 1; a != -1; a = t.parent[a]) open.push_back(a);
    const int64_t parent = open[rng.randint(0, static_cast<int64_t>(open.size()))];
    t.add_node(first_token + rng.randint(0, token_range), parent);
  }
  return t;
}

TreeBatch random_tree_batch(const std::vector<int64_t>& sizes, uint64_t seed) {
  Rng rng(seed);
  std::vector<Tree> trees;
  for (int64_t n : sizes) trees.push_back(random_tree(rng, n));
  return make_tree_batch(std::move(trees));
}

}  // namespace heed
