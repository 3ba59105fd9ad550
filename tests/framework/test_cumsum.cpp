// Forward values of the prefix-sum ops (their gradchecks are in test_ops.cpp's table).
#include <gtest/gtest.h>

#include "framework/ops.h"
#include "tests/test_util.h"

namespace heed {
namespace {

using testing::expect_values;

TEST(Cumsum, SumsPrefixesAlongTheGivenDimension) {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_values(cumsum(x, 1), {1, 3, 6, 4, 9, 15});
  expect_values(cumsum(x, 0), {1, 2, 3, 5, 7, 9});
  expect_values(cumsum(x.transpose(0, 1), -1), {1, 5, 2, 7, 3, 9});
  Tensor g = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor leaf = x.detach().set_requires_grad();
  cumsum(leaf, 1).backward(g);  // reverse cumulative sums of g
  expect_values(leaf.grad(), {6, 5, 3, 15, 11, 6});
  EXPECT_THROW(cumsum(x, 2), Error);
}

// out_i = Σ_{j ≤ i + Tk − Tq} (q_i · k_j) v_j, written out.
std::vector<float> naive_causal_dot_product(const Tensor& q, const Tensor& k, const Tensor& v) {
  const int64_t N = q.size(0), Tq = q.size(1), Tk = k.size(1), D = q.size(2), Dv = v.size(2);
  std::vector<float> qv = q.to_vector(), kv = k.to_vector(), vv = v.to_vector(),
                     out(N * Tq * Dv, 0.0f);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < Tq; ++i)
      for (int64_t j = 0; j <= i + Tk - Tq && j < Tk; ++j) {
        double s = 0;
        for (int64_t d = 0; d < D; ++d)
          s += double(qv[(n * Tq + i) * D + d]) * kv[(n * Tk + j) * D + d];
        for (int64_t e = 0; e < Dv; ++e)
          out[(n * Tq + i) * Dv + e] += float(s * vv[(n * Tk + j) * Dv + e]);
      }
  return out;
}

TEST(CausalDotProduct, MatchesTheQuadraticSum) {
  for (auto [tq, tk] :
       {std::pair<int64_t, int64_t>{5, 5}, {3, 7}, {6, 4}}) {  // {6, 4}: first queries see nothing
    Tensor q = Tensor::randn({3, tq, 4}, 1), k = Tensor::randn({3, tk, 4}, 2),
           v = Tensor::randn({3, tk, 5}, 3);
    expect_values(causal_dot_product(q, k, v), naive_causal_dot_product(q, k, v), 1e-4f);
  }
  EXPECT_THROW(
      causal_dot_product(Tensor::ones({2, 3, 4}), Tensor::ones({2, 3, 5}), Tensor::ones({2, 3, 4})),
      Error);
}

}  // namespace
}  // namespace heed
