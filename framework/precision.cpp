#include "framework/precision.h"

#include <atomic>

#include "framework/tensor.h"

namespace heed {
namespace {

std::atomic<Precision> g_precision{Precision::kFp32};

// Below this many elements a conversion is cheaper than waking the OpenMP team.
constexpr int64_t kParallelElements = 1 << 16;

}  // namespace

void set_matmul_precision(Precision p) {
  g_precision.store(p, std::memory_order_relaxed);
}

Precision matmul_precision() {
  return g_precision.load(std::memory_order_relaxed);
}

const char* precision_name(Precision p) {
  return p == Precision::kBf16 ? "bf16" : "fp32";
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  throw Error("precision: '" + name + "' is not one of fp32, bf16");
}

void convert_to_bf16(const float* in, uint16_t* out, int64_t n) {
#pragma omp parallel for simd if (n >= kParallelElements)
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_bf16(in[i]);
}

void round_to_bf16(const float* in, float* out, int64_t n) {
#pragma omp parallel for simd if (n >= kParallelElements)
  for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_float(float_to_bf16(in[i]));
}

}  // namespace heed
