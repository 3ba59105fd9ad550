#include "models/attention/skeleton.h"

#include "models/attention/heads.h"

namespace heed {

AttentionSkeleton::AttentionSkeleton(const AttentionConfig& c, const char* name)
    : name_(name), d_model_(c.d_model), heads_(c.heads), dropout_(c.dropout) {
  check_attention_config(c, name);
}

AttentionOutput AttentionSkeleton::forward(const Tensor& query, const Tensor& key,
                                           const Tensor& value, const AttentionContext& ctx) {
  check_inputs(query, key, value, ctx);
  auto [qh, kh, vh] = project(query, key, value, ctx);  // (B, H, T, D)
  std::tie(kh, vh) = append_to_cache(ctx.cache, kh, vh);
  AttentionCoreOutput a = attend(qh, kh, vh, ctx);
  AttentionOutput out{output(a.out), Tensor()};
  if (ctx.need_weights) out.weights = a.weights;
  return out;
}

void AttentionSkeleton::check_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const AttentionContext&) const {
  check_attention_inputs(query, key, value, d_model_, name_);
}

AttentionCoreOutput AttentionSkeleton::attend(const Tensor& qh, const Tensor& kh, const Tensor& vh,
                                              const AttentionContext& ctx) {
  Tensor bias = score_bias(qh, kh, ctx);
  Tensor mask = score_mask(qh, kh, ctx);
  return scaled_dot_product_attention(qh, kh, vh, bias, mask, dropout_, is_training(), scale_);
}

Tensor AttentionSkeleton::score_bias(const Tensor&, const Tensor&, const AttentionContext&) const {
  return Tensor();
}

Tensor AttentionSkeleton::score_mask(const Tensor& qh, const Tensor& kh,
                                     const AttentionContext& ctx) const {
  return attention_mask(ctx, qh.size(0), qh.size(2), kh.size(2));
}

}  // namespace heed
