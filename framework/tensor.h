// Tensor: float32 (or int32/int64 index data), row-major, shape + strides over shared storage.
//
// A Tensor is a cheap handle (like torch.Tensor): copies share the same TensorImpl. Views
// (reshape, transpose, slice, ...) make a new TensorImpl over the same Storage, so they cost no
// copy. Autograd state (requires_grad, grad, grad_fn) lives in the TensorImpl.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace heed {

enum class DType : uint8_t { F32, I32, I64 };
std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& shape);  // "(2, 3, 4)"
int64_t shape_numel(const Shape& shape);
Shape contiguous_strides(const Shape& shape);

// Any user-visible misuse (bad shapes, wrong dtypes) throws this with a message naming the op.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A reference-counted, 64-byte aligned buffer from the caching allocator.
struct Storage {
  void* data = nullptr;
  std::size_t bytes = 0;
  explicit Storage(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

class Node;
class Tensor;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  Shape strides;  // in elements
  DType dtype = DType::F32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // same shape, contiguous; set by backward()
  std::shared_ptr<Node> grad_fn;     // null for leaves
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // --- factories (contiguous, fresh storage) ---
  static Tensor empty(const Shape& shape, DType dtype = DType::F32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32);
  static Tensor full(const Shape& shape, float value);
  static Tensor ones(const Shape& shape) { return full(shape, 1.0f); }
  static Tensor scalar(float value) { return full({}, value); }
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  static Tensor from_ints(const std::vector<int64_t>& values, const Shape& shape,
                          DType dtype = DType::I64);
  static Tensor arange(int64_t n);  // float 0..n-1
  // Deterministic pseudo-random fills from the counter-based generator (see random.h).
  static Tensor randn(const Shape& shape, uint64_t seed, float std = 1.0f);
  static Tensor uniform(const Shape& shape, uint64_t seed, float low, float high);

  // --- metadata ---
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return shape_numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  bool is_contiguous() const;
  int64_t offset() const { return impl().offset; }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }

  // Pointer to element 0 of this view. Checks the dtype.
  template <typename T>
  T* data() const;
  float item() const;                    // one-element tensor
  std::vector<float> to_vector() const;  // values in row-major order (any strides, any dtype)
  std::vector<int64_t> to_ints() const;  // for index tensors
  float at(std::initializer_list<int64_t> index) const;

  // --- autograd ---
  bool requires_grad() const { return impl().requires_grad; }
  // Marks a leaf as a parameter/input whose gradient backward() accumulates.
  Tensor& set_requires_grad(bool on = true);
  Tensor grad() const;  // undefined until backward() reached it
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the gradient (next backward writes it fresh)
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  // Reverse-mode autodiff from this scalar (or from `grad_output` of the same shape).
  void backward(const Tensor& grad_output = Tensor()) const;
  Tensor detach() const;  // same storage, no autograd history
  Tensor clone() const;   // contiguous copy with no autograd history

  // --- shorthand for the shape ops in ops/shape.h (differentiable) ---
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor permute(const Shape& order) const;
  Tensor slice(int64_t d, int64_t start, int64_t end) const;
  Tensor unsqueeze(int64_t d) const;
  Tensor squeeze(int64_t d) const;
  Tensor expand(const Shape& shape) const;
  Tensor contiguous() const;

  TensorImpl& impl() const {
    if (!impl_) throw Error("use of an undefined Tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::F32;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::I32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::I64;
}

template <typename T>
T* Tensor::data() const {
  const TensorImpl& t = impl();
  if (t.dtype != dtype_of<std::remove_const_t<T>>())
    throw Error(std::string("data<T>(): tensor holds ") + dtype_name(t.dtype));
  return static_cast<T*>(t.storage->data) + t.offset;
}

// Normalizes a possibly negative dimension index; throws naming `op` when out of range.
int64_t wrap_dim(int64_t d, int64_t ndim, const char* op);

}  // namespace heed
