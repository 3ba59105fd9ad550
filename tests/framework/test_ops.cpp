// Every differentiable op: a gradcheck (incl. broadcasting and non-contiguous inputs), plus
// forward values against hand-computed numbers and the edge cases each op defines.
#include <gtest/gtest.h>

#include <omp.h>
#include <cmath>
#include <functional>
#include <limits>

#include "framework/ops.h"
#include "framework/random.h"
#include "tests/test_util.h"

namespace heed {
namespace {

using testing::expect_values;
using testing::input;
using testing::transposed_input;
using Inputs = std::vector<Tensor>;

// How a case makes one of its inputs, in the test (after manual_seed), so that no tensor is made
// while the cases are listed.
using MakeInput = std::function<Tensor()>;

MakeInput normal(const Shape& shape, uint64_t seed, float std = 1.0f) {
  return [=] { return input(shape, seed, std); };
}

MakeInput transposed(int64_t rows, int64_t cols, uint64_t seed) {
  return [=] { return transposed_input(rows, cols, seed); };
}

// Values bounded away from zero, for log/sqrt/div/pow.
MakeInput positive(const Shape& shape, uint64_t seed) {
  return [=] { return Tensor::uniform(shape, seed, 0.5f, 2.0f).set_requires_grad(); };
}

// Values bounded away from the kink at 0, for relu.
MakeInput away_from_zero(const Shape& shape, uint64_t seed) {
  return [=] {
    std::vector<float> v = Tensor::uniform(shape, seed, 0.2f, 1.5f).to_vector();
    Rng rng(seed + 1);
    for (float& x : v)
      if (rng.uniform() < 0.5f) x = -x;
    return Tensor::from_vector(v, shape).set_requires_grad();
  };
}

struct OpCase {
  std::string name;
  std::vector<MakeInput> inputs;
  GradcheckFn f;
};

Tensor ids(const std::vector<int64_t>& v, const Shape& s) {
  return Tensor::from_ints(v, s);
}

void PrintTo(const OpCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<OpCase> op_cases() {
  std::vector<OpCase> c;
  auto add_case = [&](std::string n, std::vector<MakeInput> in, GradcheckFn f) {
    c.push_back({std::move(n), std::move(in), std::move(f)});
  };
  // elementwise, binary with broadcasting
  add_case("add_broadcast", {normal({2, 3, 4}, 1), normal({3, 1}, 2)},
           [](const Inputs& x) { return add(x[0], x[1]); });
  add_case("sub_broadcast", {normal({4}, 1), normal({2, 3, 4}, 2)},
           [](const Inputs& x) { return sub(x[0], x[1]); });
  add_case("mul_transposed", {transposed(3, 4, 1), normal({3, 4}, 2)},
           [](const Inputs& x) { return mul(x[0], x[1]); });
  add_case("mul_broadcast", {normal({2, 1, 4}, 1), normal({3, 1}, 2)},
           [](const Inputs& x) { return mul(x[0], x[1]); });
  add_case("div_broadcast", {normal({2, 3}, 1), positive({3}, 2)},
           [](const Inputs& x) { return div(x[0], x[1]); });
  add_case("add_scalar", {normal({5}, 1)}, [](const Inputs& x) { return add(x[0], 2.5f); });
  add_case("mul_scalar", {transposed(2, 3, 1)}, [](const Inputs& x) { return mul(x[0], -1.5f); });
  // elementwise, unary
  add_case("neg", {normal({3, 2}, 1)}, [](const Inputs& x) { return neg(x[0]); });
  add_case("exp", {transposed(3, 4, 1)}, [](const Inputs& x) { return exp(x[0]); });
  add_case("log", {positive({3, 4}, 1)}, [](const Inputs& x) { return log(x[0]); });
  add_case("sqrt", {positive({3, 4}, 1)}, [](const Inputs& x) { return sqrt(x[0]); });
  add_case("pow", {positive({3, 4}, 1)}, [](const Inputs& x) { return pow(x[0], 2.5f); });
  add_case("tanh", {normal({3, 4}, 1)}, [](const Inputs& x) { return tanh(x[0]); });
  add_case("sigmoid", {transposed(3, 4, 1)}, [](const Inputs& x) { return sigmoid(x[0]); });
  add_case("relu", {away_from_zero({3, 4}, 1)}, [](const Inputs& x) { return relu(x[0]); });
  add_case("gelu", {normal({3, 4}, 1, 2.0f)}, [](const Inputs& x) { return gelu(x[0]); });
  add_case("elu", {away_from_zero({3, 4}, 1)}, [](const Inputs& x) { return elu(x[0]); });
  add_case("masked_fill", {normal({2, 3}, 1)}, [](const Inputs& x) {
    return masked_fill(x[0], ids({1, 0, 1}, {3}), -2.0f);
  });
  add_case("where", {normal({2, 3}, 1), normal({3}, 2)}, [](const Inputs& x) {
    return where(ids({1, 0, 0, 1, 1, 0}, {2, 3}), x[0], x[1]);
  });
  add_case("dropout", {normal({4, 8}, 1)},
           [](const Inputs& x) { return dropout(x[0], 0.3f, true); });
  // reductions
  add_case("sum_all", {transposed(3, 4, 1)}, [](const Inputs& x) { return sum(x[0]); });
  add_case("sum_dims_keepdim", {normal({2, 3, 4}, 1)}, [](const Inputs& x) {
    return sum(x[0], {0, 2}, true);
  });
  add_case("sum_leading", {normal({5, 3}, 1)}, [](const Inputs& x) { return sum(x[0], {0}); });
  add_case("mean_last", {transposed(3, 4, 1)}, [](const Inputs& x) { return mean(x[0], {-1}); });
  add_case("max_dim", {normal({3, 5}, 1)}, [](const Inputs& x) { return max(x[0], {1}); });
  add_case("max_dims_keepdim", {normal({2, 3, 4}, 1)}, [](const Inputs& x) {
    return max(x[0], {0, 2}, true);
  });
  // softmax family
  add_case("softmax", {normal({3, 5}, 1, 2.0f)}, [](const Inputs& x) { return softmax(x[0]); });
  add_case("softmax_transposed", {transposed(4, 3, 1)},
           [](const Inputs& x) { return softmax(x[0]); });
  add_case("softmax_masked", {normal({2, 3, 4}, 1)}, [](const Inputs& x) {
    float ninf = -std::numeric_limits<float>::infinity();
    Tensor mask = Tensor::from_vector({0, 0, ninf, 0, ninf, 0, 0, ninf, 0, 0, 0, 0}, {3, 4});
    return softmax(x[0], mask);
  });
  add_case("log_softmax", {normal({3, 5}, 1, 2.0f)},
           [](const Inputs& x) { return log_softmax(x[0]); });
  add_case("log_softmax_masked", {normal({2, 4}, 1)}, [](const Inputs& x) {
    return log_softmax(x[0], Tensor::from_vector({0, -2.0f, 0.5f, 0}, {4}));
  });
  add_case("layer_norm", {normal({3, 6}, 1), normal({6}, 2), normal({6}, 3)},
           [](const Inputs& x) { return layer_norm(x[0], x[1], x[2]); });
  add_case("layer_norm_transposed_no_affine", {transposed(4, 5, 1)},
           [](const Inputs& x) { return layer_norm(x[0], Tensor(), Tensor()); });
  // products
  add_case("matmul_2d", {normal({3, 4}, 1), normal({4, 5}, 2)},
           [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_transposed", {transposed(3, 4, 1), transposed(4, 5, 2)},
           [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_3d_by_2d", {normal({2, 3, 4}, 1), normal({4, 5}, 2)},
           [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_batched_4d", {normal({2, 2, 3, 4}, 1), normal({2, 2, 4, 3}, 2)},
           [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_4d_key_transpose", {normal({2, 2, 3, 4}, 1), normal({2, 2, 5, 4}, 2)},
           [](const Inputs& x) { return matmul(x[0], x[1].transpose(-1, -2)); });
  add_case("matmul_batch_broadcast", {normal({2, 3, 4}, 1), normal({1, 4, 2}, 2)},
           [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_heads_permuted", {normal({2, 3, 2, 4}, 1), normal({2, 3, 2, 4}, 2)},
           [](const Inputs& x) {  // (B, T, H, D) -> (B, H, T, D), as attention heads
             Tensor q = x[0].permute({0, 2, 1, 3}), k = x[1].permute({0, 2, 1, 3});
             return matmul(q, k.transpose(-1, -2));
           });
  add_case("linear", {normal({2, 3, 4}, 1), normal({5, 4}, 2), normal({5}, 3)},
           [](const Inputs& x) { return linear(x[0], x[1], x[2]); });
  add_case("linear_no_bias_transposed_x", {transposed(3, 4, 1), normal({2, 4}, 2)},
           [](const Inputs& x) { return linear(x[0], x[1]); });
  add_case("embedding_repeated_ids", {normal({5, 3}, 1)}, [](const Inputs& x) {
    return embedding(x[0], ids({1, 4, 1, 0, 1, 2}, {2, 3}));
  });
  add_case("cross_entropy", {normal({4, 5}, 1)}, [](const Inputs& x) {
    return cross_entropy(x[0], ids({0, 4, 2, 2}, {4}));
  });
  add_case("cross_entropy_ignore_smoothing", {normal({2, 3, 5}, 1)}, [](const Inputs& x) {
    return cross_entropy(x[0], ids({0, -100, 2, 3, -100, 1}, {2, 3}),
                         {.ignore_index = -100, .label_smoothing = 0.1f});
  });
  // attention core
  add_case("sdpa_self", {normal({2, 2, 3, 4}, 1), normal({2, 2, 3, 4}, 2), normal({2, 2, 3, 4}, 3)},
           [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2]).out; });
  add_case("sdpa_cross_bias_mask_dropout",
           {normal({2, 2, 3, 4}, 1), normal({2, 2, 5, 4}, 2), normal({2, 2, 5, 3}, 3),
            normal({2, 3, 5}, 4)},
           [](const Inputs& x) {
             Tensor pad = key_padding_mask(ids({0, 0, 0, 1, 1, 0, 0, 0, 0, 0}, {2, 5}));
             return scaled_dot_product_attention(x[0], x[1], x[2], x[3], pad, 0.2f, true).out;
           });
  add_case("sdpa_causal_permuted_heads",
           {normal({2, 4, 2, 3}, 1), normal({2, 4, 2, 3}, 2), normal({2, 4, 2, 3}, 3)},
           [](const Inputs& x) {
             auto heads = [](const Tensor& t) {
               return t.permute({0, 2, 1, 3});
             };  // (B,T,H,D)->(B,H,T,D)
             return scaled_dot_product_attention(heads(x[0]), heads(x[1]), heads(x[2]), Tensor(),
                                                 causal_mask(4, 4))
                 .out;
           });
  // shape ops
  add_case("view_reshape", {transposed(3, 4, 1)}, [](const Inputs& x) {
    return mul(reshape(x[0], {2, 6}), Tensor::arange(6));
  });
  add_case("permute", {normal({2, 3, 4}, 1)}, [](const Inputs& x) {
    return mul(permute(x[0], {2, 0, 1}), Tensor::arange(3));
  });
  add_case("slice_select", {normal({4, 5}, 1)}, [](const Inputs& x) {
    return mul(slice(x[0], 1, 1, 4), select(x[0], 0, 2).slice(0, 0, 3));
  });
  add_case("unsqueeze_expand", {normal({3}, 1)}, [](const Inputs& x) {
    return mul(expand(unsqueeze(x[0], 0), {4, 3}), input({4, 3}, 9).detach());
  });
  add_case("squeeze_flatten", {normal({2, 1, 3}, 1)},
           [](const Inputs& x) { return mul(flatten(squeeze(x[0], 1)), Tensor::arange(6)); });
  add_case("contiguous", {transposed(3, 2, 1)},
           [](const Inputs& x) { return mul(contiguous(x[0]), Tensor::arange(2)); });
  add_case("concat", {normal({2, 3}, 1), transposed(2, 2, 2)}, [](const Inputs& x) {
    return concat({x[0], x[1], x[0]}, 1);
  });
  add_case("stack", {normal({2, 3}, 1), normal({2, 3}, 2)}, [](const Inputs& x) {
    return stack({x[0], x[1]}, 1);
  });
  add_case("gather", {normal({3, 4}, 1)}, [](const Inputs& x) {
    return gather(x[0], 1, ids({0, 3, 3, 1, 2, 2}, {3, 2}));
  });
  // prefix sums
  add_case("cumsum_middle_dim_transposed", {transposed(4, 3, 1)},
           [](const Inputs& x) { return cumsum(unsqueeze(x[0], 0), 1); });
  add_case("cumsum_last_dim", {normal({2, 3, 5}, 1)},
           [](const Inputs& x) { return cumsum(x[0], -1); });
  add_case("causal_dot_product_more_keys",
           {normal({2, 3, 4}, 1), normal({2, 4, 5}, 2), normal({2, 5, 3}, 3)},
           [](const Inputs& x) { return causal_dot_product(x[0], x[1].transpose(1, 2), x[2]); });
  add_case("index_select_repeats", {transposed(3, 4, 1)}, [](const Inputs& x) {
    return concat({flatten(index_select(x[0], 0, ids({2, 0, 2, 1}, {4}))),
                   flatten(index_select(x[0], 1, ids({3, 3, 0}, {3})))},
                  0);
  });
  return c;
}

class OpGradcheck : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpGradcheck, MatchesFiniteDifferences) {
  manual_seed(7);
  const OpCase& c = GetParam();
  Inputs inputs;
  for (const MakeInput& make : c.inputs) inputs.push_back(make());
  EXPECT_TRUE(testing::passes_gradcheck(c.f, inputs));
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpGradcheck, ::testing::ValuesIn(op_cases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) {
                           return info.param.name;
                         });

// ---- forward values and defined edge cases ----

TEST(Ops, ElementwiseValues) {
  Tensor a = Tensor::from_vector({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector({10, 20}, {2});
  expect_values(a + b, {11, 22, 13, 24});
  expect_values(a / b, {0.1f, 0.1f, 0.3f, 0.2f});
  expect_values(gelu(Tensor::from_vector({-1, 0, 1}, {3})), {-0.15865525f, 0, 0.84134475f});
  expect_values(sigmoid(Tensor::from_vector({0}, {1})), {0.5f});
  expect_values(pow(a, 2.0f), {1, 4, 9, 16});
}

TEST(Ops, IndexSelectValues) {
  Tensor a = Tensor::arange(6).view({3, 2});
  expect_values(index_select(a, 0, ids({2, 0, 2}, {3})), {4, 5, 0, 1, 4, 5});
  expect_values(index_select(a, 1, ids({1}, {1})), {1, 3, 5});
  Tensor i = Tensor::from_ints({7, 8, 9}, {3, 1}, DType::I32);
  EXPECT_EQ(index_select(i, 0, ids({1, 1}, {2})).to_ints(), (std::vector<int64_t>{8, 8}));
  EXPECT_THROW(index_select(a, 0, ids({3}, {1})), Error);
}

TEST(Ops, ReductionsValues) {
  Tensor a = Tensor::arange(6).view({2, 3});
  expect_values(sum(a, {1}), {3, 12});
  expect_values(sum(a, {0}, true), {3, 5, 7});
  EXPECT_EQ(sum(a, {0}, true).shape(), (Shape{1, 3}));
  expect_values(mean(a), {2.5f});
  expect_values(max(a, {1}), {2, 5});
  EXPECT_EQ(sum_to(Tensor::ones({4, 2, 3}), {2, 1}).to_vector(), (std::vector<float>{12, 12}));
}

TEST(Ops, ReductionsDoNotDependOnThreadCount) {
  Tensor x = Tensor::randn({300, 517}, 3);
  std::vector<float> one, many;
  omp_set_num_threads(1);
  one = sum(x, {0}).to_vector();
  auto one_rows = sum(x, {1}).to_vector();
  omp_set_num_threads(2);
  many = sum(x, {0}).to_vector();
  EXPECT_EQ(one, many);
  EXPECT_EQ(one_rows, sum(x, {1}).to_vector());
  omp_set_num_threads(1);
}

TEST(Ops, SoftmaxOfAFullyMaskedRowIsZeroNotNaN) {
  const float ninf = -std::numeric_limits<float>::infinity();
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}).set_requires_grad();
  Tensor mask = Tensor::from_vector({ninf, ninf, ninf, 0, 0, ninf}, {2, 3});
  Tensor y = softmax(x, mask);
  std::vector<float> v = y.to_vector();
  EXPECT_EQ(v[0], 0.0f);
  EXPECT_EQ(v[1], 0.0f);
  EXPECT_EQ(v[2], 0.0f);
  EXPECT_NEAR(v[3] + v[4], 1.0f, 1e-6);
  EXPECT_EQ(v[5], 0.0f);
  sum(y * Tensor::randn({2, 3}, 1)).backward();
  for (float g : x.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
  expect_values(x.grad().slice(0, 0, 1), {0, 0, 0});
}

TEST(Ops, AttentionCoreMatchesComposedOps) {
  Tensor q = Tensor::randn({2, 3, 4, 8}, 1), k = Tensor::randn({2, 3, 6, 8}, 2),
         v = Tensor::randn({2, 3, 6, 5}, 3);
  Tensor bias = Tensor::randn({3, 4, 6}, 4);
  auto fused = scaled_dot_product_attention(q, k, v, bias, causal_mask(4, 6));
  Tensor scores = add(add(mul(matmul(q, k.transpose(-1, -2)), 1.0f / std::sqrt(8.0f)), bias),
                      causal_mask(4, 6));
  Tensor p = softmax(scores);
  std::vector<float> want = matmul(p, v).to_vector(), got = fused.out.to_vector();
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
  EXPECT_EQ(fused.weights.shape(), (Shape{2, 3, 4, 6}));
  std::vector<float> w = fused.weights.to_vector(), pw = p.to_vector();
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(w[i], pw[i], 1e-6);
}

TEST(Ops, AttentionCoreFullyMaskedQueryGivesZeros) {
  Tensor q = Tensor::randn({1, 1, 2, 4}, 1).set_requires_grad(), k = Tensor::randn({1, 1, 3, 4}, 2),
         v = Tensor::randn({1, 1, 3, 4}, 3);
  const float ninf = -std::numeric_limits<float>::infinity();
  Tensor mask = Tensor::from_vector({ninf, ninf, ninf, 0, 0, ninf}, {2, 3});
  auto r = scaled_dot_product_attention(q, k, v, Tensor(), mask);
  std::vector<float> o = r.out.to_vector();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(o[i], 0.0f);
  for (float x : o) EXPECT_TRUE(std::isfinite(x));
  sum(r.out).backward();
  for (float g : q.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
}

TEST(Ops, CausalMaskShapes) {
  const float ninf = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(causal_mask(2, 3).to_vector(),
            (std::vector<float>{0, 0, ninf, 0, 0, 0}));  // last query sees all keys
  EXPECT_EQ(key_padding_mask(Tensor::from_ints({0, 1}, {1, 2})).shape(), (Shape{1, 1, 1, 2}));
}

TEST(Ops, SoftmaxMatchesHandComputedValues) {
  expect_values(softmax(Tensor::from_vector({0, std::log(3.0f)}, {2})), {0.25f, 0.75f});
  expect_values(log_softmax(Tensor::from_vector({0, std::log(3.0f)}, {2})),
                {std::log(0.25f), std::log(0.75f)});
  // Large logits do not overflow.
  expect_values(softmax(Tensor::from_vector({1000, 1000}, {2})), {0.5f, 0.5f});
}

TEST(Ops, CrossEntropyValues) {
  // logits [0, ln 3] -> p = [1/4, 3/4]; target 1: −ln(3/4); target 0: −ln(1/4).
  Tensor logits = Tensor::from_vector({0, std::log(3.0f), 0, std::log(3.0f)}, {2, 2});
  Tensor t = Tensor::from_ints({1, 0}, {2});
  EXPECT_NEAR(cross_entropy(logits, t).item(), (-std::log(0.75) - std::log(0.25)) / 2, 1e-6);
  // ignore_index drops the second row from the mean.
  Tensor ti = Tensor::from_ints({1, -100}, {2});
  EXPECT_NEAR(cross_entropy(logits, ti).item(), -std::log(0.75), 1e-6);
  // label smoothing 0.2 over 2 classes: 0.8·(−ln p_t) + 0.1·(−ln p_0 − ln p_1).
  double expect = 0.8 * -std::log(0.75) + 0.1 * (-std::log(0.25) - std::log(0.75));
  EXPECT_NEAR(
      cross_entropy(logits.slice(0, 0, 1), Tensor::from_ints({1}, {1}), {.label_smoothing = 0.2f})
          .item(),
      expect, 1e-6);
  // Every target ignored: 0, and a zero gradient.
  Tensor l = logits.detach().set_requires_grad();
  Tensor all_ignored = cross_entropy(l, Tensor::from_ints({-100, -100}, {2}));
  EXPECT_EQ(all_ignored.item(), 0.0f);
  all_ignored.backward();
  expect_values(l.grad(), {0, 0, 0, 0});
  EXPECT_THROW(cross_entropy(logits, Tensor::from_ints({2, 0}, {2})), Error);
}

TEST(Ops, LayerNormValues) {
  Tensor x = Tensor::from_vector({1, 2, 3, 4}, {1, 4});
  // mean 2.5, var 1.25
  float s = 1.0f / std::sqrt(1.25f + 1e-5f);
  expect_values(layer_norm(x, Tensor::full({4}, 2.0f), Tensor::full({4}, 1.0f)),
                {1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s}, 1e-5f);
}

TEST(Ops, MatmulMatchesANaiveProduct) {
  for (Shape s : {Shape{2048, 128, 128}, Shape{7, 13, 5}, Shape{1, 1, 1}}) {
    const int64_t M = s[0], K = s[1], N = s[2];
    Tensor a = Tensor::randn({M, K}, 1), b = Tensor::randn({K, N}, 2);
    Tensor c = matmul(a, b);
    std::vector<float> av = a.to_vector(), bv = b.to_vector(), cv = c.to_vector();
    for (int64_t i = 0; i < M; i += std::max<int64_t>(1, M / 7))
      for (int64_t j = 0; j < N; j += std::max<int64_t>(1, N / 5)) {
        double ref = 0;
        for (int64_t k = 0; k < K; ++k) ref += static_cast<double>(av[i * K + k]) * bv[k * N + j];
        EXPECT_NEAR(cv[i * N + j], ref, 1e-3 * std::sqrt(static_cast<double>(K)));
      }
  }
}

TEST(Ops, LinearMatchesMatmulPlusBias) {
  Tensor x = Tensor::randn({3, 5, 8}, 1), w = Tensor::randn({4, 8}, 2), b = Tensor::randn({4}, 3);
  std::vector<float> got = linear(x, w, b).to_vector();
  std::vector<float> want = add(matmul(x, w.transpose(0, 1)), b).to_vector();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
  EXPECT_THROW(linear(x, Tensor::ones({4, 7})), Error);
}

TEST(Ops, DropoutIsSeededAndScaled) {
  Tensor x = Tensor::ones({1000});
  manual_seed(42);
  std::vector<float> a = dropout(x, 0.25f, true).to_vector();
  manual_seed(42);
  std::vector<float> b = dropout(x, 0.25f, true).to_vector();
  EXPECT_EQ(a, b);
  int zeros = 0;
  for (float v : a) {
    EXPECT_TRUE(v == 0.0f || std::fabs(v - 1.0f / 0.75f) < 1e-6f);
    zeros += v == 0.0f;
  }
  EXPECT_NEAR(zeros / 1000.0, 0.25, 0.05);
  EXPECT_EQ(dropout(x, 0.25f, false).to_vector(), x.to_vector());
  EXPECT_THROW(dropout(x, 1.0f, true), Error);
}

TEST(Ops, DropoutKernelKeepsUniform01sMask) {
  // The vectorized kernel tests integer bits; it must drop exactly where uniform01(...) < p.
  const int64_t n = 4099;  // not a multiple of any vector width
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f + static_cast<float>(i % 7);
  for (float p : {0.1f, 0.25f, 1.0f / 3.0f, 0.5f, 0.999f, 0.0f}) {
    dropout_kernel(x.data(), y.data(), n, p, 9, 1234);
    const float scale = 1.0f / (1.0f - p);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(y[i], uniform01(9, 1234 + i) < p ? 0.0f : x[i] * scale) << "p " << p << " i " << i;
    std::vector<float> in_place = x;
    dropout_kernel(in_place.data(), in_place.data(), n, p, 9, 1234);
    EXPECT_EQ(in_place, y);
    // The kept bytes are the same mask, and the backward kernel applies it to a gradient.
    std::vector<uint8_t> kept(n);
    std::vector<float> with_mask(n), g(n), gx(n);
    dropout_kernel(x.data(), with_mask.data(), n, p, 9, 1234, kept.data());
    EXPECT_EQ(with_mask, y);
    for (int64_t i = 0; i < n; ++i) g[i] = 0.25f - static_cast<float>(i % 5);
    dropout_backward_kernel(g.data(), kept.data(), gx.data(), n, p);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(kept[i], uniform01(9, 1234 + i) < p ? 0 : 1) << "p " << p << " i " << i;
      ASSERT_EQ(gx[i], kept[i] ? g[i] * scale : 0.0f) << "p " << p << " i " << i;
    }
  }
}

TEST(Ops, DropoutBackwardAppliesTheForwardMask) {
  // Zeros in x (as after a ReLU) must still pass their gradient where kept, so the mask cannot
  // be read off the output.
  const int64_t n = 1000;
  const float p = 0.3f, scale = 1.0f / (1.0f - p);
  std::vector<float> xs(n);
  for (int64_t i = 0; i < n; ++i) xs[i] = i % 3 == 0 ? 0.0f : 0.01f * static_cast<float>(i);
  Tensor x = Tensor::from_vector(xs, {10, 100}).set_requires_grad();
  Tensor g = Tensor::randn({10, 100}, 3);
  manual_seed(7);
  dropout(x, p, true).backward(g);
  manual_seed(7);  // the same counters on ones: 0 where dropped
  const std::vector<float> mask = dropout(Tensor::ones({10, 100}), p, true).to_vector();
  const std::vector<float> gx = x.grad().to_vector(), gs = g.to_vector();
  int dropped_zeros = 0, kept_zeros = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(gx[i], mask[i] != 0.0f ? gs[i] * scale : 0.0f) << i;
    if (xs[i] == 0.0f) (mask[i] != 0.0f ? kept_zeros : dropped_zeros)++;
  }
  EXPECT_GT(kept_zeros, 0);  // the case the mask must cover
  EXPECT_GT(dropped_zeros, 0);
}

TEST(Ops, MatmulNogradFusesTheScaleExactly) {
  // As the attention core uses it: batched, the second operand a transposed view.
  Tensor q = Tensor::randn({2, 3, 5, 8}, 1), k = Tensor::randn({2, 3, 7, 8}, 2);
  const float scale = 1.0f / std::sqrt(8.0f);
  Tensor fused = matmul_nograd(q, k.transpose(-1, -2), scale);
  EXPECT_FALSE(fused.requires_grad());
  EXPECT_EQ(fused.to_vector(), mul(matmul(q, k.transpose(-1, -2)), scale).to_vector());
}

TEST(Ops, LayerNormSoftmaxDropoutDoNotDependOnThreads) {
  // Large enough for the parallel paths (kParallelGrain); each row or chunk has one owner.
  Tensor x = Tensor::randn({512, 96}, 3), w = Tensor::randn({96}, 4), b = Tensor::randn({96}, 5);
  Tensor s = Tensor::randn({4, 2, 64, 80}, 6);
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    Tensor xl = x.detach().set_requires_grad(), sl = s.detach().set_requires_grad();
    Tensor y = layer_norm(xl, w, b);
    manual_seed(1);
    Tensor p = dropout(softmax(sl, causal_mask(64, 80)), 0.1f, true);
    sum(mul(y, y)).backward();
    sum(mul(p, Tensor::randn(p.shape(), 7))).backward();
    std::vector<float> all = y.to_vector();
    for (const Tensor& t : {xl.grad(), p, sl.grad()}) {
      std::vector<float> more = t.to_vector();
      all.insert(all.end(), more.begin(), more.end());
    }
    return all;
  };
  std::vector<float> one = run(1), two = run(2);
  omp_set_num_threads(1);
  EXPECT_EQ(one, two);
}

TEST(Ops, EmbeddingRejectsOutOfRangeIds) {
  try {
    embedding(Tensor::ones({4, 2}), Tensor::from_ints({1, 4}, {2}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token id 4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace heed
