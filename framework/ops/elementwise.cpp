#include "framework/ops/elementwise.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <unsupported/Eigen/SpecialFunctions>

#include "framework/allocator.h"
#include "framework/autograd.h"
#include "framework/ops/iter.h"
#include "framework/ops/reduce.h"
#include "framework/random.h"

namespace heed {
namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

void check_float(const Tensor& x, const char* op) {
  if (x.dtype() != DType::F32)
    throw Error(std::string(op) + ": expects float32, got " + dtype_name(x.dtype()));
}

// Splits [0, n) into chunks run in parallel; f(begin, end) per chunk. Chunk boundaries depend
// only on n, so results never depend on the thread count.
template <typename F>
void parallel_chunks(int64_t n, F&& f) {
  constexpr int64_t kChunk = 16384;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks <= 1) {
    if (n > 0) f(0, n);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) f(c * kChunk, std::min(n, (c + 1) * kChunk));
}

// out = f(a, b) elementwise with broadcasting; f works on floats.
template <typename F>
Tensor binary_map(const Tensor& a, const Tensor& b, const char* op, F f) {
  check_float(a, op);
  check_float(b, op);
  Shape shape = a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape);
  float* o = out.data<float>();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  if (a.shape() == b.shape() && a.is_contiguous() && b.is_contiguous()) {
    parallel_chunks(out.numel(), [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(pa[i], pb[i]);
    });
    return out;
  }
  for_each_row<3>(
      shape, {broadcast_strides(a, shape), broadcast_strides(b, shape), out.strides()},
      [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& inc) {
        const float* x = pa + off[0];
        const float* y = pb + off[1];
        float* z = o + off[2];
        if (inc[0] == 1 && inc[1] == 1) {
          for (int64_t i = 0; i < n; ++i) z[i] = f(x[i], y[i]);
        } else if (inc[0] == 1 && inc[1] == 0) {
          const float yv = *y;
          for (int64_t i = 0; i < n; ++i) z[i] = f(x[i], yv);
        } else if (inc[0] == 0 && inc[1] == 1) {
          const float xv = *x;
          for (int64_t i = 0; i < n; ++i) z[i] = f(xv, y[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) z[i] = f(x[i * inc[0]], y[i * inc[1]]);
        }
      });
  return out;
}

// out = f(x) on Eigen arrays (vectorized exp/log/tanh/erf), x made contiguous first.
template <typename F>
Tensor unary_map(const Tensor& x, const char* op, F f) {
  check_float(x, op);
  Tensor xc = x.is_contiguous() ? x : x.clone();
  Tensor out = Tensor::empty(x.shape());
  const float* in = xc.data<float>();
  float* o = out.data<float>();
  parallel_chunks(out.numel(), [&](int64_t s, int64_t e) {
    ArrayMap(o + s, e - s) = f(ConstArrayMap(in + s, e - s));
  });
  return out;
}

}  // namespace

// ---- binary ----

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "add", [](float x, float y) { return x + y; });
  Shape sa = a.shape(), sb = b.shape();
  return record(out, "add", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
    return {sum_to(g, sa), sum_to(g, sb)};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "sub", [](float x, float y) { return x - y; });
  Shape sa = a.shape(), sb = b.shape();
  return record(out, "sub", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
    return {sum_to(g, sa), neg(sum_to(g, sb))};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "mul", [](float x, float y) { return x * y; });
  return record(out, "mul", {a, b}, [a, b](const Tensor& g) -> std::vector<Tensor> {
    Tensor ga, gb;
    if (a.requires_grad()) ga = sum_to(mul(g, b.detach()), a.shape());
    if (b.requires_grad()) gb = sum_to(mul(g, a.detach()), b.shape());
    return {ga, gb};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "div", [](float x, float y) { return x / y; });
  return record(
      out, "div", {a, b}, [a, b, y = out.detach()](const Tensor& g) -> std::vector<Tensor> {
        Tensor ga, gb;
        if (a.requires_grad()) ga = sum_to(div(g, b.detach()), a.shape());
        if (b.requires_grad()) {
          // d(a/b)/db = -(a/b)/b
          Tensor t = binary_map(y, b.detach(), "div", [](float q, float y) { return -q / y; });
          gb = sum_to(mul(g, t), b.shape());
        }
        return {ga, gb};
      });
}

Tensor add(const Tensor& a, float b) {
  Tensor out = unary_map(a, "add", [b](const auto& x) { return x + b; });
  return record(out, "add_scalar", {a}, [](const Tensor& g) -> std::vector<Tensor> { return {g}; });
}

Tensor mul(const Tensor& a, float b) {
  Tensor out = unary_map(a, "mul", [b](const auto& x) { return x * b; });
  return record(out, "mul_scalar", {a},
                [b](const Tensor& g) -> std::vector<Tensor> { return {mul(g, b)}; });
}

// ---- unary: forward on Eigen arrays, backward as one fused binary kernel ----

Tensor neg(const Tensor& x) {
  Tensor out = unary_map(x, "neg", [](const auto& v) { return -v; });
  return record(out, "neg", {x}, [](const Tensor& g) -> std::vector<Tensor> { return {neg(g)}; });
}

Tensor exp(const Tensor& x) {
  Tensor out = unary_map(x, "exp", [](const auto& v) { return v.exp(); });
  return record(out, "exp", {x}, [y = out.detach()](const Tensor& g) -> std::vector<Tensor> {
    return {binary_map(g, y, "exp_backward", [](float d, float y) { return d * y; })};
  });
}

Tensor log(const Tensor& x) {
  Tensor out = unary_map(x, "log", [](const auto& v) { return v.log(); });
  return record(out, "log", {x}, [x](const Tensor& g) -> std::vector<Tensor> {
    return {binary_map(g, x.detach(), "log_backward", [](float d, float v) { return d / v; })};
  });
}

Tensor sqrt(const Tensor& x) {
  Tensor out = unary_map(x, "sqrt", [](const auto& v) { return v.sqrt(); });
  return record(out, "sqrt", {x}, [y = out.detach()](const Tensor& g) -> std::vector<Tensor> {
    return {binary_map(g, y, "sqrt_backward", [](float d, float y) { return 0.5f * d / y; })};
  });
}

Tensor pow(const Tensor& x, float p) {
  Tensor out = unary_map(x, "pow", [p](const auto& v) {
    return v.unaryExpr([p](float a) { return std::pow(a, p); });
  });
  return record(out, "pow", {x}, [x, p](const Tensor& g) -> std::vector<Tensor> {
    return {binary_map(g, x.detach(), "pow_backward",
                       [p](float d, float v) { return d * p * std::pow(v, p - 1.0f); })};
  });
}

Tensor tanh(const Tensor& x) {
  Tensor out = unary_map(x, "tanh", [](const auto& v) { return v.tanh(); });
  return record(out, "tanh", {x}, [y = out.detach()](const Tensor& g) -> std::vector<Tensor> {
    return {binary_map(g, y, "tanh_backward", [](float d, float y) { return d * (1 - y * y); })};
  });
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = unary_map(x, "sigmoid", [](const auto& v) { return (1.0f + (-v).exp()).inverse(); });
  return record(out, "sigmoid", {x}, [y = out.detach()](const Tensor& g) -> std::vector<Tensor> {
    return {binary_map(g, y, "sigmoid_backward", [](float d, float y) { return d * y * (1 - y); })};
  });
}

Tensor relu(const Tensor& x) {
  Tensor out = unary_map(x, "relu", [](const auto& v) { return v.max(0.0f); });
  if (!needs_grad({&x})) return out;
  // Backward needs only where x > 0 (where out > 0): a byte per element rather than x itself,
  // which is the FFN's widest activation and is then freed unless something else keeps it.
  auto positive = std::make_shared<Buffer<uint8_t>>(out.numel());
  const float* o = out.data<float>();
  uint8_t* m = positive->data();
  parallel_chunks(out.numel(), [&](int64_t s, int64_t e) {
#pragma omp simd
    for (int64_t i = s; i < e; ++i) m[i] = o[i] > 0.0f;
  });
  return record(out, "relu", {x}, [positive](const Tensor& g) -> std::vector<Tensor> {
    const Tensor gc = g.is_contiguous() ? g : g.clone();
    Tensor gx = Tensor::empty(g.shape());
    // g where x > 0, else 0: dropout's backward with nothing dropped (scale 1).
    dropout_backward_kernel(gc.data<float>(), positive->data(), gx.data<float>(), gx.numel(), 0.0f);
    return {gx};
  });
}

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
}

Tensor gelu(const Tensor& x) {
  Tensor out =
      unary_map(x, "gelu", [](const auto& v) { return 0.5f * v * (1.0f + (v * kInvSqrt2).erf()); });
  return record(out, "gelu", {x}, [x](const Tensor& g) -> std::vector<Tensor> {
    // d/dx x·Φ(x) = Φ(x) + x·φ(x), in one pass over (g, x): the FFN's widest activation is read
    // once and no temporaries are made.
    Tensor xc = x.is_contiguous() ? x.detach() : x.clone();
    Tensor gc = g.is_contiguous() ? g : g.clone();
    Tensor gx = Tensor::empty(x.shape());
    const float* xp = xc.data<float>();
    const float* gp = gc.data<float>();
    float* o = gx.data<float>();
    constexpr float kPdfScale =
        static_cast<float>(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
    parallel_chunks(gx.numel(), [&](int64_t s, int64_t e) {
      ConstArrayMap v(xp + s, e - s), d(gp + s, e - s);
      ArrayMap(o + s, e - s) =
          d * (0.5f * (1.0f + (v * kInvSqrt2).erf()) + v * (-0.5f * v.square()).exp() * kPdfScale);
    });
    return {gx};
  });
}

Tensor elu(const Tensor& x) {
  Tensor out = unary_map(x, "elu", [](const auto& v) { return (v > 0).select(v, v.exp() - 1.0f); });
  return record(out, "elu", {x}, [y = out.detach()](const Tensor& g) -> std::vector<Tensor> {
    return {
        binary_map(g, y, "elu_backward", [](float d, float y) { return y > 0 ? d : d * (y + 1); })};
  });
}

// ---- masking ----

namespace {
// The mask as float 0/1 of x's (broadcast) shape.
Tensor mask_as_float(const Tensor& mask, const Shape& shape, const char* op) {
  broadcast_shapes(mask.shape(), shape, op);
  Tensor m = Tensor::empty(mask.shape());
  std::vector<float> v = mask.to_vector();
  std::transform(v.begin(), v.end(), m.data<float>(), [](float f) { return f != 0 ? 1.0f : 0.0f; });
  return m;
}
}  // namespace

Tensor masked_fill(const Tensor& x, const Tensor& mask, float value) {
  Shape out_shape = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  if (out_shape != x.shape())
    throw Error("masked_fill: mask " + shape_str(mask.shape()) + " does not broadcast to " +
                shape_str(x.shape()));
  Tensor m = mask_as_float(mask, x.shape(), "masked_fill");
  Tensor out =
      binary_map(x, m, "masked_fill", [value](float v, float k) { return k != 0 ? value : v; });
  return record(out, "masked_fill", {x}, [m](const Tensor& g) -> std::vector<Tensor> {
    return {binary_map(g, m, "masked_fill_backward",
                       [](float d, float k) { return k != 0 ? 0.0f : d; })};
  });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Shape shape =
      broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor m = mask_as_float(cond, shape, "where");
  // a·m + b·(1-m) with exact selection (no arithmetic on the values).
  Tensor am = binary_map(a, m, "where", [](float v, float k) { return k != 0 ? v : 0.0f; });
  Tensor out =
      binary_map(binary_map(b, m, "where", [](float v, float k) { return k != 0 ? 0.0f : v; }), am,
                 "where", [](float x, float y) { return x + y; });
  Shape sa = a.shape(), sb = b.shape();
  return record(out, "where", {a, b}, [m, sa, sb](const Tensor& g) -> std::vector<Tensor> {
    return {sum_to(binary_map(g, m, "where_backward",
                              [](float d, float k) { return k != 0 ? d : 0.0f; }),
                   sa),
            sum_to(binary_map(g, m, "where_backward",
                              [](float d, float k) { return k != 0 ? 0.0f : d; }),
                   sb)};
  });
}

// ---- dropout ----

void dropout_kernel(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t base,
                    uint8_t* kept) {
  const uint64_t threshold = dropout_threshold(p);
  const float scale = 1.0f / (1.0f - p);
  parallel_chunks(n, [&](int64_t s, int64_t e) {
    // Locals, so the loop does not reload captures through memory it might alias.
    const float* xs = x;
    float* ys = y;
    const uint64_t sd = seed, b = base, th = threshold;
    const float sc = scale;
    // Element i reads and writes only index i, so in-place (y == x) is safe to vectorize.
    if (kept == nullptr) {
#pragma omp simd
      for (int64_t i = s; i < e; ++i)
        ys[i] = dropout_keeps(sd, b + static_cast<uint64_t>(i), th) ? xs[i] * sc : 0.0f;
    } else {
      uint8_t* ks = kept;
#pragma omp simd
      for (int64_t i = s; i < e; ++i) {
        const bool keep = dropout_keeps(sd, b + static_cast<uint64_t>(i), th);
        ks[i] = keep;
        ys[i] = keep ? xs[i] * sc : 0.0f;
      }
    }
  });
}

void dropout_backward_kernel(const float* g, const uint8_t* kept, float* out, int64_t n, float p) {
  const float scale = 1.0f / (1.0f - p);
  parallel_chunks(n, [&](int64_t s, int64_t e) {
    const float* gs = g;
    const uint8_t* ks = kept;
    float* os = out;
    const float sc = scale;
#pragma omp simd
    for (int64_t i = s; i < e; ++i) os[i] = ks[i] ? gs[i] * sc : 0.0f;
  });
}

Tensor dropout(const Tensor& x, float p, bool training) {
  if (!(p >= 0.0f && p < 1.0f))
    throw Error("dropout: probability " + std::to_string(p) + " not in [0, 1)");
  if (!training || p == 0.0f) return x;
  check_float(x, "dropout");
  const uint64_t seed = global_rng().seed;
  const uint64_t base =
      rng_reserve_batch(static_cast<uint64_t>(x.numel()), x.dim() ? x.size(0) : 1);
  const Tensor xc = x.is_contiguous() ? x : x.clone();
  Tensor out = Tensor::empty(x.shape());
  // Backward reads the mask back rather than hashing every counter again: a byte per element
  // against three 64-bit multiplies (which AVX2 has no instruction for).
  std::shared_ptr<Buffer<uint8_t>> kept;
  if (needs_grad({&x})) kept = std::make_shared<Buffer<uint8_t>>(x.numel());
  dropout_kernel(xc.data<float>(), out.data<float>(), out.numel(), p, seed, base,
                 kept ? kept->data() : nullptr);
  return record(out, "dropout", {x}, [p, kept](const Tensor& g) -> std::vector<Tensor> {
    const Tensor gc = g.is_contiguous() ? g : g.clone();
    Tensor gx = Tensor::empty(g.shape());
    dropout_backward_kernel(gc.data<float>(), kept->data(), gx.data<float>(), gx.numel(), p);
    return {gx};
  });
}

// ---- in place ----

void add_(const Tensor& dst, const Tensor& src, float alpha) {
  check_float(dst, "add_");
  check_float(src, "add_");
  if (broadcast_shapes(dst.shape(), src.shape(), "add_") != dst.shape())
    throw Error("add_: " + shape_str(src.shape()) + " does not broadcast to " +
                shape_str(dst.shape()));
  float* d = dst.data<float>();
  const float* s = src.data<float>();
  if (src.shape() == dst.shape() && src.is_contiguous() && dst.is_contiguous()) {
    parallel_chunks(dst.numel(), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] += alpha * s[i];
    });
    return;
  }
  for_each_row<2>(
      dst.shape(), {dst.strides(), broadcast_strides(src, dst.shape())},
      [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& inc) {
        for (int64_t i = 0; i < n; ++i) d[off[0] + i * inc[0]] += alpha * s[off[1] + i * inc[1]];
      });
}

namespace {

// f(x) on every element x of dst, in place, whatever its strides.
template <typename F>
void update_each(const Tensor& dst, const char* op, F f) {
  check_float(dst, op);
  float* d = dst.data<float>();
  for_each_row<1>(
      dst.shape(), {dst.strides()},
      [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& inc) {
        for (int64_t i = 0; i < n; ++i) f(d[off[0] + i * inc[0]]);
      });
}

}  // namespace

void mul_(const Tensor& dst, float v) {
  update_each(dst, "mul_", [v](float& x) { x *= v; });
}

void fill_(const Tensor& dst, float v) {
  update_each(dst, "fill_", [v](float& x) { x = v; });
}

void copy_(const Tensor& dst, const Tensor& src) {
  copy_strided(src, dst);
}

}  // namespace heed
