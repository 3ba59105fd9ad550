// `heed gradcheck`'s engine: every setting of a variant is checked, and a wrong backward fails.
#include <gtest/gtest.h>

#include "framework/autograd.h"
#include "framework/ops.h"
#include "models/attention/attention.h"
#include "models/attention/gradcheck_variant.h"

namespace heed {
namespace {

// mha whose output passes through an identity with a backward scaled by 1.01: a variant
// with a subtly wrong gradient, which the check must catch.
class WrongBackwardAttention : public Attention {
 public:
  explicit WrongBackwardAttention(const AttentionConfig& c) : inner_(make_attention("mha", c)) {
    register_module("inner", inner_);
  }
  AttentionOutput forward(const Tensor& q, const Tensor& k, const Tensor& v,
                          const AttentionContext& ctx) override {
    AttentionOutput o = inner_->forward(q, k, v, ctx);
    Tensor y = o.out.detach().clone();
    o.out = record(y, "wrong_identity", {o.out},
                   [](const Tensor& g) -> std::vector<Tensor> { return {mul(g, 1.01f)}; });
    return o;
  }
  AttentionCapabilities capabilities() const override { return inner_->capabilities(); }

 private:
  std::shared_ptr<Attention> inner_;
};
HEED_REGISTER_ATTENTION(test_wrong_backward, "test only: mha with a backward off by 1%",
                        WrongBackwardAttention);

TEST(GradcheckVariant, ChecksEverySettingTheCapabilitiesAllow) {
  std::vector<VariantGradcheckCase> cases = gradcheck_variant("mha");
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[0].setting, "self");
  EXPECT_EQ(cases[1].setting, "cross");
  EXPECT_EQ(cases[2].setting, "causal+padding+dropout");
  EXPECT_EQ(cases[0].inputs, 1 + 4);  // x + in_proj weight/bias + out_proj weight/bias
  EXPECT_EQ(cases[1].inputs, 3 + 4);
  for (const auto& c : cases) EXPECT_TRUE(c.report.ok) << c.setting << ": " << c.report.message;
}

TEST(GradcheckVariant, SelfOnlyVariantsSkipCross) {
  std::vector<VariantGradcheckCase> cases = gradcheck_variant("window", {{"width", "2"}});
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[1].setting, "causal+padding+dropout");
  for (const auto& c : cases) EXPECT_TRUE(c.report.ok) << c.setting << ": " << c.report.message;
}

// Variants that need a tree are checked over two small random trees (one padded), in every
// setting but cross attention, which they do not support.
TEST(GradcheckVariant, TreeVariantsAreCheckedOnRandomTrees) {
  for (const auto& [name, extra] : std::vector<std::pair<std::string, Options>>{
           {"tree_mask", {}},
           {"tree_mask", {{"relations", "ancestors,descendants"}}},
           {"tree_distance", {{"directional", "true"}, {"max_distance", "2"}}}}) {
    SCOPED_TRACE(name);
    std::vector<VariantGradcheckCase> cases = gradcheck_variant(name, extra);
    ASSERT_EQ(cases.size(), 2u);
    EXPECT_EQ(cases[0].setting, "self");
    EXPECT_EQ(cases[1].setting, "causal+padding+dropout");
    for (const auto& c : cases) EXPECT_TRUE(c.report.ok) << c.setting << ": " << c.report.message;
  }
}

TEST(GradcheckVariant, CatchesABackwardOffByOnePercent) {
  std::vector<VariantGradcheckCase> cases = gradcheck_variant("test_wrong_backward");
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) EXPECT_FALSE(c.report.ok) << c.setting;
}

TEST(GradcheckVariant, UnknownVariantOrOptionIsAnError) {
  EXPECT_THROW(gradcheck_variant("no_such_variant"), Error);
  try {
    gradcheck_variant("window", {{"no_such_option", "1"}});
    FAIL() << "accepted an unknown option";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_option"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace heed
