// dot and general: Luong attention (Luong, Pham & Manning 2015), with heads.
//   dot:     score(q_i, k_j) = q_i · k_j
//   general: score(q_i, k_j) = q_iᵀ W k_j with a learned W (C, C)
// Keys are NOT projected: heads are split straight from the inputs, so what scores is the
// model's hidden state itself, as in Luong's decoder. general computes its score as
// (W q_i) · k_j: W is a bias-free Linear on the queries (query_proj) before the heads are split,
// so head h scores (W q_i)_h · k_j,h and W mixes all of q's features into every head; dot's
// queries are raw too. Values and the output are projected (value_proj, out_proj). Luong does
// not scale scores by 1/√D; option `scale: true` does, as in the transformer. Dot-product
// scores make the shared attention core apply directly.
#include "framework/nn/layers.h"
#include "models/attention/heads.h"
#include "models/attention/skeleton.h"

namespace heed {
namespace {

template <bool kGeneral>
class LuongAttention final : public AttentionSkeleton {
 public:
  explicit LuongAttention(const AttentionConfig& c)
      : AttentionSkeleton(c, kGeneral ? "general" : "dot") {
    // scale_ 0 asks the core for 1/√D; 1 leaves Luong's raw dot product.
    scale_ = c.extra.get_bool("scale", false) ? 0.0f : 1.0f;
    const int64_t C = d_model_;
    if (kGeneral)
      query_proj_ = register_module("query_proj", std::make_shared<Linear>(C, C, false));
    value_proj_ = register_module("value_proj", std::make_shared<Linear>(C, C));
    out_proj_ = register_module("out_proj", std::make_shared<Linear>(C, C));
  }

 private:
  std::array<Tensor, 3> project(const Tensor& query, const Tensor& key, const Tensor& value,
                                const AttentionContext&) override {
    Tensor q = kGeneral ? query_proj_->forward(query) : query;  // (B, Tq, C): W q or raw q
    return {split_heads(q, heads_), split_heads(key, heads_),   // raw k
            split_heads(value_proj_->forward(value), heads_)};
  }
  Tensor output(const Tensor& heads) override { return out_proj_->forward(merge_heads(heads)); }

  std::shared_ptr<Linear> query_proj_;  // W, general only
  std::shared_ptr<Linear> value_proj_, out_proj_;
};

}  // namespace

HEED_REGISTER_ATTENTION(
    dot, "Luong dot attention: unprojected q . k per head (unscaled unless scale: true)",
    LuongAttention<false>);
HEED_REGISTER_ATTENTION(
    general, "Luong general attention: q^T W k with a learned W (unscaled unless scale: true)",
    LuongAttention<true>);

}  // namespace heed
