// Elementwise ops with numpy broadcasting. Differentiable unless marked in-place (trailing _).
#pragma once

#include "framework/tensor.h"

namespace heed {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, float b);
Tensor mul(const Tensor& a, float b);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, float exponent);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact: x * Φ(x) with erf, as torch's default
Tensor elu(const Tensor& x);   // alpha = 1
// out = mask != 0 ? value : x. `mask` (any dtype) broadcasts to x; not differentiable.
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value);
// out = cond != 0 ? a : b, all three broadcast together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
// The mask comes from the global counter-based generator (random.h), so it depends only on
// (seed, counter); backward reads it from a byte per element kept from the forward pass.
Tensor dropout(const Tensor& x, float p, bool training);
// The raw dropout kernel over n contiguous floats (y may be x): y[i] = 0 where
// uniform01(seed, base + i) < p, else x[i] / (1 − p); with `kept`, kept[i] = 1 where x[i] was
// kept, else 0. Shared by dropout, the attention cores and their tests.
void dropout_kernel(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t base,
                    uint8_t* kept = nullptr);
// Its backward: out[i] = g[i] / (1 − p) where kept[i], else 0.
void dropout_backward_kernel(const float* g, const uint8_t* kept, float* out, int64_t n, float p);

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator+(const Tensor& a, float b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, float b) {
  return add(a, -b);
}
inline Tensor operator*(const Tensor& a, float b) {
  return mul(a, b);
}
inline Tensor operator*(float a, const Tensor& b) {
  return mul(b, a);
}
inline Tensor operator/(const Tensor& a, float b) {
  return mul(a, 1.0f / b);
}
inline Tensor operator-(const Tensor& x) {
  return neg(x);
}

// In place, no autograd: for gradients and optimizer state.
void add_(const Tensor& dst, const Tensor& src, float alpha = 1.0f);  // dst += alpha * src
void mul_(const Tensor& dst, float s);
void fill_(const Tensor& dst, float v);
void copy_(const Tensor& dst, const Tensor& src);  // same shape, any strides

}  // namespace heed
