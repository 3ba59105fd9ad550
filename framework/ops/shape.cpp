#include "framework/ops/shape.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "framework/autograd.h"
#include "framework/ops/iter.h"
#include "framework/ops/reduce.h"

namespace heed {
namespace {

Tensor make_view(const Tensor& x, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.storage();
  impl->offset = offset;
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->dtype = x.dtype();
  return Tensor(std::move(impl));
}

Shape infer_shape(const Tensor& x, Shape shape, const char* op) {
  int64_t infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw Error(std::string(op) + ": more than one -1 in " + shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else if (shape[i] < 0) {
      throw Error(std::string(op) + ": negative size in " + shape_str(shape));
    }
  }
  Shape known_dims = shape;
  if (infer >= 0) known_dims[infer] = 1;
  int64_t known = 0;
  try {
    known = shape_numel(known_dims);  // checked: a wrapped product could match numel by chance
  } catch (const Error&) {
    throw Error(std::string(op) + ": cannot view " + shape_str(x.shape()) + " as " +
                shape_str(shape) + ": too many elements");
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw Error(std::string(op) + ": cannot view " + shape_str(x.shape()) + " as " +
                  shape_str(shape));
    shape[infer] = x.numel() / known;
  }
  if (shape_numel(shape) != x.numel())
    throw Error(std::string(op) + ": cannot view " + shape_str(x.shape()) + " (" +
                std::to_string(x.numel()) + " elements) as " + shape_str(shape));
  return shape;
}

}  // namespace

Tensor view(const Tensor& x, Shape shape) {
  shape = infer_shape(x, std::move(shape), "view");
  if (!x.is_contiguous())
    throw Error("view: tensor of shape " + shape_str(x.shape()) +
                " is not contiguous; use reshape() or contiguous()");
  Shape in_shape = x.shape();
  Tensor out = make_view(x, shape, contiguous_strides(shape), x.offset());
  return record(out, "view", {x}, [in_shape](const Tensor& g) -> std::vector<Tensor> {
    return {reshape(g, in_shape)};
  });
}

Tensor reshape(const Tensor& x, Shape shape) {
  if (x.is_contiguous()) return view(x, std::move(shape));
  return view(contiguous(x), std::move(shape));
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = wrap_dim(start_dim, x.dim(), "flatten"), e = wrap_dim(end_dim, x.dim(), "flatten");
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  int64_t merged = 1;
  for (int64_t i = s; i <= e; ++i) merged *= x.shape()[i];
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  d0 = wrap_dim(d0, x.dim(), "transpose");
  d1 = wrap_dim(d1, x.dim(), "transpose");
  Shape shape = x.shape(), strides = x.strides();
  std::swap(shape[d0], shape[d1]);
  std::swap(strides[d0], strides[d1]);
  Tensor out = make_view(x, shape, strides, x.offset());
  return record(out, "transpose", {x}, [d0, d1](const Tensor& g) -> std::vector<Tensor> {
    return {transpose(g, d0, d1)};
  });
}

Tensor permute(const Tensor& x, const Shape& order) {
  const int64_t n = x.dim();
  if (static_cast<int64_t>(order.size()) != n)
    throw Error("permute: order " + shape_str(order) + " for a " + std::to_string(n) + "-d tensor");
  Shape shape(n), strides(n), inverse(n);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(order[i], n, "permute");
    if (seen[d]) throw Error("permute: dimension repeated in " + shape_str(order));
    seen[d] = true;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
    inverse[d] = i;
  }
  Tensor out = make_view(x, shape, strides, x.offset());
  return record(out, "permute", {x}, [inverse](const Tensor& g) -> std::vector<Tensor> {
    return {permute(g, inverse)};
  });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end) {
  dim = wrap_dim(dim, x.dim(), "slice");
  const int64_t size = x.shape()[dim];
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (start < 0 || end > size || start > end)
    throw Error("slice: range [" + std::to_string(start) + ", " + std::to_string(end) +
                ") out of bounds for dimension " + std::to_string(dim) + " of size " +
                std::to_string(size));
  Shape shape = x.shape();
  shape[dim] = end - start;
  Tensor out = make_view(x, shape, x.strides(), x.offset() + start * x.strides()[dim]);
  Shape in_shape = x.shape();
  return record(out, "slice", {x},
                [in_shape, dim, start, end](const Tensor& g) -> std::vector<Tensor> {
                  Tensor gx = Tensor::zeros(in_shape);
                  copy_strided(g, slice(gx, dim, start, end));
                  return {gx};
                });
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  dim = wrap_dim(dim, x.dim(), "select");
  if (index < 0) index += x.shape()[dim];
  return squeeze(slice(x, dim, index, index + 1), dim);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  int64_t stride = dim < x.dim() ? x.strides()[dim] * x.shape()[dim] : 1;
  shape.insert(shape.begin() + dim, 1);
  strides.insert(strides.begin() + dim, stride);
  Tensor out = make_view(x, shape, strides, x.offset());
  return record(out, "unsqueeze", {x},
                [dim](const Tensor& g) -> std::vector<Tensor> { return {squeeze(g, dim)}; });
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "squeeze");
  if (x.shape()[dim] != 1)
    throw Error("squeeze: dimension " + std::to_string(dim) + " of " + shape_str(x.shape()) +
                " is not 1");
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  Tensor out = make_view(x, shape, strides, x.offset());
  return record(out, "squeeze", {x},
                [dim](const Tensor& g) -> std::vector<Tensor> { return {unsqueeze(g, dim)}; });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  if (shape.size() < x.shape().size())
    throw Error("expand: cannot expand " + shape_str(x.shape()) + " to fewer dimensions " +
                shape_str(shape));
  Shape target = shape;
  std::size_t lead = shape.size() - x.shape().size();
  for (std::size_t i = 0; i < x.shape().size(); ++i) {
    if (target[lead + i] == -1) target[lead + i] = x.shape()[i];
    if (x.shape()[i] != 1 && x.shape()[i] != target[lead + i])
      throw Error("expand: cannot expand " + shape_str(x.shape()) + " to " + shape_str(shape));
  }
  for (int64_t d : target)
    if (d < 0)
      throw Error("expand: cannot expand " + shape_str(x.shape()) + " to " + shape_str(shape));
  shape_numel(target);  // an impossible shape fails here, not in whatever op reads the view
  Shape in_shape = x.shape();
  Tensor out = make_view(x, target, broadcast_strides(x, target), x.offset());
  return record(out, "expand", {x}, [in_shape](const Tensor& g) -> std::vector<Tensor> {
    return {sum_to(g, in_shape)};
  });
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  copy_strided(x, out);
  return record(out, "contiguous", {x}, [](const Tensor& g) -> std::vector<Tensor> { return {g}; });
}

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) throw Error("concat: no tensors");
  dim = wrap_dim(dim, xs[0].dim(), "concat");
  Shape shape = xs[0].shape();
  shape[dim] = 0;
  for (const Tensor& x : xs) {
    bool fits = x.dim() == xs[0].dim() && x.dtype() == xs[0].dtype();
    for (int64_t d = 0; fits && d < x.dim(); ++d)
      fits = d == dim || x.shape()[d] == xs[0].shape()[d];
    if (!fits)
      throw Error("concat: shapes " + shape_str(xs[0].shape()) + " and " + shape_str(x.shape()) +
                  " differ outside dimension " + std::to_string(dim));
    shape[dim] += x.shape()[dim];
  }
  Tensor out = Tensor::empty(shape, xs[0].dtype());
  std::vector<int64_t> starts;
  int64_t at = 0;
  for (const Tensor& x : xs) {
    starts.push_back(at);
    copy_strided(x.detach(), slice(out.detach(), dim, at, at + x.shape()[dim]));
    at += x.shape()[dim];
  }
  std::vector<int64_t> sizes;
  for (const Tensor& x : xs) sizes.push_back(x.shape()[dim]);
  return record(out, "concat", xs, [dim, starts, sizes](const Tensor& g) -> std::vector<Tensor> {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < starts.size(); ++i)
      grads.push_back(slice(g, dim, starts[i], starts[i] + sizes[i]));
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) throw Error("stack: no tensors");
  dim = wrap_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (const Tensor& x : xs) {
    if (x.shape() != xs[0].shape())
      throw Error("stack: shapes " + shape_str(xs[0].shape()) + " and " + shape_str(x.shape()) +
                  " differ");
    parts.push_back(unsqueeze(x, dim));
  }
  return concat(parts, dim);
}

namespace {

// gather as rows of the index's last dimension. x and index are contiguous with the same rank
// (0-d promoted to 1-d); index row r, element k is out[r * n + k] and reads
//   x[base(r) + j * xs[dim] + (dim == last ? 0 : k)],  j = index[r * n + k],
// where base(r) sums the row's coordinates times x's strides, skipping `dim`. Rows advance by an
// odometer, so there is no div/mod per element.
struct GatherGeometry {
  Shape xs;  // x's contiguous strides
  Shape is;  // index shape
  int64_t dim = 0;
  int64_t n = 0;     // elements per row (index's last dimension)
  int64_t rows = 0;  // numel / n
};

GatherGeometry gather_geometry(const Shape& x_shape, const Shape& index_shape, int64_t dim) {
  GatherGeometry g;
  const Shape xsh = x_shape.empty() ? Shape{1} : x_shape;
  g.is = index_shape.empty() ? Shape{1} : index_shape;
  g.xs = contiguous_strides(xsh);
  g.dim = dim;
  g.n = g.is.back();
  g.rows = g.n == 0 ? 0 : shape_numel(g.is) / g.n;
  return g;
}

// fn(out_offset, x_offset) for rows [r0, r1) and, in each, elements [k0, k1), row by row.
template <typename I, typename Fn>
void gather_rows(const GatherGeometry& g, const I* ip, int64_t r0, int64_t r1, int64_t k0,
                 int64_t k1, Fn&& fn) {
  if (r0 >= r1 || k0 >= k1) return;
  const int64_t last = static_cast<int64_t>(g.is.size()) - 1, n = g.n;
  const int64_t js = g.xs[g.dim];
  Shape c(last, 0);  // coordinates of row r over the index's leading dims
  int64_t base = 0;
  for (int64_t d = last - 1, rem = r0; d >= 0; --d) {
    c[d] = rem % g.is[d];
    rem /= g.is[d];
    if (d != g.dim) base += c[d] * g.xs[d];
  }
  for (int64_t r = r0;;) {
    const I* row = ip + r * n;
    if (g.dim == last) {
      for (int64_t k = k0; k < k1; ++k) fn(r * n + k, base + static_cast<int64_t>(row[k]));
    } else {
      for (int64_t k = k0; k < k1; ++k) fn(r * n + k, base + k + static_cast<int64_t>(row[k]) * js);
    }
    if (++r == r1) break;
    for (int64_t d = last - 1; d >= 0; --d) {
      if (d != g.dim) base += g.xs[d];
      if (++c[d] < g.is[d]) break;
      if (d != g.dim) base -= c[d] * g.xs[d];
      c[d] = 0;
    }
  }
}

// Throws naming the first index outside [0, size); an op must not throw inside a parallel loop.
template <typename I>
void check_gather_index(const I* ip, int64_t count, int64_t dim, int64_t size) {
  I lo = 0, hi = 0;
  for (int64_t i = 0; i < count; ++i) {
    lo = std::min(lo, ip[i]);
    hi = std::max(hi, ip[i]);
  }
  if (lo >= 0 && static_cast<int64_t>(hi) < size) return;
  for (int64_t i = 0; i < count; ++i)
    if (ip[i] < 0 || static_cast<int64_t>(ip[i]) >= size)
      throw Error("gather: index " + std::to_string(static_cast<int64_t>(ip[i])) +
                  " out of range for dimension " + std::to_string(dim) + " of size " +
                  std::to_string(size));
}

template <typename I>
void gather_forward(const GatherGeometry& g, const I* ip, const float* xp, float* op) {
  // Every output element is written once from its own source: any split of rows is exact.
  constexpr int64_t kRowsPerChunk = 64;
  const int64_t chunks = (g.rows + kRowsPerChunk - 1) / kRowsPerChunk;
#pragma omp parallel for schedule(static) if (chunks > 1 && g.rows * g.n >= kParallelGrain)
  for (int64_t ch = 0; ch < chunks; ++ch)
    gather_rows(g, ip, ch * kRowsPerChunk, std::min(g.rows, (ch + 1) * kRowsPerChunk), 0, g.n,
                [&](int64_t o, int64_t i) { op[o] = xp[i]; });
}

// gx[x_offset] += gy[out_offset]. Several elements may add into one gx element, so threads
// split the work by destination and each destination receives its terms in row order: the
// result is bitwise that of a sequential loop, for any thread count.
template <typename I>
void gather_backward(const GatherGeometry& g, const I* ip, const float* gy, float* gx) {
  const int64_t last = static_cast<int64_t>(g.is.size()) - 1;
  auto add = [&](int64_t o, int64_t i) { gx[i] += gy[o]; };
  const bool parallel = g.rows * g.n >= kParallelGrain;
  if (parallel && g.dim != 0 && last > 0 && g.is[0] > 1) {
    // Destinations keep the row's coordinate along dim 0: each dim-0 slab is one task.
    const int64_t slabs = g.is[0], rows_per_slab = g.rows / slabs;
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < slabs; ++s)
      gather_rows(g, ip, s * rows_per_slab, (s + 1) * rows_per_slab, 0, g.n, add);
  } else if (parallel && g.dim != last) {
    // Destinations keep the element's column k: each block of columns is one task.
    constexpr int64_t kCols = 16;
    const int64_t blocks = (g.n + kCols - 1) / kCols;
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < blocks; ++b)
      gather_rows(g, ip, 0, g.rows, b * kCols, std::min(g.n, (b + 1) * kCols), add);
  } else {
    gather_rows(g, ip, 0, g.rows, 0, g.n, add);
  }
}

template <typename Fn>
void with_index_type(const Tensor& index, Fn&& fn) {
  if (index.dtype() == DType::I64)
    fn(index.data<int64_t>());
  else
    fn(index.data<int32_t>());
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, x.dim(), "gather");
  if (index.dtype() == DType::F32) throw Error("gather: index must be int32 or int64");
  if (index.dim() != x.dim())
    throw Error("gather: index " + shape_str(index.shape()) + " and input " + shape_str(x.shape()) +
                " differ in rank");
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != dim && index.shape()[d] > x.shape()[d])
      throw Error("gather: index " + shape_str(index.shape()) + " larger than input " +
                  shape_str(x.shape()) + " outside dimension " + std::to_string(dim));
  Tensor xc = contiguous(x).detach();
  Tensor idx = contiguous(index).detach();
  Tensor out = Tensor::empty(index.shape());
  const GatherGeometry geo = gather_geometry(x.shape(), index.shape(), dim);
  const int64_t size = x.dim() == 0 ? 1 : x.shape()[dim];
  with_index_type(idx, [&](const auto* ip) {
    check_gather_index(ip, idx.numel(), dim, size);
    gather_forward(geo, ip, xc.data<float>(), out.data<float>());
  });
  Shape in_shape = x.shape();
  return record(out, "gather", {x},
                [in_shape, geo, dim, size, idx](const Tensor& g) -> std::vector<Tensor> {
                  Tensor gx = Tensor::zeros(in_shape);
                  Tensor gc = contiguous(g);
                  with_index_type(idx, [&](const auto* ip) {
                    // The index may have been written to since the forward.
                    check_gather_index(ip, idx.numel(), dim, size);
                    gather_backward(geo, ip, gc.data<float>(), gx.data<float>());
                  });
                  return {gx};
                });
}

namespace {
// x viewed as (outer, size, inner) around `dim`: fn(out_block, x_block) for each picked block of
// `inner` contiguous elements, in order (so the backward scatter is deterministic).
template <typename Fn>
void index_select_blocks(const Shape& x_shape, int64_t dim, const std::vector<int64_t>& idx,
                         Fn&& fn) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= x_shape[d];
  for (std::size_t d = dim + 1; d < x_shape.size(); ++d) inner *= x_shape[d];
  const int64_t size = x_shape[dim], n = static_cast<int64_t>(idx.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i) fn((o * n + i) * inner, (o * size + idx[i]) * inner, inner);
}
}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, x.dim(), "index_select");
  if (index.dtype() == DType::F32 || index.dim() != 1)
    throw Error("index_select: index must be a 1-D int32/int64 tensor, got " +
                std::string(dtype_name(index.dtype())) + " " + shape_str(index.shape()));
  std::vector<int64_t> idx = index.to_ints();
  for (int64_t j : idx)
    if (j < 0 || j >= x.shape()[dim])
      throw Error("index_select: index " + std::to_string(j) + " out of range for dimension " +
                  std::to_string(dim) + " of size " + std::to_string(x.shape()[dim]));
  Tensor xc = contiguous(x).detach();
  Shape shape = x.shape();
  shape[dim] = static_cast<int64_t>(idx.size());
  Tensor out = Tensor::empty(shape, x.dtype());
  const std::size_t es = dtype_size(x.dtype());
  const char* xp = static_cast<const char*>(xc.storage()->data) + xc.offset() * es;
  char* op = static_cast<char*>(out.storage()->data) + out.offset() * es;
  if (out.numel() > 0)
    index_select_blocks(x.shape(), dim, idx, [&](int64_t o, int64_t i, int64_t n) {
      std::memcpy(op + o * es, xp + i * es, n * es);
    });
  Shape in_shape = x.shape();
  return record(out, "index_select", {x},
                [in_shape, dim, idx](const Tensor& g) -> std::vector<Tensor> {
                  Tensor gx = Tensor::zeros(in_shape);
                  Tensor gc = contiguous(g);
                  const float* gp = gc.data<float>();
                  float* gxp = gx.data<float>();
                  index_select_blocks(in_shape, dim, idx, [&](int64_t o, int64_t i, int64_t n) {
                    for (int64_t k = 0; k < n; ++k) gxp[i + k] += gp[o + k];
                  });
                  return {gx};
                });
}

}  // namespace heed
