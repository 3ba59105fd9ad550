#include "framework/ops/layernorm.h"

#include <Eigen/Core>
#include <cmath>

#include "framework/autograd.h"
#include "framework/ops/iter.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"

namespace heed {
namespace {
using Row = Eigen::Map<Eigen::ArrayXf>;
using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
}  // namespace

// Forward, per row of C:   mean, rstd = 1/sqrt(var + eps), xhat = (x − mean)·rstd, y = xhat·w + b
// Backward (as llm.c):     dxhat = g·w
//                          dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat))
//                          dw = Σ_rows g·xhat,  db = Σ_rows g
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  if (x.dtype() != DType::F32 || x.dim() == 0)
    throw Error("layer_norm: expects a float32 tensor (..., C)");
  const int64_t C = x.shape().back();
  for (const Tensor* p : {&weight, &bias})
    if (p->defined() && (p->dim() != 1 || p->shape()[0] != C))
      throw Error("layer_norm: parameter " + shape_str(p->shape()) + " for input " +
                  shape_str(x.shape()));
  const int64_t rows = C ? x.numel() / C : 0;
  Tensor xc = contiguous(x.detach());
  Tensor out = Tensor::empty(x.shape());
  Tensor mean_t = Tensor::empty({rows}), rstd_t = Tensor::empty({rows});
  const float* xp = xc.data<float>();
  const float* w = weight.defined() ? weight.data<float>() : nullptr;
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  float* y = out.data<float>();
  float* mp = mean_t.data<float>();
  float* rp = rstd_t.data<float>();
  // Missing affine parameters become 1 and 0 so every row runs the same vectorized expression.
  const Eigen::ArrayXf ones = w ? Eigen::ArrayXf() : Eigen::ArrayXf::Ones(C);
  const Eigen::ArrayXf zeros = b ? Eigen::ArrayXf() : Eigen::ArrayXf::Zero(C);
  const ConstRow wv(w ? w : ones.data(), C), bv(b ? b : zeros.data(), C);
#pragma omp parallel for schedule(static) if (rows * C >= kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    // Eigen's packet reductions instead of a scalar loop: a serial chain of C dependent adds was
    // the kernel's bottleneck. The order is fixed, so results do not depend on threads.
    const ConstRow xr(xp + r * C, C);
    const float m = row_sum(xp + r * C, C) / C;
    const float var = (xr - m).square().sum();
    const float rs = 1.0f / std::sqrt(var / C + eps);
    mp[r] = m;
    rp[r] = rs;
    Row(y + r * C, C) = (xr - m) * rs * wv + bv;
  }
  std::vector<Tensor> inputs = {x};
  if (weight.defined()) inputs.push_back(weight);
  if (bias.defined()) inputs.push_back(bias);
  return record(
      out, "layer_norm", inputs,
      [x, xc, weight, bias, mean_t, rstd_t, rows, C](const Tensor& g) -> std::vector<Tensor> {
        Tensor gc = contiguous(g);
        const float* gp = gc.data<float>();
        const float* xp = xc.data<float>();
        const float* mp = mean_t.data<float>();
        const float* rp = rstd_t.data<float>();
        const float* w = weight.defined() ? weight.data<float>() : nullptr;
        Tensor gx;
        if (x.requires_grad()) {
          gx = Tensor::empty(x.shape());
          float* d = gx.data<float>();
          const Eigen::ArrayXf ones = w ? Eigen::ArrayXf() : Eigen::ArrayXf::Ones(C);
          const ConstRow wv(w ? w : ones.data(), C);
#pragma omp parallel for schedule(static) if (rows * C >= kParallelGrain)
          for (int64_t r = 0; r < rows; ++r) {
            const ConstRow xr(xp + r * C, C), gr(gp + r * C, C);
            const auto xhat = (xr - mp[r]) * rp[r];
            const auto dxhat = gr * wv;
            const float mean_d = dxhat.sum() / C, mean_dx = (dxhat * xhat).sum() / C;
            Row(d + r * C, C) = rp[r] * (dxhat - mean_d - xhat * mean_dx);
          }
        }
        Tensor gw, gb;
        const bool want_w = weight.defined() && weight.requires_grad();
        const bool want_b = bias.defined() && bias.requires_grad();
        if (want_w || want_b) {
          gw = Tensor::zeros({C});
          gb = Tensor::zeros({C});
          float* dw = gw.data<float>();
          float* db = gb.data<float>();
          // Columns in parallel, rows in order: deterministic for any thread count.
          constexpr int64_t kBlock = 64;
#pragma omp parallel for schedule(static) if (rows * C >= kParallelGrain)
          for (int64_t c0 = 0; c0 < C; c0 += kBlock) {
            const int64_t c1 = std::min(C, c0 + kBlock);
            for (int64_t r = 0; r < rows; ++r) {
              const float* xr = xp + r * C;
              const float* gr = gp + r * C;
              for (int64_t i = c0; i < c1; ++i) {
                dw[i] += gr[i] * (xr[i] - mp[r]) * rp[r];
                db[i] += gr[i];
              }
            }
          }
        }
        std::vector<Tensor> grads = {gx};
        if (weight.defined()) grads.push_back(want_w ? gw : Tensor());
        if (bias.defined()) grads.push_back(want_b ? gb : Tensor());
        return grads;
      });
}

}  // namespace heed
