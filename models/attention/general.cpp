// general: Luong general attention (Luong, Pham & Manning 2015), score(q_i, k_j) = q_iᵀ W k_j
// with a learned W (C, C). We compute it as (W q_i) · k_j: W is a bias-free Linear on the
// queries (query_proj), keys stay unprojected, and both are split into heads, so head h scores
// (W q_i)_h · k_j,h: W mixes all of q's features into every head. Values and the output are
// projected (value_proj, out_proj). Unscaled, as Luong; option `scale: true` divides by √D.
#include "framework/nn/layers.h"
#include "models/attention/attention.h"
#include "models/attention/heads.h"

namespace heed {
namespace {

class GeneralAttention final : public Attention {
 public:
  explicit GeneralAttention(const AttentionConfig& c)
      : d_model_(c.d_model),
        heads_(c.heads),
        dropout_(c.dropout),
        scaled_(c.extra.get_bool("scale", false)) {
    check_attention_config(c, "general");
    query_proj_ =
        register_module("query_proj", std::make_shared<Linear>(d_model_, d_model_, false));  // W
    value_proj_ = register_module("value_proj", std::make_shared<Linear>(d_model_, d_model_));
    out_proj_ = register_module("out_proj", std::make_shared<Linear>(d_model_, d_model_));
  }

  AttentionCapabilities capabilities() const override { return {.kv_cache = true}; }

  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const AttentionContext& ctx) override {
    check_attention_inputs(query, key, value, d_model_, "general");
    Tensor qh = split_heads(query_proj_->forward(query), heads_);  // (B, H, Tq, D): W q
    Tensor kh = split_heads(key, heads_);                          // (B, H, Tk, D): raw k
    Tensor vh = split_heads(value_proj_->forward(value), heads_);
    std::tie(kh, vh) = append_to_cache(ctx.cache, kh, vh);
    Tensor mask = attention_mask(ctx, query.size(0), qh.size(2), kh.size(2));
    AttentionCoreOutput a = scaled_dot_product_attention(qh, kh, vh, Tensor(), mask, dropout_,
                                                         is_training(), scaled_ ? 0.0f : 1.0f);
    AttentionOutput out{out_proj_->forward(merge_heads(a.out)), Tensor()};
    if (ctx.need_weights) out.weights = a.weights;
    return out;
  }

 private:
  int64_t d_model_, heads_;
  float dropout_;
  bool scaled_;
  std::shared_ptr<Linear> query_proj_, value_proj_, out_proj_;
};

}  // namespace

HEED_REGISTER_ATTENTION(
    general, "Luong general attention: q^T W k with a learned W (unscaled unless scale: true)",
    GeneralAttention);

}  // namespace heed
