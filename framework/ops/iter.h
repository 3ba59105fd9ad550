// Kernel helpers shared by the op files: broadcasting and strided iteration.
#pragma once

#include <array>

#include "framework/tensor.h"

namespace heed {

// numpy broadcasting of two shapes; throws naming `op` and both shapes when they do not fit.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Strides of `t` read as a tensor of shape `out` (0 on broadcast dimensions).
Shape broadcast_strides(const Tensor& t, const Shape& out);
// dst[...] = src[...] for two tensors of the same shape and dtype, any strides.
void copy_strided(const Tensor& src, const Tensor& dst);

// Work per parallel chunk below which OpenMP is not worth its overhead.
constexpr int64_t kParallelGrain = 32768;

// Walks `shape` for N operands with the given strides (in elements), one innermost row at a time:
// fn(offsets, n, inner_strides) handles n elements starting at `offsets` (one per operand).
// Dimensions that are contiguous for every operand are merged first, so contiguous tensors
// become one long row. Rows run in parallel; each row is one thread's, so the result does not
// depend on the number of threads.
template <std::size_t N, typename Fn>
void for_each_row(const Shape& shape, std::array<Shape, N> strides, Fn&& fn) {
  // Merge dim i into i+1 when stride[i] == stride[i+1] * shape[i+1] for all operands.
  Shape dims;
  std::array<Shape, N> st;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    bool merge = !dims.empty();
    for (std::size_t k = 0; k < N && merge; ++k) merge = st[k].back() == strides[k][i] * shape[i];
    if (merge) {
      dims.back() *= shape[i];
      for (std::size_t k = 0; k < N; ++k) st[k].back() = strides[k][i];
    } else {
      dims.push_back(shape[i]);
      for (std::size_t k = 0; k < N; ++k) st[k].push_back(strides[k][i]);
    }
  }
  for (int64_t d : shape)
    if (d == 0) return;
  if (dims.empty()) {
    dims.push_back(1);
    for (std::size_t k = 0; k < N; ++k) st[k].push_back(0);
  }
  const int64_t inner = dims.back();
  std::array<int64_t, N> inner_strides;
  for (std::size_t k = 0; k < N; ++k) inner_strides[k] = st[k].back();
  const int64_t outer_dims = static_cast<int64_t>(dims.size()) - 1;
  int64_t rows = 1;
  for (int64_t i = 0; i < outer_dims; ++i) rows *= dims[i];
  auto run_row = [&](int64_t r) {
    std::array<int64_t, N> off{};
    int64_t rem = r;
    for (int64_t i = outer_dims - 1; i >= 0; --i) {
      int64_t idx = rem % dims[i];
      rem /= dims[i];
      for (std::size_t k = 0; k < N; ++k) off[k] += idx * st[k][i];
    }
    fn(off, inner, inner_strides);
  };
  if (rows > 1 && rows * inner >= kParallelGrain) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) run_row(r);
  } else {
    for (int64_t r = 0; r < rows; ++r) run_row(r);
  }
}

}  // namespace heed
