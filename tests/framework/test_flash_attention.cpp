// flash_attention against the unfused core (scaled_dot_product_attention): outputs and every
// gradient equal within fp32 rounding, with bias, masks, causal tiles, dropout, lengths that do
// not divide into tiles and non-contiguous inputs; and a finite-difference gradient check.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "framework/gradcheck.h"
#include "framework/ops.h"
#include "framework/random.h"
#include "tests/test_util.h"

namespace heed {
namespace {

using testing::input;

struct Case {
  Shape q, k, v;
  Shape bias;  // empty: none
  bool padding = false, causal = false;
  float dropout = 0;
};

// The largest |a − b| over all elements, relative to the largest |b| (at least 1).
double max_rel_diff(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector(), y = b.to_vector();
  EXPECT_EQ(x.size(), y.size());
  double diff = 0, big = 1;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(x[i] - y[i])));
    big = std::max(big, static_cast<double>(std::fabs(y[i])));
  }
  return diff / big;
}

// Runs both cores on the same inputs and generator state; compares out and the gradients of a
// weighted sum of out.
void expect_equal_cores(const Case& c) {
  std::vector<Tensor> flash_in, ref_in;
  const std::vector<Shape> shapes = {c.q, c.k, c.v};
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    flash_in.push_back(input(shapes[i], 10 + i));
    ref_in.push_back(input(shapes[i], 10 + i));
  }
  if (!c.bias.empty()) {
    flash_in.push_back(input(c.bias, 20));
    ref_in.push_back(input(c.bias, 20));
  }
  Tensor mask;
  const int64_t B = c.q[0], Tq = c.q[2], Tk = c.k[2];
  if (c.padding) {  // row b hides its last b keys
    std::vector<int64_t> pad(B * Tk, 0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = Tk - b; j < Tk; ++j) pad[b * Tk + j] = 1;
    mask = key_padding_mask(Tensor::from_ints(pad, {B, Tk}));
  }
  const Tensor bias_f = c.bias.empty() ? Tensor() : flash_in[3];
  const Tensor bias_r = c.bias.empty() ? Tensor() : ref_in[3];
  manual_seed(7);
  Tensor f = flash_attention(flash_in[0], flash_in[1], flash_in[2], bias_f, mask, c.dropout,
                             c.dropout > 0, 0.0f, c.causal);
  manual_seed(7);
  Tensor ref_mask = mask;
  if (c.causal) ref_mask = mask.defined() ? add(mask, causal_mask(Tq, Tk)) : causal_mask(Tq, Tk);
  Tensor r = scaled_dot_product_attention(ref_in[0], ref_in[1], ref_in[2], bias_r, ref_mask,
                                          c.dropout, c.dropout > 0)
                 .out;
  EXPECT_LT(max_rel_diff(f, r), 2e-6) << "out";
  const Tensor w = Tensor::randn(r.shape(), 99);
  sum(mul(f, w)).backward();
  sum(mul(r, w)).backward();
  const char* names[] = {"dq", "dk", "dv", "dbias"};
  for (std::size_t i = 0; i < flash_in.size(); ++i)
    EXPECT_LT(max_rel_diff(flash_in[i].grad(), ref_in[i].grad()), 2e-5) << names[i];
}

TEST(FlashAttention, EqualsTheUnfusedCoreOnOneTile) {
  expect_equal_cores({{2, 3, 5, 8}, {2, 3, 5, 8}, {2, 3, 5, 4}, {}});
}

TEST(FlashAttention, EqualsTheUnfusedCoreAcrossTilesWithBiasAndPadding) {
  // 70 queries and 130 keys: 2 and 3 tiles, neither a multiple of the tile.
  expect_equal_cores({{2, 2, 70, 8}, {2, 2, 130, 8}, {2, 2, 130, 6}, {2, 70, 130}, true});
}

TEST(FlashAttention, EqualsTheUnfusedCoreCausalAndSkipsHiddenTiles) {
  expect_equal_cores({{1, 2, 150, 8}, {1, 2, 150, 8}, {1, 2, 150, 8}, {}, false, true});
  expect_equal_cores({{2, 2, 40, 8}, {2, 2, 100, 8}, {2, 2, 100, 8}, {1, 2, 1, 100}, true, true});
}

TEST(FlashAttention, EqualsTheUnfusedCoreWithDropout) {
  // The same counters for each (b, h, i, j): the very same masks.
  expect_equal_cores(
      {{2, 2, 70, 8}, {2, 2, 90, 8}, {2, 2, 90, 8}, {2, 1, 70, 90}, true, false, 0.3f});
}

TEST(FlashAttention, FullyHiddenQueryGivesZerosAndFiniteGradients) {
  Tensor q = Tensor::randn({1, 1, 2, 4}, 1).set_requires_grad(),
         k = Tensor::randn({1, 1, 3, 4}, 2).set_requires_grad(), v = Tensor::randn({1, 1, 3, 4}, 3);
  const float ninf = -std::numeric_limits<float>::infinity();
  Tensor mask = Tensor::from_vector({ninf, ninf, ninf, 0, 0, ninf}, {2, 3});
  Tensor out = flash_attention(q, k, v, Tensor(), mask);
  std::vector<float> o = out.to_vector();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(o[i], 0.0f);
  sum(out).backward();
  for (float g : q.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
  for (float g : k.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
}

TEST(FlashAttention, NonContiguousInputs) {
  // (B, T, H, D) views permuted to (B, H, T, D), as the variants pass them.
  Tensor q = input({2, 9, 2, 4}, 1), k = input({2, 11, 2, 4}, 2), v = input({2, 11, 2, 4}, 3);
  auto heads = [](const Tensor& t) { return t.permute({0, 2, 1, 3}); };
  Tensor f = flash_attention(heads(q), heads(k), heads(v));
  Tensor r = scaled_dot_product_attention(heads(q), heads(k), heads(v)).out;
  EXPECT_LT(max_rel_diff(f, r), 2e-6);
}

TEST(FlashAttention, PassesGradcheck) {
  const Tensor pad = key_padding_mask(Tensor::from_ints({0, 0, 0, 0, 1, 0, 0, 0, 1, 1}, {2, 5}));
  const GradcheckReport r = gradcheck(
      [&](const std::vector<Tensor>& x) {
        manual_seed(3);  // the same dropout masks at every evaluation
        return flash_attention(x[0], x[1], x[2], x[3], pad, 0.2f, true, 0.0f, true);
      },
      {input({2, 2, 5, 3}, 1), input({2, 2, 5, 3}, 2), input({2, 2, 5, 4}, 3),
       input({2, 1, 5, 5}, 4)});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(FlashAttention, BadShapesAreErrors) {
  EXPECT_THROW(flash_attention(Tensor::randn({2, 3, 4}, 1), Tensor::randn({2, 3, 4}, 2),
                               Tensor::randn({2, 3, 4}, 3)),
               Error);
  EXPECT_THROW(flash_attention(Tensor::randn({1, 1, 4, 8}, 1), Tensor::randn({1, 1, 5, 8}, 2),
                               Tensor::randn({1, 1, 5, 8}, 3), Tensor::randn({1, 1, 4, 4}, 4)),
               Error);
}

}  // namespace
}  // namespace heed
