// A user's own attention variant, in the user's own project: cosine attention. Queries and keys
// are scaled to unit length per head, so a score is a cosine similarity times a fixed `scale`
// (the option `scale`, default 10): no score grows with the activations' norm.
//
// Nothing of heed is edited. The registration line at the bottom runs when this program starts;
// after it, make_attention("cosine", ...) creates the variant, heed's gradcheck checks it and a
// config selects it with `model: {attention: {type: cosine, scale: 8}}`, as any built-in one.
// Built only on heed's public headers (models/attention/attention.h, the framework's ops).
#include <memory>

#include "framework/nn/layers.h"
#include "framework/ops.h"
#include "models/attention/attention.h"

namespace {

using namespace heed;

class CosineAttention final : public Attention {
 public:
  explicit CosineAttention(const AttentionConfig& c)
      : scale_(static_cast<float>(c.extra.get_float("scale", 10.0, 1e-3, 1e3))),
        dropout_(c.dropout),
        d_model_(c.d_model),
        heads_(c.heads) {
    check_attention_config(c, "cosine");  // d_model divisible by heads, dropout in [0, 1)
    q_proj_ = register_module("q_proj", std::make_shared<Linear>(d_model_, d_model_));
    k_proj_ = register_module("k_proj", std::make_shared<Linear>(d_model_, d_model_));
    v_proj_ = register_module("v_proj", std::make_shared<Linear>(d_model_, d_model_));
    out_proj_ = register_module("out_proj", std::make_shared<Linear>(d_model_, d_model_));
  }

  // Weights, causal masks, cross-attention and key padding; no KV cache (decoding recomputes).
  AttentionCapabilities capabilities() const override { return {}; }

  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const AttentionContext& ctx) override {
    check_attention_inputs(query, key, value, d_model_, "cosine");
    Tensor q = unit(heads(q_proj_->forward(query)));  // (B, H, Tq, D)
    Tensor k = unit(heads(k_proj_->forward(key)));    // (B, H, Tk, D)
    Tensor v = heads(v_proj_->forward(value));        // (B, H, Tk, D)
    Tensor mask = attention_mask(ctx, query.size(0), q.size(2), k.size(2));
    AttentionCoreOutput a =
        scaled_dot_product_attention(q, k, v, Tensor(), mask, dropout_, is_training(), scale_);
    const int64_t B = a.out.size(0), T = a.out.size(2);
    AttentionOutput out{out_proj_->forward(reshape(a.out.permute({0, 2, 1, 3}), {B, T, d_model_})),
                        Tensor()};
    if (ctx.need_weights) out.weights = a.weights;
    return out;
  }

 private:
  // (B, T, C) -> (B, H, T, C/H).
  Tensor heads(const Tensor& x) const {
    return reshape(x, {x.size(0), x.size(1), heads_, d_model_ / heads_}).permute({0, 2, 1, 3});
  }
  // Each vector over the last dimension divided by its length (eps keeps zero vectors finite).
  static Tensor unit(const Tensor& x) {
    return div(x, sqrt(add(sum(mul(x, x), {3}, /*keepdim=*/true), 1e-6f)));
  }

  float scale_, dropout_;
  int64_t d_model_, heads_;
  std::shared_ptr<Linear> q_proj_, k_proj_, v_proj_, out_proj_;
};

}  // namespace

HEED_REGISTER_ATTENTION(cosine,
                        "cosine attention: unit-length queries and keys, scores times scale",
                        CosineAttention);
