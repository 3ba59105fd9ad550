// Tensor storage, views and strides, the caching allocator.
#include <gtest/gtest.h>

#include "framework/allocator.h"
#include "framework/ops.h"
#include "tests/test_util.h"

namespace heed {
namespace {

using testing::expect_values;

Tensor iota(const Shape& shape) {
  Tensor t = Tensor::arange(shape_numel(shape));
  return t.view(shape);
}

TEST(Tensor, FactoriesShapeAndStrides) {
  Tensor t = Tensor::zeros({2, 3, 4});
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Shape{12, 4, 1}));
  EXPECT_EQ(t.numel(), 24);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_EQ(Tensor::scalar(3).dim(), 0);
  EXPECT_FLOAT_EQ(Tensor::scalar(3).item(), 3.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data<float>()) % 64, 0u);
  EXPECT_THROW(Tensor::from_vector({1, 2, 3}, {2, 2}), Error);
  EXPECT_THROW(t.data<int64_t>(), Error);
}

TEST(Tensor, TransposeIsAViewWithSwappedStrides) {
  Tensor a = iota({2, 3});
  Tensor t = a.transpose(0, 1);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.strides(), (Shape{1, 3}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.storage(), a.storage());  // no copy
  expect_values(t, {0, 3, 1, 4, 2, 5});
  Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage(), a.storage());
  expect_values(c, {0, 3, 1, 4, 2, 5});
}

TEST(Tensor, ContiguousOfATransposedMatrixCopiesEveryElementInTiles) {
  // Sizes that are not multiples of the 32 x 32 tiles, a view with an offset and a row stride
  // wider than the matrix, and one large enough to run in parallel.
  for (Shape s : {Shape{37, 70}, Shape{2, 33}, Shape{300, 257}}) {
    Tensor a = iota({s[0] + 3, s[1] + 5});
    Tensor view = a.slice(0, 2, 2 + s[0]).slice(1, 1, 1 + s[1]);  // (R, C), offset, ld C + 5
    Tensor t = view.transpose(0, 1);                              // (C, R), column-major
    Tensor c = t.contiguous();
    ASSERT_TRUE(c.is_contiguous());
    for (int64_t i = 0; i < s[1]; ++i)
      for (int64_t j = 0; j < s[0]; ++j)
        ASSERT_EQ(c.at({i, j}), a.at({j + 2, i + 1})) << i << " " << j;
  }
}

TEST(Tensor, PermuteSliceSelect) {
  Tensor a = iota({2, 3, 4});
  Tensor p = a.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_FLOAT_EQ(p.at({3, 1, 2}), a.at({1, 2, 3}));
  Tensor s = a.slice(2, 1, 3);
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.storage(), a.storage());
  EXPECT_FLOAT_EQ(s.at({1, 2, 0}), a.at({1, 2, 1}));
  expect_values(select(a, 1, 2), {8, 9, 10, 11, 20, 21, 22, 23});
  EXPECT_THROW(a.slice(0, 1, 5), Error);
  EXPECT_THROW(a.permute({0, 0, 1}), Error);
}

TEST(Tensor, UnsqueezeSqueezeExpand) {
  Tensor a = iota({3});
  Tensor u = a.unsqueeze(0);
  EXPECT_EQ(u.shape(), (Shape{1, 3}));
  Tensor e = u.expand({4, 3});
  EXPECT_EQ(e.strides()[0], 0);
  EXPECT_FLOAT_EQ(e.at({3, 2}), 2.0f);
  EXPECT_EQ(u.squeeze(0).shape(), (Shape{3}));
  EXPECT_THROW(a.unsqueeze(0).expand({4, 2}), Error);
  EXPECT_THROW(u.squeeze(1), Error);
}

TEST(Tensor, ViewAndReshape) {
  Tensor a = iota({2, 6});
  EXPECT_EQ(a.view({3, -1}).shape(), (Shape{3, 4}));
  EXPECT_THROW(a.view({5, -1}), Error);
  Tensor t = a.transpose(0, 1);
  EXPECT_THROW(t.view({12}), Error);  // not contiguous
  expect_values(t.reshape({12}), {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11});
  EXPECT_EQ(flatten(iota({2, 3, 4}), 1).shape(), (Shape{2, 12}));
}

TEST(Tensor, ConcatStackGather) {
  Tensor a = iota({2, 2});
  Tensor b = add(iota({2, 1}), 10.0f);
  expect_values(concat({a, b}, 1), {0, 1, 10, 2, 3, 11});
  EXPECT_EQ(stack({a, a}, 0).shape(), (Shape{2, 2, 2}));
  EXPECT_THROW(concat({a, iota({3, 1})}, 1), Error);
  Tensor idx = Tensor::from_ints({1, 0, 0, 0}, {2, 2});
  expect_values(gather(a, 1, idx), {1, 0, 2, 2});
  EXPECT_THROW(gather(a, 1, Tensor::from_ints({2, 0, 0, 0}, {2, 2})), Error);
}

TEST(Tensor, IndexTensors) {
  Tensor ids = Tensor::from_ints({1, 2, 3}, {3}, DType::I32);
  EXPECT_EQ(ids.dtype(), DType::I32);
  EXPECT_EQ(ids.to_ints(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_THROW(ids.set_requires_grad(), Error);
}

TEST(Allocator, ReusesFreedBuffersOfTheSameSize) {
  if (!allocator_caches()) GTEST_SKIP() << "sanitizer build: the cache is bypassed on purpose";
  { Tensor warm = Tensor::empty({1000}); }
  const uint64_t before = allocator_stats().os_allocations;
  for (int i = 0; i < 100; ++i) {
    Tensor t = Tensor::empty({1000});
    Tensor u = Tensor::empty({990});  // same size class
  }
  EXPECT_LE(allocator_stats().os_allocations - before, 1u);
}

TEST(Allocator, SteadyStateTrainingStepTakesNothingFromTheOs) {
  if (!allocator_caches()) GTEST_SKIP() << "sanitizer build: the cache is bypassed on purpose";
  Tensor w = Tensor::randn({16, 8}, 1).set_requires_grad();
  Tensor x = Tensor::randn({32, 16}, 2);
  Tensor targets = Tensor::from_ints(std::vector<int64_t>(32, 3), {32});
  auto step = [&] {
    Tensor loss = cross_entropy(gelu(matmul(x, w)), targets);
    loss.backward();
    w.zero_grad();
  };
  step();
  step();
  const uint64_t before = allocator_stats().os_allocations;
  for (int i = 0; i < 10; ++i) step();
  EXPECT_EQ(allocator_stats().os_allocations, before);
}

TEST(Allocator, ResetPeakMeasuresOnePhase) {
  { Tensor earlier = Tensor::empty({1 << 16}); }  // a 256 KiB peak that is over
  allocator_reset_peak();
  const AllocatorStats start = allocator_stats();
  EXPECT_EQ(start.peak_bytes_in_use, start.bytes_in_use);
  { Tensor t = Tensor::empty({1000}); }  // 4000 bytes, in the 4032-byte size class
  EXPECT_EQ(allocator_stats().peak_bytes_in_use, start.bytes_in_use + 4032);
}

}  // namespace
}  // namespace heed
