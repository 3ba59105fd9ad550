#include "framework/ops/attention_core.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "framework/allocator.h"
#include "framework/autograd.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/iter.h"
#include "framework/ops/matmul.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/softmax.h"
#include "framework/random.h"

namespace heed {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// P̃ = dropout(P) again from P and the kept mask, for backward: the same products as the
// forward's dropout_kernel (P·1/(1−p) where kept), so the same bits.
Tensor redo_dropout(const Tensor& probs, const Buffer<uint8_t>& kept, float p) {
  Tensor dropped = Tensor::empty(probs.shape());
  dropout_backward_kernel(probs.data<float>(), kept.data(), dropped.data<float>(), probs.numel(),
                          p);
  return dropped;
}

// dP = dropout⁻¹(d dropout(P)), in place on grad (both (B, H, Tq, Tk), contiguous). Zero where
// dropped, and also where P itself is zero (the softmax backward multiplies the element by
// P = 0, so zeroing it changes nothing): the rule that read the mask off P̃ ≠ 0, kept so that
// results stay bit for bit those of the dropout kernel's own backward.
void unmask_dropout_gradient(const Tensor& probs, const Buffer<uint8_t>& kept, const Tensor& grad,
                             float p) {
  const float scale = 1.0f / (1.0f - p);
  const float* pr = probs.data<float>();
  const uint8_t* k = kept.data();
  float* g = grad.data<float>();
  const int64_t n = grad.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) g[i] = k[i] && pr[i] != 0.0f ? g[i] * scale : 0.0f;
}

}  // namespace

Shape check_attention_core_inputs(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& bias, const Tensor& mask, float dropout_p) {
  const std::string name = op;
  auto fail = [&](const std::string& why) {
    throw Error(name + ": " + why + " (q " + shape_str(q.shape()) + ", k " + shape_str(k.shape()) +
                ", v " + shape_str(v.shape()) + ")");
  };
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) fail("q, k, v must be (B, H, T, D)");
  if (q.size(0) != k.size(0) || q.size(0) != v.size(0)) fail("batch sizes differ");
  if (q.size(1) != k.size(1) || q.size(1) != v.size(1)) fail("head counts differ");
  if (q.size(3) != k.size(3)) fail("q and k head dims differ");
  if (k.size(2) != v.size(2)) fail("k and v lengths differ");
  if (!(dropout_p >= 0.0f && dropout_p < 1.0f)) throw Error(name + ": dropout must be in [0, 1)");
  const Shape scores = {q.size(0), q.size(1), q.size(2), k.size(2)};
  for (const Tensor* t : {&bias, &mask})
    if (t->defined() && broadcast_shapes(t->shape(), scores, "attention bias/mask") != scores)
      throw Error(name + ": bias/mask " + shape_str(t->shape()) + " does not broadcast to scores " +
                  shape_str(scores));
  return scores;
}

AttentionCoreOutput scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                                 const Tensor& bias, const Tensor& mask,
                                                 float dropout_p, bool training, float scale) {
  const Shape score_shape =
      check_attention_core_inputs("attention", q, k, v, bias, mask, dropout_p);
  const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), Tk = k.size(2), D = q.size(3);
  if (scale <= 0.0f) scale = 1.0f / std::sqrt(static_cast<float>(D));

  // Backward keeps P and, with dropout, a byte per score saying whether it was kept: P̃ is
  // made again when needed, rather than held from forward to backward (4 bytes per score).
  Tensor probs;
  std::shared_ptr<Buffer<uint8_t>> kept;
  const bool use_dropout = training && dropout_p > 0.0f;
  const bool recording = needs_grad({&q, &k, &v, &bias});
  Tensor out;
  {
    NoGradGuard no_grad;
    Tensor qd = q.detach(), kd = k.detach(), vd = v.detach();
    // The (B, H, Tq, Tk) score tensors are the largest of a long sequence: the scale is fused into
    // the product and softmax runs in place, so S takes no extra passes or buffers.
    Tensor scores = matmul_nograd(qd, transpose(kd, -1, -2), scale);  // contiguous
    if (bias.defined()) add_(scores, bias.detach());
    if (mask.defined()) add_(scores, mask.detach());
    probs = scores;
    softmax_rows(scores.data<float>(), probs.data<float>(), B * H * Tq, Tk);
    Tensor dropped = probs;
    if (use_dropout) {
      const uint64_t seed = global_rng().seed;
      const uint64_t base = rng_reserve_batch(static_cast<uint64_t>(probs.numel()), B);
      dropped = Tensor::empty(score_shape);
      if (recording) kept = std::make_shared<Buffer<uint8_t>>(probs.numel());
      dropout_kernel(probs.data<float>(), dropped.data<float>(), probs.numel(), dropout_p, seed,
                     base, kept ? kept->data() : nullptr);
    }
    out = matmul(dropped, vd);  // (B, H, Tq, Dv)
  }
  std::vector<Tensor> inputs = {q, k, v};
  if (bias.defined()) inputs.push_back(bias);
  out = record(out, "scaled_dot_product_attention", inputs,
               [q, k, v, bias, probs, kept, dropout_p, scale,
                score_shape](const Tensor& g) -> std::vector<Tensor> {
                 // dV = P̃ᵀ·dO; dP̃ = dO·Vᵀ; dP = dropout⁻(dP̃); dS = P ⊙ (dP − rowsum(dP ⊙ P));
                 // dq = dS·k·scale; dk = dSᵀ·q·scale; dbias = dS summed to its shape.
                 Tensor qd = q.detach(), kd = k.detach(), vd = v.detach();
                 Tensor gv, gq, gk, gb;
                 if (v.requires_grad()) {
                   const Tensor dropped = kept ? redo_dropout(probs, *kept, dropout_p) : probs;
                   gv = matmul(transpose(dropped, -1, -2), g);
                 }
                 Tensor dp = matmul(g, transpose(vd, -1, -2));  // contiguous (B, H, Tq, Tk)
                 if (kept) unmask_dropout_gradient(probs, *kept, dp, dropout_p);
                 Tensor ds = dp;  // the softmax backward reads each row of dP before writing it
                 const int64_t tk = score_shape[3];
                 softmax_rows_backward(probs.data<float>(), dp.data<float>(), ds.data<float>(),
                                       dp.numel() / std::max<int64_t>(tk, 1), tk);
                 if (bias.defined() && bias.requires_grad()) gb = sum_to(ds, bias.shape());
                 if (q.requires_grad()) gq = matmul_nograd(ds, kd, scale);
                 if (k.requires_grad()) gk = matmul_nograd(transpose(ds, -1, -2), qd, scale);
                 std::vector<Tensor> grads = {gq, gk, gv};
                 if (bias.defined()) grads.push_back(gb);
                 return grads;
               });
  return {out, probs};
}

Tensor causal_mask(int64_t tq, int64_t tk) {
  Tensor m = Tensor::zeros({tq, tk});
  float* p = m.data<float>();
  const int64_t shift = tk - tq;
  for (int64_t i = 0; i < tq; ++i)
    for (int64_t j = i + shift + 1; j < tk; ++j) p[i * tk + j] = kNegInf;
  return m;
}

Tensor key_padding_mask(const Tensor& padding) {
  if (padding.dim() != 2)
    throw Error("key_padding_mask: padding must be (B, Tk), got " + shape_str(padding.shape()));
  std::vector<float> v = padding.to_vector();
  for (float& x : v) x = x != 0 ? kNegInf : 0.0f;
  return Tensor::from_vector(v, {padding.size(0), 1, 1, padding.size(1)});
}

}  // namespace heed
