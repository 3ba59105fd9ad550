// Checks at the edges of Tensor: shapes too large to count, int32 ids that do not fit, and
// gather (the fast row kernels against a per-element reference, at any thread count).
//
// tensor.h comes first on purpose: it must compile on its own (it uses std::remove_const_t,
// so it includes <type_traits> itself rather than relying on what an earlier include pulled in).
#include "framework/tensor.h"

#include <gtest/gtest.h>

#include <omp.h>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/allocator.h"
#include "framework/ops.h"
#include "tests/test_util.h"

namespace heed {
namespace {

using testing::expect_values;
using testing::passes_gradcheck;

// Runs f, expects heed::Error, and returns its message ("" if nothing or something else threw).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (...) {
    ADD_FAILURE() << "threw something other than heed::Error";
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

constexpr int64_t k2to40 = int64_t{1} << 40;

TEST(TensorChecks, DataOfConstElementsUsesRemoveConst) {
  Tensor t = Tensor::from_vector({1, 2}, {2});
  const float* p = t.data<const float>();
  EXPECT_EQ(p[1], 2.0f);
  EXPECT_THROW(t.data<const int32_t>(), Error);
}

TEST(TensorChecks, ShapeWhoseElementCountOverflowsThrowsNamingIt) {
  const Shape huge = {k2to40, k2to40};  // 2^80 elements
  const std::string name = shape_str(huge);
  EXPECT_NE(error_of([&] { shape_numel(huge); }).find(name), std::string::npos);
  EXPECT_NE(error_of([&] { contiguous_strides(huge); }).find(name), std::string::npos);
  EXPECT_NE(error_of([&] { Tensor::empty(huge); }).find(name), std::string::npos);
  EXPECT_NE(error_of([&] { Tensor::zeros(huge, DType::I64); }).find(name), std::string::npos);
  EXPECT_NE(error_of([&] { Tensor::full(huge, 1.0f); }).find(name), std::string::npos);
  // The product wraps to exactly 0 or to a small positive number: both must still throw.
  EXPECT_THROW(shape_numel({int64_t{1} << 32, int64_t{1} << 32}), Error);       // 2^64 -> 0
  EXPECT_THROW(shape_numel({INT64_MAX, 3}), Error);                             // wraps positive
  EXPECT_THROW(Tensor::empty({int64_t{1} << 32, int64_t{1} << 32, 2}), Error);  // 2^65 -> 0
}

TEST(TensorChecks, ZeroDimensionDoesNotHideAnOverflowingShape) {
  // numel is 0, but the contiguous strides (1 counted for 0) would overflow.
  const Shape hidden = {0, k2to40, k2to40};
  EXPECT_THROW(shape_numel(hidden), Error);
  EXPECT_THROW(contiguous_strides(hidden), Error);
  EXPECT_THROW(Tensor::empty(hidden), Error);
  // Empty tensors of sane shapes are still fine.
  EXPECT_EQ(shape_numel({0, k2to40}), 0);
  EXPECT_EQ(Tensor::empty({0, 5}).numel(), 0);
  EXPECT_EQ(contiguous_strides({3, 0, 4}), (Shape{4, 4, 1}));
}

TEST(TensorChecks, LargestCountableShapesAreAccepted) {
  EXPECT_EQ(shape_numel({INT64_MAX}), INT64_MAX);
  EXPECT_EQ(shape_numel({int64_t{1} << 31, int64_t{1} << 31}), int64_t{1} << 62);
  EXPECT_EQ(contiguous_strides({3, int64_t{1} << 61}), (Shape{int64_t{1} << 61, 1}));
}

TEST(TensorChecks, ByteCountBeyondABufferThrowsBeforeAllocating) {
  const uint64_t requests = allocator_stats().requests;
  // 2^61 floats are countable, but 2^63 bytes are not addressable; 2^62 int64 wrap size_t.
  const Shape big = {int64_t{1} << 61};
  EXPECT_NE(error_of([&] { Tensor::empty(big); }).find(shape_str(big)), std::string::npos);
  EXPECT_THROW(Tensor::empty({int64_t{1} << 62}, DType::I64), Error);
  EXPECT_EQ(allocator_stats().requests, requests);  // nothing was asked of the allocator
}

TEST(TensorChecks, OutOfMemoryIsAnErrorNamingTheShapeAndLeavesStatsTrue) {
  // AddressSanitizer aborts on an impossible malloc instead of returning null.
  if (!allocator_caches()) GTEST_SKIP() << "sanitizer build: the OS allocator is used directly";
  const Shape shape = {int64_t{1} << 50};  // 4 PiB of floats: no machine has that
  const std::size_t in_use = allocator_stats().bytes_in_use;
  const std::string msg = error_of([&] { Tensor::empty(shape); });
  EXPECT_NE(msg.find(shape_str(shape)), std::string::npos) << msg;
  EXPECT_NE(msg.find("out of memory"), std::string::npos) << msg;
  EXPECT_EQ(allocator_stats().bytes_in_use, in_use);
}

TEST(TensorChecks, NegativeAndOverflowingShapesInViewsThrow) {
  Tensor t = Tensor::zeros({4});
  EXPECT_THROW(t.view({-1, k2to40, k2to40}), Error);
  EXPECT_THROW(t.view({0, k2to40, k2to40}), Error);
  EXPECT_THROW(t.view({2, -2}), Error);
  Tensor one = Tensor::zeros({1});
  EXPECT_THROW(one.expand({k2to40, k2to40}), Error);
  EXPECT_THROW(one.expand({-2, 1}), Error);
  EXPECT_EQ(one.expand({3, -1}).shape(), (Shape{3, 1}));
}

TEST(TensorChecks, FromIntsRejectsValuesOutsideInt32) {
  Tensor ok = Tensor::from_ints({INT32_MIN, -1, 0, INT32_MAX}, {4}, DType::I32);
  EXPECT_EQ(ok.to_ints(), (std::vector<int64_t>{INT32_MIN, -1, 0, INT32_MAX}));
  const std::string msg = error_of([] {
    Tensor::from_ints({1, int64_t{INT32_MAX} + 1}, {2}, DType::I32);
  });
  EXPECT_NE(msg.find("2147483648"), std::string::npos) << msg;
  EXPECT_NE(msg.find("index 1"), std::string::npos) << msg;
  EXPECT_THROW(Tensor::from_ints({int64_t{INT32_MIN} - 1}, {1}, DType::I32), Error);
  EXPECT_THROW(Tensor::from_ints({int64_t{1} << 40}, {1}, DType::I32), Error);  // not 0 after wrap
  // int64 keeps every value.
  EXPECT_EQ(Tensor::from_ints({int64_t{1} << 40}, {1}).to_ints()[0], int64_t{1} << 40);
}

// --- gather ---

// For each element c of index (in flat order), the flat offset in a contiguous x of `x_shape` of
// c with c[dim] replaced by index[c].
std::vector<int64_t> gathered_offsets(const Shape& x_shape, int64_t dim, const Tensor& index) {
  const std::vector<int64_t> iv = index.to_ints();
  const Shape& is = index.shape();
  const Shape xs = contiguous_strides(x_shape);
  std::vector<int64_t> offsets(iv.size());
  for (std::size_t flat = 0; flat < iv.size(); ++flat) {
    int64_t rem = static_cast<int64_t>(flat), off = 0;
    for (int64_t d = index.dim() - 1; d >= 0; --d) {
      const int64_t c = rem % is[d];
      rem /= is[d];
      off += (d == dim ? iv[flat] : c) * xs[d];
    }
    offsets[flat] = off;
  }
  return offsets;
}

// The per-element definition: out[c] = x[c with c[dim] replaced by index[c]].
std::vector<float> gather_reference(const Tensor& x, int64_t dim, const Tensor& index) {
  const std::vector<float> xv = x.contiguous().to_vector();
  std::vector<float> out;
  for (int64_t off : gathered_offsets(x.shape(), dim, index)) out.push_back(xv[off]);
  return out;
}

// Its transpose, added in flat order: what a sequential scatter-add computes.
std::vector<float> scatter_reference(const Shape& x_shape, int64_t dim, const Tensor& index,
                                     const std::vector<float>& gy) {
  const std::vector<int64_t> offsets = gathered_offsets(x_shape, dim, index);
  std::vector<float> gx(shape_numel(x_shape), 0.0f);
  for (std::size_t flat = 0; flat < offsets.size(); ++flat) gx[offsets[flat]] += gy[flat];
  return gx;
}

// An index to gather x (of `x_shape`) along `dim`: of `shape` but with `picks` at dim, its values
// in [0, x_shape[dim]), repeating (so the backward really adds).
Tensor random_index(const Shape& x_shape, int64_t dim, Shape shape, int64_t picks, uint64_t seed,
                    DType dtype) {
  shape[dim] = picks;
  const int64_t size = x_shape[dim];
  Tensor u = Tensor::uniform(shape, seed, 0.0f, static_cast<float>(size));
  std::vector<int64_t> v;
  for (float f : u.to_vector()) v.push_back(std::min<int64_t>(static_cast<int64_t>(f), size - 1));
  return Tensor::from_ints(v, shape, dtype);
}

TEST(Gather, MatchesThePerElementDefinitionForEveryDimAndIndexType) {
  // x is a transposed view (non-contiguous); the index is smaller than x outside `dim`.
  Tensor x = Tensor::randn({5, 6, 4}, 7).transpose(0, 2);  // (4, 6, 5)
  for (DType dt : {DType::I32, DType::I64}) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      // 7: more picks than x has along dim, so they repeat.
      Tensor index = random_index(x.shape(), dim, {3, 5, 4}, 7, 11 + dim, dt);
      Tensor out = gather(x, dim, index);
      EXPECT_EQ(out.shape(), index.shape());
      EXPECT_EQ(out.to_vector(), gather_reference(x, dim, index)) << "dim " << dim;
      // A non-contiguous index gives the same as its contiguous copy.
      Tensor index_t = index.transpose(0, 1).contiguous().transpose(0, 1);
      ASSERT_FALSE(index_t.is_contiguous());
      EXPECT_EQ(gather(x, dim, index_t).to_vector(), out.to_vector());
    }
  }
}

TEST(Gather, OneDimensionalAndScalar) {
  Tensor x = Tensor::from_vector({10, 11, 12}, {3});
  expect_values(gather(x, 0, Tensor::from_ints({2, 2, 0, 1}, {4})), {12, 12, 10, 11});
  expect_values(gather(x, -1, Tensor::from_ints({}, {0})), {});
  Tensor s = Tensor::scalar(5);
  Tensor g = gather(s, 0, Tensor::from_ints({0}, {}));
  EXPECT_EQ(g.dim(), 0);
  EXPECT_EQ(g.item(), 5.0f);
  EXPECT_THROW(gather(s, 0, Tensor::from_ints({1}, {})), Error);
}

TEST(Gather, OutOfRangeIndexThrowsNamingIt) {
  Tensor x = Tensor::zeros({2, 3});
  const std::string msg = error_of([&] { gather(x, 1, Tensor::from_ints({0, 1, 3, 0}, {2, 2})); });
  EXPECT_NE(msg.find("index 3"), std::string::npos) << msg;
  EXPECT_THROW(gather(x, 0, Tensor::from_ints({0, -1}, {1, 2}, DType::I32)), Error);
}

TEST(Gather, BackwardIsTheSequentialScatterAddForEveryDim) {
  Tensor base = Tensor::randn({4, 6, 5}, 3);
  for (int64_t dim = 0; dim < 3; ++dim) {
    Tensor index = random_index(base.shape(), dim, {3, 5, 4}, 9, 21 + dim, DType::I64);
    Tensor x = base.detach().set_requires_grad();
    Tensor gy = Tensor::randn(index.shape(), 40 + dim);
    gather(x, dim, index).backward(gy);
    EXPECT_EQ(x.grad().to_vector(), scatter_reference(x.shape(), dim, index, gy.to_vector()))
        << "dim " << dim;
  }
}

TEST(Gather, GradcheckAlongTheFirstAndMiddleDims) {
  // test_ops checks the last dim; these take the other code paths.
  Tensor idx0 = Tensor::from_ints({0, 2, 2, 1, 0, 0, 1, 2}, {2, 2, 2});
  EXPECT_TRUE(passes_gradcheck([&](const std::vector<Tensor>& x) { return gather(x[0], 0, idx0); },
                               {testing::input({3, 2, 2}, 1)}));
  Tensor idx1 = Tensor::from_ints({3, 3, 0, 1, 2, 2}, {1, 3, 2}, DType::I32);
  Tensor noncontiguous =
      Tensor::randn({3, 4}, 2).transpose(0, 1).unsqueeze(0).detach().set_requires_grad();
  EXPECT_TRUE(passes_gradcheck([&](const std::vector<Tensor>& x) { return gather(x[0], 1, idx1); },
                               {noncontiguous}));
}

TEST(Gather, LargeGatherAndBackwardDoNotDependOnThreadCount) {
  // Above the parallel grain, so each dim takes a threaded path: forward split by rows,
  // backward split by dim-0 slabs (dim 1, 2) or by column blocks (dim 0).
  Tensor base = Tensor::randn({16, 64, 96}, 5);
  for (int64_t dim = 0; dim < 3; ++dim) {
    Tensor index = random_index(base.shape(), dim, {16, 64, 96}, 48, 31 + dim, DType::I32);
    Tensor gy = Tensor::randn(index.shape(), 50 + dim);
    std::vector<float> out[2], grad[2];
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      Tensor x = base.detach().set_requires_grad();
      Tensor y = gather(x, dim, index);
      y.backward(gy);
      out[threads - 1] = y.to_vector();
      grad[threads - 1] = x.grad().to_vector();
    }
    omp_set_num_threads(1);
    EXPECT_EQ(out[0], out[1]) << "dim " << dim;
    EXPECT_EQ(grad[0], grad[1]) << "dim " << dim;
    EXPECT_EQ(out[0], gather_reference(base, dim, index)) << "dim " << dim;
    EXPECT_EQ(grad[0], scatter_reference(base.shape(), dim, index, gy.to_vector()))
        << "dim " << dim;
  }
}

TEST(Gather, BackwardWithOneLeadingSlabSplitsByColumns) {
  // dim 0 has size 1, so the backward cannot split by dim-0 slabs; it splits by columns.
  Tensor base = Tensor::randn({1, 64, 1024}, 6);
  Tensor index = random_index(base.shape(), 1, {1, 96, 1024}, 96, 61, DType::I64);
  Tensor gy = Tensor::randn({1, 96, 1024}, 62);
  std::vector<float> grad[2];
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    Tensor x = base.detach().set_requires_grad();
    gather(x, 1, index).backward(gy);
    grad[threads - 1] = x.grad().to_vector();
  }
  omp_set_num_threads(1);
  EXPECT_EQ(grad[0], grad[1]);
  EXPECT_EQ(grad[0], scatter_reference(base.shape(), 1, index, gy.to_vector()));
}

}  // namespace
}  // namespace heed
