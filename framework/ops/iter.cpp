#include "framework/ops/iter.h"

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

void copy_strided(const Tensor& src, const Tensor& dst) {
  if (src.shape() != dst.shape() || src.dtype() != dst.dtype())
    throw Error("copy: " + shape_str(src.shape()) + " " + dtype_name(src.dtype()) + " into " +
                shape_str(dst.shape()) + " " + dtype_name(dst.dtype()));
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
