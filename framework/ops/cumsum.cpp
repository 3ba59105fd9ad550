#include "framework/ops/cumsum.h"

#include <algorithm>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/iter.h"
#include "framework/ops/shape.h"

namespace heed {
namespace {

// ---- kernels ----

// x, y: contiguous, viewed as (outer, n, inner). y[o, i, :] = Σ_{j ≤ i} x[o, j, :], or
// Σ_{j ≥ i} when `reverse` (the backward). Each (o, :) block is one thread's, in a fixed order.
void cumsum_forward(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                    bool reverse) {
#pragma omp parallel for schedule(static) if (outer > 1 && outer * n * inner >= kParallelGrain)
  for (int64_t o = 0; o < outer; ++o) {
    const float* xo = x + o * n * inner;
    float* yo = y + o * n * inner;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t i = reverse ? n - 1 - s : s;
      const float* xi = xo + i * inner;
      float* yi = yo + i * inner;
      if (s == 0) {
        std::copy(xi, xi + inner, yi);
      } else {
        const float* prev = yo + (reverse ? i + 1 : i - 1) * inner;
        for (int64_t c = 0; c < inner; ++c) yi[c] = prev[c] + xi[c];
      }
    }
  }
}

// S (D, Dv) += a bᵀ, for a (D) and b (Dv).
void add_outer(float* S, const float* a, const float* b, int64_t D, int64_t Dv) {
  for (int64_t d = 0; d < D; ++d) {
    const float ad = a[d];
    float* row = S + d * Dv;
    for (int64_t e = 0; e < Dv; ++e) row[e] += ad * b[e];
  }
}

// out (D) = S x, for S (D, Dv) and x (Dv).
void times_vector(const float* S, const float* x, float* out, int64_t D, int64_t Dv) {
  for (int64_t d = 0; d < D; ++d) {
    const float* row = S + d * Dv;
    float acc = 0.0f;
    for (int64_t e = 0; e < Dv; ++e) acc += row[e] * x[e];
    out[d] = acc;
  }
}

// out (Dv) = Sᵀ x, for S (D, Dv) and x (D).
void transposed_times_vector(const float* S, const float* x, float* out, int64_t D, int64_t Dv) {
  std::fill(out, out + Dv, 0.0f);
  for (int64_t d = 0; d < D; ++d) {
    const float xd = x[d];
    const float* row = S + d * Dv;
    for (int64_t e = 0; e < Dv; ++e) out[e] += xd * row[e];
  }
}

// q: (N, Tq, D), k: (N, Tk, D), v: (N, Tk, Dv), out: (N, Tq, Dv), all contiguous.
// out_i = (Σ_{j ≤ i + shift} k_j v_jᵀ)ᵀ q_i with shift = Tk − Tq; S (D, Dv) is the running sum.
void causal_dot_product_forward(const float* q, const float* k, const float* v, float* out,
                                int64_t N, int64_t Tq, int64_t Tk, int64_t D, int64_t Dv) {
  const int64_t shift = Tk - Tq;
#pragma omp parallel for schedule(static) if (N > 1 && N * (Tq + Tk) * D * Dv >= kParallelGrain)
  for (int64_t b = 0; b < N; ++b) {
    std::vector<float> S(D * Dv, 0.0f);
    const float *qb = q + b * Tq * D, *kb = k + b * Tk * D, *vb = v + b * Tk * Dv;
    float* ob = out + b * Tq * Dv;
    int64_t j = 0;
    for (int64_t i = 0; i < Tq; ++i) {
      for (; j < Tk && j <= i + shift; ++j) add_outer(S.data(), kb + j * D, vb + j * Dv, D, Dv);
      transposed_times_vector(S.data(), qb + i * D, ob + i * Dv, D, Dv);
    }
  }
}

// g: (N, Tq, Dv) -> gq: (N, Tq, D), gk: (N, Tk, D), gv: (N, Tk, Dv) (each may be null).
//   gq_i = S_i g_i               with S_i = Σ_{j ≤ i + shift} k_j v_jᵀ   (forward sweep)
//   gk_j = R_j v_j, gv_j = R_jᵀ k_j  with R_j = Σ_{i ≥ j − shift} q_i g_iᵀ (backward sweep)
void causal_dot_product_backward(const float* q, const float* k, const float* v, const float* g,
                                 float* gq, float* gk, float* gv, int64_t N, int64_t Tq, int64_t Tk,
                                 int64_t D, int64_t Dv) {
  const int64_t shift = Tk - Tq;
#pragma omp parallel for schedule(static) if (N > 1 && N * (Tq + Tk) * D * Dv >= kParallelGrain)
  for (int64_t b = 0; b < N; ++b) {
    std::vector<float> S(D * Dv, 0.0f);
    const float *qb = q + b * Tq * D, *kb = k + b * Tk * D, *vb = v + b * Tk * Dv,
                *gb = g + b * Tq * Dv;
    if (gq) {
      float* gqb = gq + b * Tq * D;
      int64_t j = 0;
      for (int64_t i = 0; i < Tq; ++i) {
        for (; j < Tk && j <= i + shift; ++j) add_outer(S.data(), kb + j * D, vb + j * Dv, D, Dv);
        times_vector(S.data(), gb + i * Dv, gqb + i * D, D, Dv);
      }
    }
    if (!gk && !gv) continue;
    std::fill(S.begin(), S.end(), 0.0f);  // now R
    int64_t i = Tq - 1;
    for (int64_t j = Tk - 1; j >= 0; --j) {
      for (; i >= 0 && i + shift >= j; --i) add_outer(S.data(), qb + i * D, gb + i * Dv, D, Dv);
      if (gk) times_vector(S.data(), vb + j * Dv, gk + (b * Tk + j) * D, D, Dv);
      if (gv) transposed_times_vector(S.data(), kb + j * D, gv + (b * Tk + j) * Dv, D, Dv);
    }
  }
}

Tensor contiguous_data(const Tensor& t) {
  NoGradGuard no_grad;
  return contiguous(t).detach();
}

}  // namespace

// ---- differentiable wrappers ----

Tensor cumsum(const Tensor& x, int64_t dim) {
  if (x.dtype() != DType::F32)
    throw Error("cumsum: expects float32, got " + std::string(dtype_name(x.dtype())));
  if (x.dim() == 0) throw Error("cumsum: expects at least one dimension");
  dim = wrap_dim(dim, x.dim(), "cumsum");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= x.size(d);
  for (int64_t d = dim + 1; d < x.dim(); ++d) inner *= x.size(d);
  const int64_t n = x.size(dim);
  Tensor xc = contiguous_data(x);
  Tensor out = Tensor::empty(x.shape());
  cumsum_forward(xc.data<float>(), out.data<float>(), outer, n, inner, false);
  return record(out, "cumsum", {x}, [outer, n, inner](const Tensor& g) -> std::vector<Tensor> {
    Tensor gc = contiguous_data(g);
    Tensor gx = Tensor::empty(g.shape());
    cumsum_forward(gc.data<float>(), gx.data<float>(), outer, n, inner, true);
    return {gx};
  });
}

Tensor causal_dot_product(const Tensor& q, const Tensor& k, const Tensor& v) {
  auto fail = [&](const std::string& why) {
    throw Error("causal_dot_product: " + why + " (q " + shape_str(q.shape()) + ", k " +
                shape_str(k.shape()) + ", v " + shape_str(v.shape()) + ")");
  };
  if (q.dtype() != DType::F32 || k.dtype() != DType::F32 || v.dtype() != DType::F32)
    fail("expects float32");
  if (q.dim() < 2 || k.dim() != q.dim() || v.dim() != q.dim())
    fail("q, k, v must have the same rank >= 2");
  for (int64_t d = 0; d + 2 < q.dim(); ++d)
    if (q.size(d) != k.size(d) || q.size(d) != v.size(d)) fail("leading dimensions differ");
  if (q.size(-1) != k.size(-1)) fail("q and k feature sizes differ");
  if (k.size(-2) != v.size(-2)) fail("k and v lengths differ");
  const int64_t Tq = q.size(-2), Tk = k.size(-2), D = q.size(-1), Dv = v.size(-1);
  const int64_t N = Tq == 0 ? 0 : q.numel() / (Tq * std::max<int64_t>(D, 1));
  Shape out_shape = q.shape();
  out_shape.back() = Dv;
  Tensor qc = contiguous_data(q), kc = contiguous_data(k), vc = contiguous_data(v);
  Tensor out = Tensor::empty(out_shape);
  causal_dot_product_forward(qc.data<float>(), kc.data<float>(), vc.data<float>(),
                             out.data<float>(), N, Tq, Tk, D, Dv);
  return record(out, "causal_dot_product", {q, k, v},
                [q, k, v, qc, kc, vc, N, Tq, Tk, D, Dv](const Tensor& g) -> std::vector<Tensor> {
                  Tensor gc = contiguous_data(g);
                  Tensor gq, gk, gv;
                  if (q.requires_grad()) gq = Tensor::empty(q.shape());
                  if (k.requires_grad()) gk = Tensor::empty(k.shape());
                  if (v.requires_grad()) gv = Tensor::empty(v.shape());
                  causal_dot_product_backward(
                      qc.data<float>(), kc.data<float>(), vc.data<float>(), gc.data<float>(),
                      gq.defined() ? gq.data<float>() : nullptr,
                      gk.defined() ? gk.data<float>() : nullptr,
                      gv.defined() ? gv.data<float>() : nullptr, N, Tq, Tk, D, Dv);
                  return {gq, gk, gv};
                });
}

}  // namespace heed
