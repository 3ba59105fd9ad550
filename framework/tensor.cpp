#include "framework/tensor.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <sstream>

#include "framework/allocator.h"
#include "framework/autograd.h"
#include "framework/ops/iter.h"
#include "framework/ops/shape.h"
#include "framework/random.h"

namespace heed {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return 4;
    case DType::I32:
      return 4;
    case DType::I64:
      return 8;
  }
  return 4;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "float32";
    case DType::I32:
      return "int32";
    case DType::I64:
      return "int64";
  }
  return "?";
}

std::string shape_str(const Shape& shape) {
  std::ostringstream s;
  s << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) s << ',';
  s << ')';
  return s.str();
}

namespace {

// One rule for every shape: its dimensions, zeros counted as 1, must multiply to at most
// INT64_MAX. Then numel, every contiguous stride and every element offset fit in int64 (a
// product that wrapped would be undefined behaviour, and a buffer sized from it too small).
void check_shape(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("shape " + shape_str(shape) + " has a negative dimension");
    if (__builtin_mul_overflow(n, std::max<int64_t>(d, 1), &n))
      throw Error("shape " + shape_str(shape) + " has more elements than int64 can count");
  }
}

}  // namespace

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    // The checked path only on a wrap or a negative size, so numel() stays a plain product.
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) check_shape(shape);
  }
  if (n == 0) check_shape(shape);  // a zero may have hidden a product that overflows
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  check_shape(shape);
  Shape strides(shape.size());
  int64_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

int64_t wrap_dim(int64_t d, int64_t ndim, const char* op) {
  int64_t w = d < 0 ? d + ndim : d;
  if (w < 0 || w >= std::max<int64_t>(ndim, 1) || (ndim == 0 && w != 0))
    throw Error(std::string(op) + ": dimension " + std::to_string(d) + " out of range for a " +
                std::to_string(ndim) + "-d tensor");
  return w;
}

Storage::Storage(std::size_t nbytes) : data(allocate(nbytes)), bytes(nbytes) {}
Storage::~Storage() {
  deallocate(data, bytes);
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  for (int64_t d : shape)
    if (d < 0) throw Error("Tensor::empty: negative dimension in " + shape_str(shape));
  const int64_t n = shape_numel(shape);
  // PTRDIFF_MAX, as std::vector: pointer differences within the buffer must stay defined.
  if (n > PTRDIFF_MAX / static_cast<int64_t>(dtype_size(dtype)))
    throw Error(std::string("Tensor::empty: ") + dtype_name(dtype) + " tensor of shape " +
                shape_str(shape) + " needs more bytes than a buffer can hold");
  const std::size_t bytes = static_cast<std::size_t>(n) * dtype_size(dtype);
  auto impl = std::make_shared<TensorImpl>();
  try {
    impl->storage = std::make_shared<Storage>(bytes);
  } catch (const std::bad_alloc&) {
    throw Error(std::string("Tensor::empty: out of memory for a ") + dtype_name(dtype) +
                " tensor of shape " + shape_str(shape) + " (" + std::to_string(bytes) + " bytes)");
  }
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.impl().storage->data, 0, t.numel() * dtype_size(dtype));
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  float* p = t.data<float>();
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = value;
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw Error("Tensor::from_vector: " + std::to_string(values.size()) +
                " values do not fill shape " + shape_str(shape));
  Tensor t = empty(shape);
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

Tensor Tensor::from_ints(const std::vector<int64_t>& values, const Shape& shape, DType dtype) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw Error("Tensor::from_ints: " + std::to_string(values.size()) +
                " values do not fill shape " + shape_str(shape));
  if (dtype == DType::F32) throw Error("Tensor::from_ints: dtype must be int32 or int64");
  Tensor t = empty(shape, dtype);
  if (dtype == DType::I64) {
    std::copy(values.begin(), values.end(), t.data<int64_t>());
  } else {
    int32_t* p = t.data<int32_t>();
    for (std::size_t i = 0; i < values.size(); ++i) {
      // A wrapped id would silently index something else; say which value does not fit.
      if (values[i] < INT32_MIN || values[i] > INT32_MAX)
        throw Error("Tensor::from_ints: value " + std::to_string(values[i]) + " at index " +
                    std::to_string(i) + " does not fit in int32");
      p[i] = static_cast<int32_t>(values[i]);
    }
  }
  return t;
}

Tensor Tensor::arange(int64_t n) {
  Tensor t = empty({n});
  float* p = t.data<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(i);
  return t;
}

Tensor Tensor::randn(const Shape& shape, uint64_t seed, float std) {
  Tensor t = empty(shape);
  float* p = t.data<float>();
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = std * normal01(seed, 2 * static_cast<uint64_t>(i));
  return t;
}

Tensor Tensor::uniform(const Shape& shape, uint64_t seed, float low, float high) {
  Tensor t = empty(shape);
  float* p = t.data<float>();
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = low + (high - low) * uniform01(seed, i);
  return t;
}

int64_t Tensor::size(int64_t d) const {
  return shape()[wrap_dim(d, dim(), "size")];
}

bool Tensor::is_contiguous() const {
  const TensorImpl& t = impl();
  int64_t expected = 1;
  for (std::size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] == 1) continue;
    if (t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

float Tensor::item() const {
  if (numel() != 1)
    throw Error("item(): tensor of shape " + shape_str(shape()) + " is not one value");
  return to_vector()[0];
}

namespace {

// The values of t in row-major order, each converted from t's dtype to T.
template <typename T>
std::vector<T> values_as(const Tensor& t) {
  std::vector<T> out(t.numel());
  Tensor c = t.contiguous();
  switch (t.dtype()) {
    case DType::F32:
      std::copy_n(c.data<float>(), out.size(), out.begin());
      break;
    case DType::I32:
      std::copy_n(c.data<int32_t>(), out.size(), out.begin());
      break;
    case DType::I64:
      std::copy_n(c.data<int64_t>(), out.size(), out.begin());
      break;
  }
  return out;
}

}  // namespace

std::vector<float> Tensor::to_vector() const {
  return values_as<float>(*this);
}

std::vector<int64_t> Tensor::to_ints() const {
  return values_as<int64_t>(*this);
}

float Tensor::at(std::initializer_list<int64_t> index) const {
  if (static_cast<int64_t>(index.size()) != dim())
    throw Error("at(): " + std::to_string(index.size()) + " indices for a " +
                std::to_string(dim()) + "-d tensor");
  int64_t off = offset();
  int64_t d = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape()[d]) throw Error("at(): index out of range for " + shape_str(shape()));
    off += i * strides()[d++];
  }
  const void* base = storage()->data;
  switch (dtype()) {
    case DType::F32:
      return static_cast<const float*>(base)[off];
    case DType::I32:
      return static_cast<float>(static_cast<const int32_t*>(base)[off]);
    case DType::I64:
      return static_cast<float>(static_cast<const int64_t*>(base)[off]);
  }
  return 0;
}

Tensor& Tensor::set_requires_grad(bool on) {
  if (on && dtype() != DType::F32)
    throw Error("set_requires_grad(): only float32 tensors have gradients");
  if (!is_leaf()) throw Error("set_requires_grad(): only leaf tensors can be marked");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  return impl().grad ? Tensor(impl().grad) : Tensor();
}

void Tensor::set_grad(const Tensor& g) {
  if (g.defined() && g.shape() != shape())
    throw Error("set_grad(): gradient shape " + shape_str(g.shape()) + " does not match " +
                shape_str(shape()));
  // A copy: backward() accumulates into the gradient in place, which must not write into `g`.
  impl().grad = g.defined() ? g.clone().impl_ptr() : nullptr;
}

void Tensor::zero_grad() {
  impl().grad.reset();
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = storage();
  impl->offset = offset();
  impl->shape = shape();
  impl->strides = strides();
  impl->dtype = dtype();
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape(), dtype());
  copy_strided(*this, out);
  return out;
}

Tensor Tensor::reshape(const Shape& s) const {
  return heed::reshape(*this, s);
}
Tensor Tensor::view(const Shape& s) const {
  return heed::view(*this, s);
}
Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  return heed::transpose(*this, d0, d1);
}
Tensor Tensor::permute(const Shape& order) const {
  return heed::permute(*this, order);
}
Tensor Tensor::slice(int64_t d, int64_t start, int64_t end) const {
  return heed::slice(*this, d, start, end);
}
Tensor Tensor::unsqueeze(int64_t d) const {
  return heed::unsqueeze(*this, d);
}
Tensor Tensor::squeeze(int64_t d) const {
  return heed::squeeze(*this, d);
}
Tensor Tensor::expand(const Shape& s) const {
  return heed::expand(*this, s);
}
Tensor Tensor::contiguous() const {
  return heed::contiguous(*this);
}

}  // namespace heed
