// The tree encoder: child_attention's level-by-level batched composition against a naive
// recursion one node at a time, what a node's state may depend on (its subtree only; nothing of
// other trees or of padding), gradchecks of whole models, comparable parameter counts, the
// attention weights for pictures, and a TreeClassifier that fits a tiny ListOps batch.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>

#include "datasets/tree_tasks.h"
#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"
#include "models/attention/tree_attention.h"
#include "models/tree_encoder.h"
#include "tests/models/model_test_util.h"
#include "tests/test_util.h"

namespace heed {
namespace {

constexpr int64_t C = 8;

LayerConfig tiny_layer() {
  LayerConfig l;
  testing::set_width(l, {.d_model = C, .heads = 2, .d_ff = 16});
  return l;
}

TreeClassifierConfig tiny(const std::string& composition, const std::string& attention = "mha") {
  auto c = testing::sized<TreeClassifierConfig>(kFirstDataToken + 8,  // random_tree's tokens
                                                {.d_model = C, .heads = 2, .d_ff = 16});
  c.num_classes = 3;
  c.layers = 2;
  c.composition = composition;
  c.attention = attention;
  c.max_depth = 2;  // tree positions: 2 levels x 2 branches x 2 features = 8 = d_model
  c.max_branch = 2;
  return c;
}

// Every parameter drawn afresh (out_proj and feed-forward biases start at 0, which would hide a
// leaf's stray out_proj bias from the comparisons below).
void randomize(const Module& m, uint64_t seed) {
  for (const auto& [name, p] : m.named_parameters())
    copy_(p, Tensor::randn(p.shape(), seed++, 0.5f));
}

// Gradcheck of a TreeClassifier built from c (seed 6, eval mode) on `batch`, with respect to every
// parameter.
void expect_gradcheck_of_all_parameters(const TreeClassifierConfig& c, const TreeBatch& batch) {
  seed_init(6);
  TreeClassifier m(c);
  m.eval();
  EXPECT_TRUE(testing::passes_gradcheck(
      [&](const std::vector<Tensor>&) { return m.forward(batch); }, m.parameters()));
}

std::vector<float> row(const Tensor& t, int64_t b, int64_t i) {  // t: (B, N, C)
  return select(select(t, 0, b), 0, i).to_vector();
}

// ---- child_attention ----

// compose() on one node at a time, recursively: h(i) = compose(x_i, [h(c) for c in children]).
// Layer: ChildAttentionLayer or ChildFoldLayer.
template <class Layer>
Tensor naive(const Layer& layer, const Tensor& x, const Tree& t, int64_t b, int64_t i) {
  Tensor xi = reshape(select(select(x, 0, b), 0, i), {1, C});
  std::vector<int64_t> kids = t.children(i);
  if (kids.empty()) return layer.compose(xi, Tensor(), Tensor());
  std::vector<Tensor> hs;
  for (int64_t k : kids) hs.push_back(naive(layer, x, t, b, k));  // (1, C) each
  const int64_t K = static_cast<int64_t>(kids.size());
  Tensor children = reshape(concat(hs, 0), {1, K, C});
  return layer.compose(xi, children, Tensor::zeros({1, K}, DType::I32));
}

// A layer's batched bottom-up pass against naive(), node by node; padding rows exactly 0.
template <class Layer>
void expect_batched_equals_naive() {
  seed_init(2);
  Layer layer(tiny_layer());
  randomize(layer, 100);
  layer.eval();
  const TreeBatch batch = random_tree_batch({12, 7, 1, 9}, 3);
  const int64_t B = 4, N = 12;
  Tensor x = Tensor::randn({B, N, C}, 5);
  NoGradGuard no_grad;
  Tensor h = layer.forward(x, batch);
  ASSERT_EQ(h.shape(), (Shape{B, N, C}));
  for (int64_t b = 0; b < B; ++b) {
    const Tree& t = batch.trees[b];
    for (int64_t i = 0; i < N; ++i) {
      SCOPED_TRACE("tree " + std::to_string(b) + " node " + std::to_string(i));
      if (i >= t.size()) {
        testing::expect_values(select(select(h, 0, b), 0, i), std::vector<float>(C, 0.0f), 0.0f);
        continue;
      }
      testing::expect_values(select(select(h, 0, b), 0, i), naive(layer, x, t, b, i).to_vector(),
                             1e-5f);
    }
  }
}

TEST(ChildAttention, BatchedLevelsEqualANaiveRecursionOneNodeAtATime) {
  expect_batched_equals_naive<ChildAttentionLayer>();
}

TEST(ChildAttention, ALeafAttendsToNothingAndWeightsCoverExactlyTheChildren) {
  seed_init(2);
  ChildAttentionLayer layer(tiny_layer());
  randomize(layer, 200);
  layer.eval();
  const TreeBatch batch = random_tree_batch({10, 6}, 8);
  const int64_t B = 2, N = 10;
  Tensor x = Tensor::randn({B, N, C}, 1);
  NoGradGuard no_grad;
  Tensor w;
  layer.forward(x, batch, &w);
  ASSERT_EQ(w.shape(), (Shape{B, 2, N, N}));
  std::vector<float> wv = w.to_vector();
  for (int64_t b = 0; b < B; ++b) {
    const Tree& t = batch.trees[b];
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < N; ++i) {
        double total = 0;
        for (int64_t j = 0; j < N; ++j) {
          const float v = wv[((b * 2 + h) * N + i) * N + j];
          const bool child = i < t.size() && j < t.size() && t.parent[j] == i;
          if (!child) {
            EXPECT_EQ(v, 0.0f) << b << " " << h << " " << i << " " << j;
          }
          total += v;
        }
        const bool inner = i < t.size() && t.num_children[i] > 0;
        EXPECT_NEAR(total, inner ? 1.0 : 0.0, 1e-5) << "row " << i;
      }
  }
  // A leaf's composition is exactly that of an empty child set: norm2(u + ff(u)), u = norm1(x).
  Tensor xi = Tensor::randn({1, C}, 4);
  Tensor leaf = layer.compose(xi, Tensor(), Tensor());
  Tensor with_pad_child =
      layer.compose(xi, Tensor::randn({1, 1, C}, 6),
                    Tensor::from_ints({1}, {1, 1}, DType::I32));  // one slot, padded
  testing::expect_values(with_pad_child, leaf.to_vector(), 0.0f);
}

// A node's state is a function of its own subtree: rewriting every token outside the subtree of
// node i (other trees included) leaves state i unchanged; a leaf's token reaches the root.
TEST(TreeEncoder, ChildAttentionStateDependsOnlyOnTheSubtree) {
  seed_init(7);
  TreeEncoder enc(tiny("child_attention"));
  enc.eval();
  NoGradGuard no_grad;
  TreeBatch batch = random_tree_batch({11, 8}, 12);
  Tensor h = enc.forward(batch);
  const Tree& t = batch.trees[0];
  std::vector<int64_t> sizes = t.subtree_sizes();
  for (int64_t i = 0; i < t.size(); ++i) {
    std::vector<Tree> changed = batch.trees;
    for (int64_t j = 0; j < changed[0].size(); ++j)
      if (j < i || j >= i + sizes[i])  // pre-order: the subtree of i is [i, i + size)
        changed[0].tokens[j] = kFirstDataToken + (changed[0].tokens[j] - kFirstDataToken + 3) % 8;
    for (int64_t& tok : changed[1].tokens) tok = kFirstDataToken + (tok - kFirstDataToken + 5) % 8;
    Tensor h2 = enc.forward(make_tree_batch(changed));
    testing::expect_values(select(select(h2, 0, 0), 0, i), row(h, 0, i), 1e-5f);
  }
  // The deepest leaf's token changes the root's state.
  int64_t deepest = 0;
  for (int64_t i = 0; i < t.size(); ++i)
    if (t.depth[i] > t.depth[deepest]) deepest = i;
  std::vector<Tree> changed = batch.trees;
  changed[0].tokens[deepest] = kFirstDataToken + (t.tokens[deepest] - kFirstDataToken + 1) % 8;
  std::vector<float> root = row(enc.forward(make_tree_batch(changed)), 0, 0), before = row(h, 0, 0);
  double change = 0;
  for (int64_t c = 0; c < C; ++c) change += std::abs(root[c] - before[c]);
  EXPECT_GT(change, 1e-3) << "a leaf at depth " << t.depth[deepest] << " did not reach the root";
}

// Logits of a tree are the same alone, beside other trees, and padded to a larger batch, for
// both compositions and both poolings.
TEST(TreeClassifier, LogitsDependOnlyOnTheirOwnTree) {
  const TreeBatch alone = random_tree_batch({6}, 30);
  TreeBatch others = random_tree_batch({13, 3}, 31);
  std::vector<Tree> mixed = {others.trees[0], alone.trees[0], others.trees[1]};
  const TreeBatch together = make_tree_batch(mixed);  // tree 1 padded from 6 to 13 nodes
  for (const char* composition : {"none", "child_attention"})
    for (const char* attention : {"mha", "tree_mask", "tree_distance"})
      for (const char* pooling : {"root", "mean"}) {
        if (std::string(composition) == "child_attention" && std::string(attention) != "mha")
          continue;
        SCOPED_TRACE(std::string(composition) + " " + attention + " " + pooling);
        TreeClassifierConfig c = tiny(composition, attention);
        c.pooling = pooling;
        seed_init(5);
        TreeClassifier m(c);
        m.eval();
        NoGradGuard no_grad;
        Tensor a = m.forward(alone), b = m.forward(together);
        ASSERT_EQ(b.shape(), (Shape{3, 3}));
        testing::expect_values(select(b, 0, 1), a.to_vector(), 1e-5f);
      }
}

TEST(TreeClassifier, GradcheckOfAllParameters) {
  const TreeBatch batch = random_tree_batch({6, 4}, 40);
  struct Case {
    const char* composition;
    const char* attention;
    const char* position;
    const char* pooling;
  };
  for (Case k : {Case{"child_attention", "mha", "tree", "root"},
                 Case{"none", "tree_distance", "tree", "mean"},
                 Case{"none", "tree_mask", "sinusoidal", "root"}}) {
    SCOPED_TRACE(std::string(k.composition) + " " + k.attention + " " + k.position);
    TreeClassifierConfig c = tiny(k.composition, k.attention);
    c.position = k.position;
    c.pooling = k.pooling;
    c.layers = k.composition == std::string("child_attention") ? 2 : 1;
    expect_gradcheck_of_all_parameters(c, batch);
  }
}

// d_model 128, 4 heads, d_ff 512, 2 layers, vocab 20, 10 classes: the compositions and
// attentions differ by a few hundred parameters at most.
TEST(TreeClassifier, ParameterCountsAreComparable) {
  auto count = [](const std::string& composition, const std::string& attention,
                  const std::string& position) {
    TreeClassifierConfig c;
    c.vocab = 20;
    c.num_classes = 10;
    c.composition = composition;
    c.attention = attention;
    c.position = position;
    TreeClassifier m(c);
    std::printf("[ params ] %-16s %-14s %-10s %lld\n", composition.c_str(), attention.c_str(),
                position.c_str(), static_cast<long long>(m.num_parameters()));
    return m.num_parameters();
  };
  const int64_t layer = 4 * 128 * 128 + 4 * 128 + 2 * 128 * 512 + 512 + 128 + 4 * 128;
  const int64_t base = 20 * 128 + 2 * layer + 128 * 10 + 10;  // embed, layers, head
  EXPECT_EQ(count("child_attention", "mha", "none"), base);
  EXPECT_EQ(count("child_attention", "mha", "tree"), base + 3);   // 3 decays (128 / (8·5))
  EXPECT_EQ(count("none", "mha", "sinusoidal"), base + 2 * 128);  // + the final norm
  EXPECT_EQ(count("none", "tree_mask", "tree"), base + 2 * 128 + 3);
  EXPECT_EQ(count("none", "tree_distance", "tree"), base + 2 * 128 + 3 + 2 * 9 * 4);  // tables
}

TEST(TreeClassifier, AttentionWeightsPerLayer) {
  const TreeBatch batch = random_tree_batch({7, 5}, 50);
  for (const char* composition : {"none", "child_attention"}) {
    SCOPED_TRACE(composition);
    seed_init(1);
    TreeClassifier m(tiny(composition, "mha"));
    m.eval();
    std::vector<Tensor> w = m.attention(batch);
    ASSERT_EQ(w.size(), 2u);
    for (const Tensor& t : w) EXPECT_EQ(t.shape(), (Shape{2, 2, 7, 7}));
  }
}

TEST(TreeClassifier, BadConfigsAreErrorsNamingTheKey) {
  auto error_of = [](const std::function<void(TreeClassifierConfig&)>& edit) {
    TreeClassifierConfig c = tiny("none");
    edit(c);
    try {
      TreeClassifier m(c);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of([](auto& c) { c.composition = "recursive"; }).find("composition"),
            std::string::npos);
  EXPECT_NE(error_of([](auto& c) { c.position = "learned"; }).find("position"), std::string::npos);
  EXPECT_NE(error_of([](auto& c) { c.pooling = "max"; }).find("pooling"), std::string::npos);
  EXPECT_NE(error_of([](auto& c) {
              c.composition = "child_attention";
              c.attention = "tree_mask";
            }).find("child_attention"),
            std::string::npos);
  EXPECT_NE(error_of([](auto& c) { c.max_depth = 5; }).find("max_depth"), std::string::npos);
}

// ---- child_fold (experimental) ----

TEST(ChildFold, BatchedLevelsEqualANaiveRecursionOneNodeAtATime) {
  expect_batched_equals_naive<ChildFoldLayer>();
}

TEST(ChildFold, GradcheckOfAllParameters) {
  const TreeBatch batch = random_tree_batch({6, 4}, 40);
  for (const char* position : {"tree", "none"}) {
    SCOPED_TRACE(position);
    TreeClassifierConfig c = tiny("child_fold");
    c.position = position;
    c.pooling = "root";
    c.layers = 2;
    expect_gradcheck_of_all_parameters(c, batch);
  }
}

TEST(ChildFold, ParameterCount) {
  for (int64_t d_ff : {128, 64}) {
    auto c = testing::sized<TreeClassifierConfig>(20, {.d_model = 64, .heads = 4, .d_ff = d_ff});
    c.num_classes = 10;
    c.layers = 4;
    c.position = "none";
    c.composition = "child_fold";
    TreeClassifier fold(c);
    c.composition = "child_attention";
    c.d_ff = 128;
    TreeClassifier attn(c);
    std::printf("[ params ] child_fold d_ff %lld: %lld; child_attention d_ff 128: %lld\n",
                static_cast<long long>(d_ff), static_cast<long long>(fold.num_parameters()),
                static_cast<long long>(attn.num_parameters()));
    const int64_t C = 64, gru = 6 * C * C + 6 * C, mha = 4 * C * C + 4 * C;
    const int64_t ff = [&](int64_t F) { return 2 * C * F + F + C; }(d_ff) - (2 * C * 128 + 128 + C);
    EXPECT_EQ(fold.num_parameters(), attn.num_parameters() + 4 * (gru - mha + ff));
  }
}

// ---- learning ----

// A fixed batch of 32 small ListOps trees, fitted to every label with AdamW.
TEST(TreeClassifier, FitsATinyListOpsBatch) {
  std::unique_ptr<TreeTask> task =
      make_tree_task("listops", {{"max_depth", "3"}, {"max_args", "3"}});
  std::vector<TreeExample> examples = generate_trees(*task, 1, 0, 0, 32, 1, 24);
  std::vector<Tree> trees;
  std::vector<int64_t> labels;
  for (const TreeExample& e : examples) {
    trees.push_back(e.tree);
    labels.push_back(e.target.at(0));
  }
  const TreeBatch batch = make_tree_batch(trees);
  const Tensor targets = Tensor::from_ints(labels, {32});
  for (const char* composition : {"child_attention", "none"}) {
    SCOPED_TRACE(composition);
    auto c = testing::sized<TreeClassifierConfig>(task->vocab(),
                                                  {.d_model = 32, .heads = 2, .d_ff = 64});
    c.num_classes = task->num_classes();
    c.layers = 2;
    c.composition = composition;
    c.attention = composition == std::string("none") ? "tree_mask" : "mha";
    c.max_depth = 3;
    c.max_branch = 3;
    seed_init(3);
    TreeClassifier m(c);
    const auto t0 = std::chrono::steady_clock::now();
    AdamW opt(m.named_parameters(), 3e-3, 0.9, 0.999, 1e-8, 0.0);
    int steps = 0;
    for (; steps < 400; ++steps) {
      opt.zero_grad();
      Tensor loss = cross_entropy(m.forward(batch), targets);
      if (loss.item() < 0.01f) break;
      loss.backward();
      opt.step();
    }
    m.eval();
    NoGradGuard no_grad;
    std::vector<float> logits = m.forward(batch).to_vector();
    int correct = 0;
    for (int64_t b = 0; b < 32; ++b) {
      int64_t best = 0;
      for (int64_t k = 1; k < 10; ++k)
        if (logits[b * 10 + k] > logits[b * 10 + best]) best = k;
      correct += best == labels[b];
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ overfit ] %s: %d/32 after %d steps, %.2f s\n", composition, correct, steps,
                secs);
    EXPECT_EQ(correct, 32);
  }
}

}  // namespace
}  // namespace heed
