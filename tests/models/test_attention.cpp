// The generic checks every registered attention variant must pass, within its capabilities,
// looping over the registry: a new variant gets them by registering.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/random.h"
#include "models/attention/attention.h"
#include "models/attention/tree_attention.h"
#include "tests/models/model_test_util.h"
#include "tests/test_util.h"

namespace heed {
namespace {

constexpr int64_t B = 2, T = 5, C = 8, H = 2;
// Unfused-core limits that put the skeleton's variants on each core: the default, and 0 (tiled).
constexpr int64_t kBothCores[] = {128, 0};

std::vector<std::string> variant_names() {
  std::vector<std::string> names;
  for (const AttentionVariant& v : attention_variants()) names.push_back(v.name);
  return names;
}

class AttentionVariantTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<Attention> make(float dropout = 0.0f) {
    seed_init(11);
    auto a = make_attention(GetParam(), AttentionConfig{C, H, dropout, {}});
    a->eval();
    return a;
  }
  static Tensor seq(int64_t t, uint64_t seed) { return Tensor::randn({B, t, C}, seed); }
  // A context for self-attention over t positions. A variant that needs a tree attends among
  // the nodes of B random trees of t nodes each (different shapes per example), so every check
  // below runs on it too; the trees fill all t positions, so padding comes only from
  // ctx.key_padding, as for the other variants (tree padding has its own tests).
  AttentionContext context(int64_t t) {
    AttentionContext ctx;
    if (make_attention(GetParam(), AttentionConfig{C, H, 0.0f, {}})->capabilities().needs_tree) {
      auto it = trees_.find(t);
      if (it == trees_.end()) it = trees_.emplace(t, random_tree_batch({t, t}, 40 + t)).first;
      ctx.tree = &it->second;
    }
    return ctx;
  }

 private:
  std::map<int64_t, TreeBatch> trees_;
};

TEST_P(AttentionVariantTest, ShapesAndWeights) {
  auto a = make();
  Tensor x = seq(T, 1);
  AttentionContext ctx = context(T);
  ctx.need_weights = true;
  AttentionOutput o = a->forward(x, x, x, ctx);
  EXPECT_EQ(o.out.shape(), (Shape{B, T, C}));
  if (!a->capabilities().returns_weights) return;
  ASSERT_TRUE(o.weights.defined());
  EXPECT_EQ(o.weights.shape(), (Shape{B, H, T, T}));
  std::vector<float> w = o.weights.to_vector();
  for (int64_t r = 0; r < B * H * T; ++r) {
    float s = 0;
    for (int64_t j = 0; j < T; ++j) s += w[r * T + j];
    EXPECT_NEAR(s, 1.0f, 1e-5) << "row " << r;
  }
}

TEST_P(AttentionVariantTest, GradcheckInputsAndParameters) {
  auto a = make();
  std::vector<Tensor> inputs = {testing::input({B, 3, C}, 1), testing::input({B, 4, C}, 2)};
  for (const auto& [name, p] : a->named_parameters()) inputs.push_back(p);
  const bool cross = a->capabilities().cross;
  const AttentionContext ctx = context(3);  // the self-attention case runs over in[0]: 3 nodes
  auto f = [&](const std::vector<Tensor>& in) {
    return cross ? a->forward(in[0], in[1], in[1], ctx).out
                 : a->forward(in[0], in[0], in[0], ctx).out;
  };
  EXPECT_TRUE(testing::passes_gradcheck(f, inputs));
}

TEST_P(AttentionVariantTest, GradcheckCausalWithPaddingAndDropout) {
  auto a = make(0.2f);
  a->train();
  if (!a->capabilities().causal) GTEST_SKIP() << "not causal";
  std::vector<Tensor> inputs = {testing::input({B, 4, C}, 3)};
  for (const auto& [name, p] : a->named_parameters()) inputs.push_back(p);
  Tensor pad = Tensor::from_ints({0, 0, 0, 0, 0, 0, 0, 1}, {B, 4});
  const bool padding = a->capabilities().key_padding;
  manual_seed(5);
  const AttentionContext base = context(4);
  auto f = [&](const std::vector<Tensor>& in) {
    AttentionContext ctx = base;
    ctx.causal = true;
    if (padding) ctx.key_padding = pad;
    return a->forward(in[0], in[0], in[0], ctx).out;
  };
  EXPECT_TRUE(testing::passes_gradcheck(f, inputs));
}

// Both cores: the unfused one (the default at these few keys) and the tiled one.
TEST_P(AttentionVariantTest, CausalOutputIgnoresTheFuture) {
  auto a = make();
  if (!a->capabilities().causal) GTEST_SKIP() << "not causal";
  for (int64_t max_keys : kBothCores) {
    const testing::UnfusedMaxKeys core(max_keys);
    Tensor x = seq(T, 1);
    AttentionContext ctx = context(T);
    ctx.causal = true;
    std::vector<float> before = a->forward(x, x, x, ctx).out.to_vector();
    for (int64_t t = 0; t < T - 1; ++t) {
      Tensor y = x.clone();
      copy_(y.slice(1, t + 1, T), Tensor::randn({B, T - t - 1, C}, 100 + t));
      std::vector<float> after = a->forward(y, y, y, ctx).out.to_vector();
      for (int64_t b = 0; b < B; ++b)
        for (int64_t s = 0; s <= t; ++s)
          for (int64_t c = 0; c < C; ++c) {
            int64_t i = (b * T + s) * C + c;
            EXPECT_NEAR(after[i], before[i], 1e-5)
                << "position " << s << " changed when inputs after " << t << " did (unfused up to "
                << max_keys << " keys)";
          }
    }
  }
}

TEST_P(AttentionVariantTest, PaddedKeysHaveNoInfluence) {
  auto a = make();
  if (!a->capabilities().key_padding) GTEST_SKIP() << "no key padding";
  for (int64_t max_keys : kBothCores) {
    const testing::UnfusedMaxKeys core(max_keys);
    Tensor q = seq(3, 1), kv = seq(T, 2);
    const bool cross = a->capabilities().cross;
    if (!cross) q = kv;
    Tensor pad = Tensor::from_ints({0, 0, 0, 1, 1, 0, 0, 0, 0, 1}, {B, T});
    AttentionContext ctx = context(T);
    ctx.key_padding = pad;
    std::vector<float> before = a->forward(q, kv, kv, ctx).out.to_vector();
    Tensor kv2 = kv.clone();
    copy_(kv2.slice(0, 0, 1).slice(1, 3, 5), Tensor::randn({1, 2, C}, 7));
    copy_(kv2.slice(0, 1, 2).slice(1, 4, 5), Tensor::randn({1, 1, C}, 8));
    Tensor q2 = cross ? q : kv2;
    std::vector<float> after = a->forward(q2, kv2, kv2, ctx).out.to_vector();
    const int64_t tq = q.size(1);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < tq; ++s) {
        if (!cross && ((b == 0 && s >= 3) || (b == 1 && s == 4)))
          continue;  // padded queries may change
        for (int64_t c = 0; c < C; ++c) {
          int64_t i = (b * tq + s) * C + c;
          EXPECT_NEAR(after[i], before[i], 1e-5)
              << "batch " << b << " query " << s << " (unfused up to " << max_keys << " keys)";
        }
      }
  }
}

TEST_P(AttentionVariantTest, BatchElementsDoNotInteract) {
  auto a = make();
  Tensor x = seq(T, 1);
  AttentionContext ctx = context(T);
  std::vector<float> before = a->forward(x, x, x, ctx).out.to_vector();
  Tensor y = x.clone();
  copy_(y.slice(0, 1, 2), Tensor::randn({1, T, C}, 9));
  std::vector<float> after = a->forward(y, y, y, ctx).out.to_vector();
  for (int64_t i = 0; i < T * C; ++i) EXPECT_NEAR(after[i], before[i], 1e-5);
}

// Asking for the weights switches the skeleton's variants from the tiled core to the unfused
// one: nothing else may change, with causality, padding and dropout on.
TEST_P(AttentionVariantTest, AskingForWeightsChangesNeitherOutputNorGradients) {
  auto a = make(0.2f);
  a->train();
  const AttentionCapabilities caps = a->capabilities();
  // Past 128 keys, where the tiled core takes over: four tiles of 64 in each direction.
  {
    const int64_t t = 200;
    Tensor x = seq(t, 1).set_requires_grad();
    AttentionContext ctx = context(t);
    ctx.causal = caps.causal;
    if (caps.key_padding) {
      std::vector<int64_t> pad(B * t, 0);
      pad[B * t - 1] = pad[B * t - 2] = 1;  // the second example's last two keys
      ctx.key_padding = Tensor::from_ints(pad, {B, t});
    }
    Tensor r = Tensor::randn({B, t, C}, 3);
    auto run = [&](bool weights) {
      a->zero_grad();
      x.zero_grad();
      manual_seed(5);
      ctx.need_weights = weights;
      Tensor out = a->forward(x, x, x, ctx).out;
      out.backward(r);
      std::vector<std::vector<float>> result = {out.to_vector(), x.grad().to_vector()};
      for (const auto& [name, p] : a->named_parameters()) result.push_back(p.grad().to_vector());
      return result;
    };
    const auto tiled = run(false), unfused = run(true);
    for (std::size_t n = 0; n < tiled.size(); ++n)
      for (std::size_t i = 0; i < tiled[n].size(); ++i)
        ASSERT_NEAR(tiled[n][i], unfused[n][i], 2e-5 * (1 + std::abs(unfused[n][i])))
            << "T " << t << ", "
            << (n == 0   ? "output"
                : n == 1 ? "input grad"
                         : "parameter grad")
            << " #" << n << ", element " << i;
  }
}

TEST_P(AttentionVariantTest, MissingTreeIsAnErrorNamingTheVariant) {
  auto a = make();
  if (!a->capabilities().needs_tree) GTEST_SKIP() << "needs no tree";
  Tensor x = seq(T, 1);
  try {
    a->forward(x, x, x, AttentionContext{});
    FAIL() << "ran without a tree";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tree"), std::string::npos) << e.what();
  }
}

TEST_P(AttentionVariantTest, UnknownOptionIsAnErrorNamingIt) {
  try {
    make_attention(GetParam(), AttentionConfig{C, H, 0.0f, {{"no_such_option", "1"}}});
    FAIL() << "accepted an unknown option";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_option"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, AttentionVariantTest, ::testing::ValuesIn(variant_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(AttentionRegistry, UnknownNameListsTheRegisteredOnes) {
  try {
    make_attention("no_such_variant", AttentionConfig{C, H, 0.0f, {}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mha"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_attention("mha", AttentionConfig{10, 3, 0.0f, {}}), Error);  // 10 % 3 != 0
}

}  // namespace
}  // namespace heed
