#include "framework/ops/loss.h"

#include <Eigen/Core>
#include <cmath>

#include "framework/autograd.h"
#include "framework/ops/iter.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/softmax.h"

namespace heed {

// Per row i with target t, smoothing ε, V classes, p = softmax(logits_i):
//   loss_i = −(1−ε)·log p_t − (ε/V)·Σ_v log p_v
//   dloss_i/dlogits_iv = p_v − (1−ε)·[v = t] − ε/V
// The mean divides by the number of rows whose target is not ignored.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& opts) {
  if (logits.dtype() != DType::F32 || logits.dim() < 1)
    throw Error("cross_entropy: logits must be float32 (..., V)");
  if (targets.dtype() == DType::F32) throw Error("cross_entropy: targets must be int32 or int64");
  Shape expect(logits.shape().begin(), logits.shape().end() - 1);
  if (targets.shape() != expect)
    throw Error("cross_entropy: logits " + shape_str(logits.shape()) + " need targets " +
                shape_str(expect) + ", got " + shape_str(targets.shape()));
  if (!(opts.label_smoothing >= 0.0f && opts.label_smoothing <= 1.0f))
    throw Error("cross_entropy: label_smoothing must be in [0, 1]");
  const int64_t V = logits.shape().back();
  const int64_t rows = V ? logits.numel() / V : 0;
  auto tv = std::make_shared<std::vector<int64_t>>(targets.to_ints());
  int64_t count = 0;
  for (int64_t t : *tv) {
    if (t == opts.ignore_index) continue;
    if (t < 0 || t >= V)
      throw Error("cross_entropy: target " + std::to_string(t) + " out of range for " +
                  std::to_string(V) + " classes");
    ++count;
  }
  Tensor x = contiguous(logits.detach());
  Tensor probs = Tensor::empty({rows, V});
  softmax_rows(x.data<float>(), probs.data<float>(), rows, V);
  const float eps = opts.label_smoothing;
  const float* xp = x.data<float>();
  std::vector<double> row_loss(rows, 0.0);
#pragma omp parallel for schedule(static) if (rows * V >= kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = (*tv)[r];
    if (t == opts.ignore_index) continue;
    const float* xr = xp + r * V;
    float m = xr[0];
    for (int64_t v = 1; v < V; ++v) m = std::max(m, xr[v]);
    double se = 0;
    for (int64_t v = 0; v < V; ++v) se += std::exp(static_cast<double>(xr[v] - m));
    const double lse = m + std::log(se);
    double loss = -(1.0 - eps) * (xr[t] - lse);
    if (eps > 0) {
      double sum_logp = 0;
      for (int64_t v = 0; v < V; ++v) sum_logp += xr[v] - lse;
      loss -= eps / V * sum_logp;
    }
    row_loss[r] = loss;
  }
  double total = 0;
  for (double l : row_loss) total += l;  // fixed order
  Tensor out = Tensor::scalar(count ? static_cast<float>(total / count) : 0.0f);
  Shape logits_shape = logits.shape();
  const int64_t ignore = opts.ignore_index;
  return record(out, "cross_entropy", {logits},
                [probs, tv, count, eps, V, rows, ignore,
                 logits_shape](const Tensor& g) -> std::vector<Tensor> {
                  Tensor gx = Tensor::zeros(logits_shape);
                  if (count == 0) return {gx};
                  const float scale = g.item() / static_cast<float>(count);
                  const float* p = probs.data<float>();
                  float* d = gx.data<float>();
                  const float smooth = eps / V;
#pragma omp parallel for schedule(static) if (rows * V >= kParallelGrain)
                  for (int64_t r = 0; r < rows; ++r) {
                    const int64_t t = (*tv)[r];
                    if (t == ignore) continue;
                    for (int64_t v = 0; v < V; ++v) d[r * V + v] = scale * (p[r * V + v] - smooth);
                    d[r * V + t] -= scale * (1.0f - eps);
                  }
                  return {gx};
                });
}

}  // namespace heed
