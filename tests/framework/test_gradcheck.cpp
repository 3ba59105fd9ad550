// The gradcheck harness itself: it passes correct ops and catches a backward off by 1%.
#include <gtest/gtest.h>

#include "framework/autograd.h"
#include "framework/ops.h"
#include "tests/test_util.h"

namespace heed {
namespace {

// exp with its backward scaled by `scale`: a deliberately wrong op.
Tensor scaled_backward_exp(const Tensor& x, float scale) {
  Tensor out;
  {
    NoGradGuard g;
    out = exp(x);
  }
  return record(out, "bad_exp", {x}, [out, scale](const Tensor& g) -> std::vector<Tensor> {
    return {mul(mul(g, out.detach()), scale)};
  });
}

TEST(Gradcheck, PassesACorrectOp) {
  Tensor x = testing::input({3, 4}, 1, 0.5f);
  auto r = gradcheck([](const std::vector<Tensor>& in) { return scaled_backward_exp(in[0], 1.0f); },
                     {x});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Gradcheck, CatchesABackwardScaledBy1Percent) {
  Tensor x = testing::input({3, 4}, 1, 0.5f);
  auto r = gradcheck(
      [](const std::vector<Tensor>& in) { return scaled_backward_exp(in[0], 1.01f); }, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("relative error"), std::string::npos) << r.message;
}

TEST(Gradcheck, CatchesAWrongSoftmaxBackwardThatASumWouldHide) {
  // softmax rows sum to 1, so d(sum)/dx = 0 for any backward that returns zeros.
  Tensor x = testing::input({2, 5}, 3);
  auto zero_backward = [](const std::vector<Tensor>& in) {
    Tensor out;
    {
      NoGradGuard g;
      out = softmax(in[0]);
    }
    return record(out, "bad_softmax", {in[0]}, [](const Tensor& g) -> std::vector<Tensor> {
      return {Tensor::zeros(g.shape())};
    });
  };
  EXPECT_FALSE(gradcheck(zero_backward, {x}).ok);
}

TEST(Gradcheck, ReportsTheWorstElement) {
  Tensor x = testing::input({2, 2}, 4);
  auto r = gradcheck([](const std::vector<Tensor>& in) { return scaled_backward_exp(in[0], 1.5f); },
                     {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.worst.find("input 0 ["), std::string::npos) << r.worst;
}

}  // namespace
}  // namespace heed
