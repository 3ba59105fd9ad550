// mha: scaled dot-product multi-head attention with torch.nn.MultiheadAttention's parameters
// (packed in_proj_weight (3C, C), in_proj_bias (3C), out_proj.weight/bias) and semantics.
#include "framework/nn/init.h"
#include "framework/nn/layers.h"
#include "models/attention/attention.h"
#include "models/attention/heads.h"

namespace heed {
namespace {

class MultiheadAttention final : public Attention {
 public:
  explicit MultiheadAttention(const AttentionConfig& c)
      : d_model_(c.d_model), heads_(c.heads), dropout_(c.dropout) {
    check_attention_config(c, "mha");
    const int64_t C = d_model_;
    // Registration order = torch's state_dict order.
    in_proj_weight_ = register_parameter("in_proj_weight", Tensor::empty({3 * C, C}));
    in_proj_bias_ = register_parameter("in_proj_bias", Tensor::zeros({3 * C}));
    out_proj_ = register_module("out_proj", std::make_shared<Linear>(C, C));
    xavier_uniform_(in_proj_weight_);  // as torch's _reset_parameters
    zeros_(out_proj_->bias());
  }

  AttentionCapabilities capabilities() const override { return {.kv_cache = true}; }

  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const AttentionContext& ctx) override {
    check_attention_inputs(query, key, value, d_model_, "mha");
    const int64_t C = d_model_;
    Tensor qh, kh, vh;  // (B, H, T, D)
    if (query.same(key) && key.same(value)) {
      // Self-attention: one (B·T, C) x (C, 3C) product, then views (B, T, 3, H, D) -> 3 x (B, H, T,
      // D).
      const int64_t B = query.size(0), T = query.size(1);
      Tensor qkv =
          linear(query, in_proj_weight_, in_proj_bias_).view({B, T, 3, heads_, C / heads_});
      qkv = qkv.permute({2, 0, 3, 1, 4});
      qh = select(qkv, 0, 0);
      kh = select(qkv, 0, 1);
      vh = select(qkv, 0, 2);
    } else {
      qh = split_heads(linear(query, in_proj_weight_.slice(0, 0, C), in_proj_bias_.slice(0, 0, C)),
                       heads_);
      kh = split_heads(
          linear(key, in_proj_weight_.slice(0, C, 2 * C), in_proj_bias_.slice(0, C, 2 * C)),
          heads_);
      vh = split_heads(linear(value, in_proj_weight_.slice(0, 2 * C, 3 * C),
                              in_proj_bias_.slice(0, 2 * C, 3 * C)),
                       heads_);
    }
    std::tie(kh, vh) = append_to_cache(ctx.cache, kh, vh);
    Tensor mask = attention_mask(ctx, query.size(0), qh.size(2), kh.size(2));
    AttentionCoreOutput a =
        scaled_dot_product_attention(qh, kh, vh, Tensor(), mask, dropout_, is_training());
    AttentionOutput out{out_proj_->forward(merge_heads(a.out)), Tensor()};
    if (ctx.need_weights) out.weights = a.weights;
    return out;
  }

 private:
  int64_t d_model_, heads_;
  float dropout_;
  Tensor in_proj_weight_, in_proj_bias_;
  std::shared_ptr<Linear> out_proj_;
};

}  // namespace

HEED_REGISTER_ATTENTION(mha,
                        "scaled dot-product multi-head attention (torch.nn.MultiheadAttention)",
                        MultiheadAttention);

}  // namespace heed
