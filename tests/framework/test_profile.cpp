// framework/profile.h: per-op times while profiling, nothing otherwise; the FLOP count.
#include <gtest/gtest.h>

#include <algorithm>

#include "framework/ops.h"
#include "framework/ops/flash_attention.h"
#include "framework/profile.h"

namespace heed {
namespace {

const OpTime* find(const std::vector<OpTime>& rows, const std::string& name) {
  auto it = std::find_if(rows.begin(), rows.end(), [&](const OpTime& r) { return r.name == name; });
  return it == rows.end() ? nullptr : &*it;
}

TEST(Profile, TimesEachOpsForwardAndBackwardOnlyWhileOn) {
  Tensor a = Tensor::randn({8, 16}, 1).set_requires_grad();
  Tensor b = Tensor::randn({16, 4}, 2).set_requires_grad();
  profile_start();
  Tensor loss = sum(relu(matmul(a, b)));
  profile_phase("(between)");
  loss.backward();
  profile_stop();
  const std::vector<OpTime> rows = profile_table();
  for (const char* op : {"matmul", "relu", "sum"}) {
    const OpTime* r = find(rows, op);
    ASSERT_NE(r, nullptr) << op;
    EXPECT_EQ(r->calls, 1) << op;
    EXPECT_GT(r->forward_s, 0) << op;
    EXPECT_GT(r->backward_s, 0) << op;
  }
  // The product's flops go to matmul: (8,16)x(16,4) forward, then both input gradients.
  EXPECT_DOUBLE_EQ(find(rows, "matmul")->flops, 3 * 2.0 * 8 * 16 * 4);
  EXPECT_EQ(find(rows, "relu")->flops, 0);
  EXPECT_EQ(find(rows, "sum")->flops, 0);
  ASSERT_NE(find(rows, "(between)"), nullptr);
  EXPECT_EQ(find(rows, "(between)")->calls, 0);  // a phase is not an op call
  for (std::size_t i = 1; i < rows.size(); ++i)  // largest total first
    EXPECT_GE(rows[i - 1].forward_s + rows[i - 1].backward_s,
              rows[i].forward_s + rows[i].backward_s);

  sum(matmul(a, b)).backward();  // off: the table stays as it was
  EXPECT_EQ(find(profile_table(), "matmul")->calls, 1);
  EXPECT_FALSE(profiling());
}

TEST(Profile, CountsTwoMNKFlopsPerProductAndTheAttentionTiles) {
  const double before = flops_counted();
  matmul(Tensor::randn({2, 3}, 1), Tensor::randn({3, 4}, 2));
  EXPECT_DOUBLE_EQ(flops_counted() - before, 2.0 * 2 * 4 * 3);

  // (B, H, T, D) = (1, 2, 100, 8): q·kᵀ and P·v over every (query, key) pair, forward only.
  Tensor q = Tensor::randn({1, 2, 100, 8}, 3), k = Tensor::randn({1, 2, 100, 8}, 4),
         v = Tensor::randn({1, 2, 100, 8}, 5);
  const double mid = flops_counted();
  flash_attention(q, k, v);
  EXPECT_DOUBLE_EQ(flops_counted() - mid, 2.0 * 2 * 100 * 100 * (8 + 8));
}

}  // namespace
}  // namespace heed
