// The precision of matrix products. heed keeps every tensor in fp32; in bf16 mode each oneDNN
// product reads its two operands rounded to bfloat16 (round to nearest, ties to even) and
// accumulates and writes in fp32, as PyTorch's autocast does for matmuls. Weights, optimizer
// state, activations, softmax, layernorm and the loss stay fp32; so do the tiled attention
// core's tile products, which are Eigen's, not oneDNN's.
//
// Where oneDNN has bf16 matmul kernels for the CPU (AVX-512 with avx512_bf16, or AMX), the
// operands are converted to bf16 buffers and multiplied by them: bf16's speed. Elsewhere (AVX2)
// oneDNN refuses bf16 products, and heed emulates: the operands are rounded to bf16 values held
// in fp32 and multiplied in fp32. That gives the same numbers up to the order of the fp32 sums,
// so training behaves the same, but it is slower than fp32, not faster.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace heed {

enum class Precision : uint8_t { kFp32, kBf16 };

// Process-wide, like the thread count: the trainer sets it from train.precision.
void set_matmul_precision(Precision p);
Precision matmul_precision();
const char* precision_name(Precision p);  // "fp32" | "bf16"
// "fp32" or "bf16"; anything else throws Error naming the accepted values.
Precision parse_precision(const std::string& name);

// Sets a precision for a scope and restores the previous one at its end.
class PrecisionScope {
 public:
  explicit PrecisionScope(Precision p) : saved_(matmul_precision()) { set_matmul_precision(p); }
  ~PrecisionScope() { set_matmul_precision(saved_); }
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  Precision saved_;
};

// True when oneDNN runs bf16 products on this CPU (probed once with a small primitive).
bool bf16_native();
// What bf16 products run on here, for `heed info`.
std::string bf16_info();

// float -> bf16 bits, rounding to nearest with ties to even; a NaN stays a (quiet) NaN.
inline uint16_t float_to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_to_float(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// n values converted to bf16 bits, or rounded to bf16 values kept as fp32 (the emulation's
// operands); in parallel over the current threads when n is large.
void convert_to_bf16(const float* in, uint16_t* out, int64_t n);
void round_to_bf16(const float* in, float* out, int64_t n);

}  // namespace heed
