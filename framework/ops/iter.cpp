#include "framework/ops/iter.h"

#include <algorithm>
#include <cstring>

namespace heed {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw Error(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                  " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape broadcast_strides(const Tensor& t, const Shape& out) {
  const Shape& shape = t.shape();
  Shape strides(out.size(), 0);
  std::size_t lead = out.size() - shape.size();
  for (std::size_t i = 0; i < shape.size(); ++i)
    strides[lead + i] = shape[i] == 1 && out[lead + i] != 1 ? 0 : t.strides()[i];
  return strides;
}

namespace {

// dst (R, C), rows `dst_ld` apart, = src read column-major (element (r, c) at c·src_ld + r): a
// transpose. Element by element, every read of a source column touches a new cache line, and
// with power-of-two strides those lines fall into the same cache set and evict each other. So a
// tile goes through a small buffer: its source rows are read whole, then its destination rows
// are written whole, and each cache line is used once, completely.
void transpose_tiles(const float* src, int64_t src_ld, float* dst, int64_t dst_ld, int64_t R,
                     int64_t C) {
  constexpr int64_t kTile = 32;
  const int64_t row_tiles = (R + kTile - 1) / kTile;
#pragma omp parallel for schedule(static) if (R * C >= kParallelGrain && row_tiles > 1)
  for (int64_t t = 0; t < row_tiles; ++t) {
    float tile[kTile][kTile];  // [c - c0][r - r0]
    const int64_t r0 = t * kTile, rows = std::min(kTile, R - r0);
    for (int64_t c0 = 0; c0 < C; c0 += kTile) {
      const int64_t cols = std::min(kTile, C - c0);
      for (int64_t c = 0; c < cols; ++c) {
        const float* from = src + (c0 + c) * src_ld + r0;
        for (int64_t r = 0; r < rows; ++r) tile[c][r] = from[r];
      }
      for (int64_t r = 0; r < rows; ++r) {
        float* to = dst + (r0 + r) * dst_ld + c0;
        for (int64_t c = 0; c < cols; ++c) to[c] = tile[c][r];
      }
    }
  }
}

}  // namespace

void copy_strided(const Tensor& src, const Tensor& dst) {
  if (src.shape() != dst.shape() || src.dtype() != dst.dtype())
    throw Error("copy: " + shape_str(src.shape()) + " " + dtype_name(src.dtype()) + " into " +
                shape_str(dst.shape()) + " " + dtype_name(dst.dtype()));
  // A transposed matrix into a row-major one: contiguous(transpose(x)).
  if (src.dim() == 2 && src.dtype() == DType::F32 && src.shape()[0] > 1 && src.shape()[1] > 1 &&
      src.strides()[0] == 1 && dst.strides()[1] == 1) {
    transpose_tiles(src.data<float>(), src.strides()[1], dst.data<float>(), dst.strides()[0],
                    src.shape()[0], src.shape()[1]);
    return;
  }
  const std::size_t es = dtype_size(src.dtype());
  const char* s = static_cast<const char*>(src.storage()->data) + src.offset() * es;
  char* d = static_cast<char*>(dst.storage()->data) + dst.offset() * es;
  for_each_row<2>(
      src.shape(), {src.strides(), dst.strides()},
      [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& inc) {
        const char* sp = s + off[0] * es;
        char* dp = d + off[1] * es;
        if (inc[0] == 1 && inc[1] == 1) {
          std::memcpy(dp, sp, n * es);
          return;
        }
        for (int64_t i = 0; i < n; ++i) std::memcpy(dp + i * inc[1] * es, sp + i * inc[0] * es, es);
      });
}

}  // namespace heed
