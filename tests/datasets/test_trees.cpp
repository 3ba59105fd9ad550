// Tree structure and tree batches: hand-made trees, and the derived pairwise tensors against a
// brute-force computation on random trees.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "datasets/tree.h"
#include "datasets/tree_batch.h"
#include "framework/random.h"

namespace heed {
namespace {

// r(a(b, c(d)), e) with tokens 10..15 in pre-order: r=10 a=11 b=12 c=13 d=14 e=15.
Tree hand_made() {
  return tree_from_parents({10, 11, 12, 13, 14, 15}, {-1, 0, 1, 1, 3, 0});
}

bool is_proper_ancestor(const Tree& t, int64_t a, int64_t i) {
  for (int64_t x = t.parent[i]; x != -1; x = t.parent[x])
    if (x == a) return true;
  return false;
}

// Edge counts by breadth-first search over the undirected tree.
std::vector<int64_t> bfs_distances(const Tree& t, int64_t from) {
  std::vector<std::vector<int64_t>> adj(t.tokens.size());
  for (int64_t i = 1; i < t.size(); ++i) {
    adj[i].push_back(t.parent[i]);
    adj[t.parent[i]].push_back(i);
  }
  std::vector<int64_t> dist(t.tokens.size(), -1);
  std::deque<int64_t> queue{from};
  dist[from] = 0;
  while (!queue.empty()) {
    int64_t x = queue.front();
    queue.pop_front();
    for (int64_t y : adj[x])
      if (dist[y] < 0) dist[y] = dist[x] + 1, queue.push_back(y);
  }
  return dist;
}

TEST(Tree, HandMadeStructure) {
  Tree t = hand_made();
  EXPECT_EQ(t.size(), 6);
  EXPECT_EQ(t.depth, (std::vector<int64_t>{0, 1, 2, 2, 3, 1}));
  EXPECT_EQ(t.child_index, (std::vector<int64_t>{0, 0, 0, 1, 0, 1}));
  EXPECT_EQ(t.num_children, (std::vector<int64_t>{2, 2, 0, 1, 0, 0}));
  EXPECT_EQ(t.children(0), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(t.children(1), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.children(4), (std::vector<int64_t>{}));
  EXPECT_EQ(t.root_path(0), (std::vector<int64_t>{}));
  EXPECT_EQ(t.root_path(4), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(t.root_path(5), (std::vector<int64_t>{1}));
  EXPECT_EQ(t.subtree_sizes(), (std::vector<int64_t>{6, 4, 1, 2, 1, 1}));
  EXPECT_EQ(t.height(), 3);
}

TEST(Tree, AddNodeRejectsBrokenPreorder) {
  Tree t = hand_made();
  // Node 1's subtree closed when e (5) became the root's child: it cannot take a child now.
  EXPECT_THROW(t.add_node(20, 1), Error);
  EXPECT_THROW(t.add_node(20, -1), Error);  // a second root
  EXPECT_THROW(t.add_node(20, 6), Error);   // not an earlier node
  EXPECT_EQ(t.size(), 6);                   // nothing was appended
  EXPECT_EQ(t.add_node(20, 0), 6);          // the root is still open
  EXPECT_THROW(tree_from_parents({1, 2}, {-1}), Error);
  EXPECT_THROW(tree_from_parents({1, 2, 3}, {-1, 0, 2}), Error);  // parent after the child
}

TEST(Tree, PostorderAndFlatten) {
  Tree t = hand_made();
  EXPECT_EQ(postorder_tokens(t), (std::vector<int64_t>{12, 14, 13, 11, 15, 10}));
  const int64_t o = kOpenBracket, c = kCloseBracket;
  EXPECT_EQ(flatten(t, Brackets::kNone), t.tokens);
  EXPECT_EQ(flatten(t, Brackets::kClose), (std::vector<int64_t>{10, 11, 12, 13, 14, c, c, 15, c}));
  EXPECT_EQ(flatten(t, Brackets::kBoth),
            (std::vector<int64_t>{o, 10, o, 11, 12, o, 13, 14, c, c, 15, c}));
  for (Brackets b : {Brackets::kNone, Brackets::kClose, Brackets::kBoth})
    EXPECT_EQ(flat_length(t, b), static_cast<int64_t>(flatten(t, b).size()));
  Tree leaf = tree_from_parents({7}, {-1});
  EXPECT_EQ(flatten(leaf, Brackets::kBoth), (std::vector<int64_t>{7}));
  EXPECT_EQ(postorder_tokens(leaf), (std::vector<int64_t>{7}));
}

TEST(TreeBatch, PadsToLargestTree) {
  TreeBatch batch = make_tree_batch({tree_from_parents({5, 6}, {-1, 0}), hand_made()});
  EXPECT_EQ(batch.tokens.shape(), (Shape{2, 6}));
  EXPECT_EQ(batch.tokens.dtype(), DType::I64);
  EXPECT_EQ(batch.node_pad.dtype(), DType::I32);
  EXPECT_EQ(batch.tokens.to_ints(),
            (std::vector<int64_t>{5, 6, kPad, kPad, kPad, kPad, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(batch.parent.to_ints(),
            (std::vector<int64_t>{-1, 0, -1, -1, -1, -1, -1, 0, 1, 1, 3, 0}));
  EXPECT_EQ(batch.child_index.to_ints(),
            (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}));
  EXPECT_EQ(batch.depth.to_ints(), (std::vector<int64_t>{0, 1, 0, 0, 0, 0, 0, 1, 2, 2, 3, 1}));
  EXPECT_EQ(batch.node_pad.to_ints(), (std::vector<int64_t>{0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_THROW(make_tree_batch({}), Error);
}

TEST(TreeBatch, HandMadePairwise) {
  TreeBatch batch = make_tree_batch({hand_made()});
  std::vector<int64_t> d = batch.distance().to_ints(), up = batch.steps_up().to_ints();
  std::vector<int64_t> rel = batch.relation().to_ints();
  auto at = [](const std::vector<int64_t>& v, int64_t i, int64_t j) { return v[i * 6 + j]; };
  EXPECT_EQ(at(d, 4, 5), 4);   // d -> c -> a -> r -> e
  EXPECT_EQ(at(up, 4, 5), 3);  // three edges up to the root
  EXPECT_EQ(at(d, 2, 4), 3);   // b -> a -> c -> d
  EXPECT_EQ(at(up, 2, 4), 1);
  EXPECT_EQ(at(rel, 4, 3), kRelParent);
  EXPECT_EQ(at(rel, 4, 1), kRelAncestor);
  EXPECT_EQ(at(rel, 1, 2), kRelChild);
  EXPECT_EQ(at(rel, 0, 4), kRelDescendant);
  EXPECT_EQ(at(rel, 2, 3), kRelSibling);
  EXPECT_EQ(at(rel, 2, 4), kRelNone);
  EXPECT_EQ(at(rel, 5, 5), kRelSelf);
  // d's branches nearest first: 0 (d under c), 1 (c under a), 0 (a under r); clipped to 1.
  std::vector<int64_t> p = batch.paths(4, 1).to_ints();
  EXPECT_EQ(std::vector<int64_t>(p.begin() + 16, p.begin() + 20),
            (std::vector<int64_t>{0, 0, 0, -1}));
  p = batch.paths(2, 8).to_ints();
  EXPECT_EQ(std::vector<int64_t>(p.begin() + 8, p.begin() + 10), (std::vector<int64_t>{0, 1}));
  EXPECT_THROW(batch.paths(0, 2), Error);
}

// Every pairwise tensor against its definition, on random trees of different sizes in one batch
// (so padding rows and columns are checked too).
TEST(TreeBatch, PairwiseMatchesBruteForceOnRandomTrees) {
  Rng rng(2024);
  for (int round = 0; round < 20; ++round) {
    std::vector<Tree> trees;
    for (int b = 0; b < 3; ++b)
      trees.push_back(random_tree(rng, rng.randint(1, 40), kFirstDataToken, 21));
    TreeBatch batch = make_tree_batch(trees);
    const int64_t B = batch.batch_size(), N = batch.max_nodes(), D = 5, K = 3;
    std::vector<int64_t> anc = batch.ancestor().to_ints(), rel = batch.relation().to_ints();
    std::vector<int64_t> dist = batch.distance().to_ints(), up = batch.steps_up().to_ints();
    std::vector<int64_t> down = batch.steps_down().to_ints(), paths = batch.paths(D, K).to_ints();
    ASSERT_EQ(batch.distance().shape(), (Shape{B, N, N}));
    ASSERT_EQ(batch.distance().dtype(), DType::I32);
    for (int64_t b = 0; b < B; ++b) {
      const Tree& t = trees[b];
      for (int64_t i = 0; i < N; ++i) {
        std::vector<int64_t> bfs = i < t.size() ? bfs_distances(t, i) : std::vector<int64_t>{};
        for (int64_t j = 0; j < N; ++j) {
          const int64_t k = (b * N + i) * N + j;
          if (i >= t.size() || j >= t.size()) {
            EXPECT_EQ(anc[k], 0);
            EXPECT_EQ(rel[k], kRelNone);
            EXPECT_EQ(dist[k], -1);
            EXPECT_EQ(up[k], -1);
            EXPECT_EQ(down[k], -1);
            continue;
          }
          const bool j_anc = is_proper_ancestor(t, j, i), i_anc = is_proper_ancestor(t, i, j);
          EXPECT_EQ(anc[k], j_anc ? 1 : 0);
          EXPECT_EQ(dist[k], bfs[j]) << "tree " << b << " pair " << i << "," << j;
          // The LCA by brute force: the deepest common ancestor-or-self.
          int64_t lca = j;
          while (lca != i && !is_proper_ancestor(t, lca, i)) lca = t.parent[lca];
          EXPECT_EQ(up[k], t.depth[i] - t.depth[lca]);
          EXPECT_EQ(down[k], t.depth[j] - t.depth[lca]);
          int64_t expected = kRelNone;
          if (i == j)
            expected = kRelSelf;
          else if (j_anc)
            expected = t.parent[i] == j ? kRelParent : kRelAncestor;
          else if (i_anc)
            expected = t.parent[j] == i ? kRelChild : kRelDescendant;
          else if (t.parent[i] == t.parent[j])
            expected = kRelSibling;
          EXPECT_EQ(rel[k], expected);
        }
        // Paths: root_path reversed (nearest first), clipped, -1 past the root or at padding.
        std::vector<int64_t> want(D, -1);
        if (i < t.size()) {
          std::vector<int64_t> rp = t.root_path(i);
          for (int64_t s = 0; s < D && s < static_cast<int64_t>(rp.size()); ++s)
            want[s] = std::min<int64_t>(rp[rp.size() - 1 - s], K - 1);
        }
        EXPECT_EQ(std::vector<int64_t>(paths.begin() + (b * N + i) * D,
                                       paths.begin() + (b * N + i + 1) * D),
                  want);
      }
    }
  }
}

TEST(Tree, DeepChainNeedsNoRecursion) {
  // 200k nodes in a chain: every walk is a loop, so nothing here overflows the stack.
  Tree t;
  t.add_node(3, -1);
  for (int64_t i = 1; i < 200000; ++i) t.add_node(3, i - 1);
  EXPECT_EQ(t.height(), 199999);
  EXPECT_EQ(postorder_tokens(t).size(), 200000u);
  EXPECT_EQ(flatten(t, Brackets::kBoth).size(), 200000u + 2 * 199999u);
  EXPECT_EQ(t.subtree_sizes()[0], 200000);
}

}  // namespace
}  // namespace heed
