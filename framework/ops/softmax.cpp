#include "framework/ops/softmax.h"

#include <Eigen/Core>
#include <cmath>
#include <limits>

#include "framework/autograd.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/iter.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"

namespace heed {
namespace {

using Row = Eigen::Map<Eigen::ArrayXf>;
using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// 16 independent lanes, like row_sum, so the compiler keeps them in one vector register: a
// single running maximum is a serial chain the compiler may not reorder. The maximum of floats
// does not depend on the order, so the result is the same as a plain loop's.
float row_max(const float* x, int64_t n) {
  float lane[16];
  std::fill(lane, lane + 16, kNegInf);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) lane[k] = std::max(lane[k], x[i + k]);
  for (int k = 0; i < n; ++i, ++k) lane[k] = std::max(lane[k], x[i]);
  float m = kNegInf;
  for (int k = 0; k < 16; ++k) m = std::max(m, lane[k]);
  return m;
}

// Σ a[i]·b[i] with row_sum's fixed 16-lane order (vectorizes; independent of threads).
float row_dot(const float* a, const float* b, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) acc[k] += a[i + k] * b[i + k];
  for (int k = 0; i < n; ++i, ++k) acc[k] += a[i] * b[i];
  for (int w = 8; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) acc[k] += acc[k + w];
  return acc[0];
}

// Scores x + mask as a contiguous tensor, no autograd.
Tensor masked_scores(const Tensor& x, const Tensor& mask, const char* op) {
  if (x.dtype() != DType::F32) throw Error(std::string(op) + ": expects float32");
  if (x.dim() == 0) throw Error(std::string(op) + ": needs at least one dimension");
  NoGradGuard no_grad;
  if (!mask.defined()) return x.is_contiguous() ? x.detach() : x.clone();
  if (broadcast_shapes(x.shape(), mask.shape(), op) != x.shape())
    throw Error(std::string(op) + ": mask " + shape_str(mask.shape()) + " does not broadcast to " +
                shape_str(x.shape()));
  return add(x.detach(), mask.detach());
}

template <typename F>
void for_rows(int64_t rows, int64_t n, F&& f) {
#pragma omp parallel for schedule(static) if (rows * n >= kParallelGrain && rows > 1)
  for (int64_t r = 0; r < rows; ++r) f(r);
}

}  // namespace

void softmax_rows(const float* x, float* y, int64_t rows, int64_t n) {
  for_rows(rows, n, [&](int64_t r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float m = row_max(xr, n);
    if (m == kNegInf) {
      std::fill(yr, yr + n, 0.0f);
      return;
    }
    Row(yr, n) = (ConstRow(xr, n) - m).exp();
    // A hidden (−inf) entry must weigh exactly 0, but Eigen's vectorized exp clamps its input
    // near −88 and returns a denormal there (its scalar tail returns 0), and x may be y (in
    // place), so the −inf is gone by now: whatever fell below the smallest normal float is 0.
    for (int64_t i = 0; i < n; ++i)
      if (yr[i] < std::numeric_limits<float>::min()) yr[i] = 0.0f;
    const float inv = 1.0f / row_sum(yr, n);
    for (int64_t i = 0; i < n; ++i) yr[i] *= inv;
  });
}

void softmax_rows_backward(const float* y, const float* g, float* gx, int64_t rows, int64_t n) {
  for_rows(rows, n, [&](int64_t r) {
    const float* yr = y + r * n;
    const float* gr = g + r * n;
    const float dot = row_dot(gr, yr, n);
    for (int64_t i = 0; i < n; ++i) gx[r * n + i] = yr[i] * (gr[i] - dot);
  });
}

Tensor softmax(const Tensor& x, const Tensor& mask) {
  Tensor s = masked_scores(x, mask, "softmax");
  const int64_t n = x.shape().back(), rows = n ? x.numel() / n : 0;
  Tensor out = Tensor::empty(x.shape());
  softmax_rows(s.data<float>(), out.data<float>(), rows, n);
  return record(
      out, "softmax", {x}, [y = out.detach(), rows, n](const Tensor& g) -> std::vector<Tensor> {
        Tensor gc = contiguous(g);
        Tensor gx = Tensor::empty(gc.shape());
        softmax_rows_backward(y.data<float>(), gc.data<float>(), gx.data<float>(), rows, n);
        return {gx};
      });
}

Tensor log_softmax(const Tensor& x, const Tensor& mask) {
  Tensor s = masked_scores(x, mask, "log_softmax");
  const int64_t n = x.shape().back(), rows = n ? x.numel() / n : 0;
  Tensor out = Tensor::empty(x.shape());
  const float* sp = s.data<float>();
  float* o = out.data<float>();
  for_rows(rows, n, [&](int64_t r) {
    const float* xr = sp + r * n;
    float* yr = o + r * n;
    const float m = row_max(xr, n);
    if (m == kNegInf) {
      std::fill(yr, yr + n, kNegInf);
      return;
    }
    Row(yr, n) = (ConstRow(xr, n) - m).exp();
    const float lse = m + std::log(row_sum(yr, n));
    for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] - lse;
  });
  return record(out, "log_softmax", {x},
                [saved = out.detach(), rows, n](const Tensor& g) -> std::vector<Tensor> {
                  Tensor gc = contiguous(g);
                  Tensor gx = Tensor::empty(gc.shape());
                  const float* y = saved.data<float>();
                  const float* gp = gc.data<float>();
                  float* d = gx.data<float>();
                  for_rows(rows, n, [&](int64_t r) {
                    const float* yr = y + r * n;
                    const float* gr = gp + r * n;
                    float* dr = d + r * n;
                    if (row_max(yr, n) == kNegInf) {
                      std::fill(dr, dr + n, 0.0f);
                      return;
                    }
                    const float gsum = row_sum(gr, n);
                    Row(dr, n) = ConstRow(gr, n) - ConstRow(yr, n).exp() * gsum;
                  });
                  return {gx};
                });
}

}  // namespace heed
