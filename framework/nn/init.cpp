#include "framework/nn/init.h"

#include <cmath>
#include <string>

namespace heed {
namespace {

float* checked_data(const Tensor& t, const char* op) {
  if (!t.defined()) throw Error(std::string(op) + ": undefined tensor");
  if (t.dtype() != DType::F32)
    throw Error(std::string(op) + ": expects float32, got " + dtype_name(t.dtype()));
  if (!t.is_contiguous())
    throw Error(std::string(op) + ": expects a contiguous tensor, got shape " +
                shape_str(t.shape()) + " with strides " + shape_str(t.strides()));
  return t.data<float>();
}

}  // namespace

Rng& init_rng() {
  static Rng rng(0);
  return rng;
}

void seed_init(uint64_t seed) {
  init_rng() = Rng(seed);
}

void uniform_(const Tensor& t, float low, float high) {
  if (!(low <= high))
    throw Error("uniform_: low " + std::to_string(low) + " > high " + std::to_string(high));
  float* p = checked_data(t, "uniform_");
  Rng& rng = init_rng();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = low + (high - low) * rng.uniform();
}

void normal_(const Tensor& t, float mean, float std) {
  if (!(std >= 0)) throw Error("normal_: std " + std::to_string(std) + " is negative");
  float* p = checked_data(t, "normal_");
  Rng& rng = init_rng();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = mean + std * rng.normal();
}

void xavier_uniform_(const Tensor& t, float gain) {
  if (t.defined() && t.dim() < 2)
    throw Error("xavier_uniform_: fan in and fan out need at least 2 dimensions, got shape " +
                shape_str(t.shape()));
  checked_data(t, "xavier_uniform_");
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  const double fan_in = static_cast<double>(t.size(1) * receptive);
  const double fan_out = static_cast<double>(t.size(0) * receptive);
  // A zero-size tensor has nothing to fill; avoid dividing by zero for it.
  const double a = fan_in + fan_out > 0 ? gain * std::sqrt(6.0 / (fan_in + fan_out)) : 0.0;
  uniform_(t, static_cast<float>(-a), static_cast<float>(a));
}

void zeros_(const Tensor& t) {
  float* p = checked_data(t, "zeros_");
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = 0.0f;
}

void ones_(const Tensor& t) {
  float* p = checked_data(t, "ones_");
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = 1.0f;
}

}  // namespace heed
