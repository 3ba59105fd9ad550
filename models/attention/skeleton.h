// The forward pass every attention variant shares, written once:
//
//   check the inputs -> project q, k, v into heads -> append k, v to the KV cache ->
//   attend (scores + bias + mask, softmax, dropout, · v) -> output projection -> weights
//
// A variant derives from AttentionSkeleton (or PackedAttention, for mha's projections) and
// overrides only the step it changes: score_bias (alibi, relative), noncausal_mask (topk, tree
// variants), project (rotary, Luong, additive), attend (additive, linear, window) or
// check_inputs (window, tree variants). The hooks run in the order above, once per forward.
#pragma once

#include <array>
#include <limits>

#include "framework/ops.h"
#include "models/attention/attention.h"
#include "models/attention/projection.h"

namespace heed {

// What an additive score mask holds where a query may not look: exp(−inf) = 0 weight.
inline constexpr float kMaskedScore = -std::numeric_limits<float>::infinity();

class AttentionSkeleton : public Attention {
 public:
  // query: (B, Tq, C), key and value: (B, Tk, C) -> out (B, Tq, C), weights (B, H, Tq, Tk).
  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const AttentionContext& ctx) final;
  // Most variants decode incrementally: the skeleton appends to ctx.cache for them.
  AttentionCapabilities capabilities() const override { return {.kv_cache = true}; }

 protected:
  // Checks the config; errors, here and in the hooks, start with `name`.
  AttentionSkeleton(const AttentionConfig& c, const char* name);

  // Throws heed::Error on inputs this variant cannot take. Default: (B, T, d_model) each.
  virtual void check_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                            const AttentionContext& ctx) const;
  // -> q: (B, H, Tq, D), k, v: (B, H, Tk, D), before the cache is appended to.
  virtual std::array<Tensor, 3> project(const Tensor& query, const Tensor& key, const Tensor& value,
                                        const AttentionContext& ctx) = 0;
  // heads: (B, H, Tq, D) -> (B, Tq, C).
  virtual Tensor output(const Tensor& heads) = 0;
  // Heads (k, v with the cache's keys) -> out (B, H, Tq, D) and weights (B, H, Tq, Tk) or
  // undefined. Default: the tiled core (flash_attention) over score_bias and noncausal_mask, scaled
  // by scale_; the unfused core over visible_mask when ctx.need_weights asks for the weights or
  // the keys are few (at most 128, where it is faster). The two agree within fp32 rounding,
  // dropout included.
  virtual AttentionCoreOutput attend(const Tensor& qh, const Tensor& kh, const Tensor& vh,
                                     const AttentionContext& ctx);
  // Added to the scores, may be learned: broadcastable to (B, H, Tq, Tk). Default: none.
  virtual Tensor score_bias(const Tensor& qh, const Tensor& kh, const AttentionContext& ctx) const;
  // Additive constant, 0 keeps and −inf hides: broadcastable to (B, H, Tq, Tk), for what is
  // hidden besides ctx's causal rule, which attend applies on top. Default: ctx's key padding.
  // An override may include the causal rule too (topk does, to choose among visible keys).
  virtual Tensor noncausal_mask(const Tensor& qh, const Tensor& kh,
                                const AttentionContext& ctx) const;
  // noncausal_mask with ctx's causal rule added: everything a query may not see, for cores that
  // take the whole rule as one mask.
  Tensor visible_mask(const Tensor& qh, const Tensor& kh, const AttentionContext& ctx) const;

  const char* name_;
  int64_t d_model_, heads_;
  float dropout_;       // on the weights, in training mode
  float scale_ = 0.0f;  // of q·k in the default attend; 0 means 1/√D
};

// The variants with mha's parameters (PackedProjection: in_proj_weight, in_proj_bias, out_proj,
// registered first, in torch's order), which change only how heads attend.
class PackedAttention : public AttentionSkeleton {
 protected:
  PackedAttention(const AttentionConfig& c, const char* name)
      : AttentionSkeleton(c, name), proj_(*this, c, name) {}

  std::array<Tensor, 3> project(const Tensor& query, const Tensor& key, const Tensor& value,
                                const AttentionContext&) override {
    return proj_.project(query, key, value);
  }
  Tensor output(const Tensor& heads) override { return proj_.output(heads); }

  PackedProjection proj_;
};

}  // namespace heed
