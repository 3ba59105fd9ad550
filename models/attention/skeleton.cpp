#include "models/attention/skeleton.h"

#include "framework/ops/flash_attention.h"
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
  // Only the unfused core has the (B, H, Tq, Tk) weights to return.
  if (ctx.need_weights || kh.size(2) <= unfused_attention_max_keys())
    return scaled_dot_product_attention(qh, kh, vh, bias, visible_mask(qh, kh, ctx), dropout_,
                                        is_training(), scale_);
  // The tiled core applies the causal rule itself, without a (Tq, Tk) mask, and skips the tiles
  // it hides entirely.
  return {flash_attention(qh, kh, vh, bias, noncausal_mask(qh, kh, ctx), dropout_, is_training(),
                          scale_, ctx.causal),
          Tensor()};
}

namespace {
// Over at most two key tiles the unfused core's scores are small and its batched oneDNN products
// beat the tiles' small Eigen ones (one mha layer, forward and backward, B = 64, 2 threads: 8.8
// against 12.7 ms at T = 32, 60 against 65 at T = 128, 215 against 165 at T = 256;
// bench_attention_scaling --batch 64 --unfused-max-keys 0, docs/benchmarks.md).
int64_t g_unfused_max_keys = 128;
}  // namespace

void set_unfused_attention_max_keys(int64_t keys) {
  g_unfused_max_keys = keys;
}

int64_t unfused_attention_max_keys() {
  return g_unfused_max_keys;
}

Tensor AttentionSkeleton::score_bias(const Tensor&, const Tensor&, const AttentionContext&) const {
  return Tensor();
}

Tensor AttentionSkeleton::noncausal_mask(const Tensor& qh, const Tensor& kh,
                                         const AttentionContext& ctx) const {
  return padding_mask(ctx, qh.size(0), kh.size(2));
}

Tensor AttentionSkeleton::visible_mask(const Tensor& qh, const Tensor& kh,
                                       const AttentionContext& ctx) const {
  return with_causal_rule(noncausal_mask(qh, kh, ctx), ctx, qh.size(2), kh.size(2));
}

}  // namespace heed
