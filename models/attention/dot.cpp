// dot: Luong dot attention (Luong, Pham & Manning 2015), score(q_i, k_j) = q_i · k_j, with heads.
// Queries and keys are NOT projected: heads are split straight from the inputs, so what scores
// is the model's hidden state itself, as in Luong's decoder; values and the output are projected
// (value_proj, out_proj). Luong does not scale scores by 1/√D; option `scale: true` does, as in
// the transformer. Dot-product scores make the shared attention core apply directly.
#include "framework/nn/layers.h"
#include "models/attention/attention.h"
#include "models/attention/heads.h"

namespace heed {
namespace {

class DotAttention final : public Attention {
 public:
  explicit DotAttention(const AttentionConfig& c)
      : d_model_(c.d_model),
        heads_(c.heads),
        dropout_(c.dropout),
        scaled_(c.extra.get_bool("scale", false)) {
    check_attention_config(c, "dot");
    value_proj_ = register_module("value_proj", std::make_shared<Linear>(d_model_, d_model_));
    out_proj_ = register_module("out_proj", std::make_shared<Linear>(d_model_, d_model_));
  }

  AttentionCapabilities capabilities() const override { return {.kv_cache = true}; }

  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const AttentionContext& ctx) override {
    check_attention_inputs(query, key, value, d_model_, "dot");
    Tensor qh = split_heads(query, heads_), kh = split_heads(key, heads_);  // (B, H, T, D), raw
    Tensor vh = split_heads(value_proj_->forward(value), heads_);
    std::tie(kh, vh) = append_to_cache(ctx.cache, kh, vh);
    Tensor mask = attention_mask(ctx, query.size(0), qh.size(2), kh.size(2));
    // scale 0 asks the core for 1/√D; 1 leaves Luong's raw dot product.
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
  std::shared_ptr<Linear> value_proj_, out_proj_;
};

}  // namespace

HEED_REGISTER_ATTENTION(
    dot, "Luong dot attention: unprojected q . k per head (unscaled unless scale: true)",
    DotAttention);

}  // namespace heed
