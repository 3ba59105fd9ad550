// framework/precision.h: bf16 rounding, and every oneDNN product under bf16 reading its operands
// rounded to bf16 (natively where oneDNN has bf16 kernels, emulated in fp32 elsewhere).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "framework/ops.h"
#include "framework/precision.h"

namespace heed {
namespace {

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
float from_bits(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

TEST(Bf16, RoundsToNearestWithTiesToEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xc000);
  // 0x3f808000 lies halfway between 0x3f80 and 0x3f81: to the even one, 0x3f80.
  EXPECT_EQ(float_to_bf16(from_bits(0x3f808000u)), 0x3f80);
  // 0x3f818000 lies halfway between 0x3f81 and 0x3f82: to the even one, 0x3f82.
  EXPECT_EQ(float_to_bf16(from_bits(0x3f818000u)), 0x3f82);
  EXPECT_EQ(float_to_bf16(from_bits(0x3f808001u)), 0x3f81);  // past halfway: up
  EXPECT_EQ(float_to_bf16(from_bits(0x3f807fffu)), 0x3f80);  // short of halfway: down
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds past the top
  EXPECT_EQ(float_to_bf16(from_bits(0x00000001u)), 0x0000);             // smallest subnormal
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
  // A NaN whose payload lies only in the low 16 bits must not round into infinity.
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(from_bits(0x7f800001u)))));
  EXPECT_EQ(bf16_to_float(0x3f80), 1.0f);
}

TEST(Bf16, ConvertAndRoundAgreeOnEveryElementAlsoInParallel) {
  const int64_t n = (1 << 17) + 3;  // above the parallel threshold, not a multiple of a vector
  const Tensor x = Tensor::randn({n}, 7, 100.0f);
  std::vector<uint16_t> converted(n);
  Tensor rounded = Tensor::empty({n});
  convert_to_bf16(x.data<float>(), converted.data(), n);
  round_to_bf16(x.data<float>(), rounded.data<float>(), n);
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(converted[i], float_to_bf16(x.data<float>()[i])) << i;
    ASSERT_EQ(bits(rounded.data<float>()[i]), bits(bf16_to_float(converted[i]))) << i;
  }
}

TEST(Bf16, ParsesItsNamesAndAScopeRestoresThePrecision) {
  EXPECT_EQ(parse_precision("fp32"), Precision::kFp32);
  EXPECT_EQ(parse_precision("bf16"), Precision::kBf16);
  EXPECT_STREQ(precision_name(Precision::kBf16), "bf16");
  EXPECT_THROW(parse_precision("fp16"), Error);
  ASSERT_EQ(matmul_precision(), Precision::kFp32) << "fp32 is the default";
  {
    PrecisionScope bf16(Precision::kBf16);
    EXPECT_EQ(matmul_precision(), Precision::kBf16);
  }
  EXPECT_EQ(matmul_precision(), Precision::kFp32);
  EXPECT_FALSE(bf16_info().empty());
}

// t's values rounded to bf16, as a contiguous fp32 tensor.
Tensor rounded(const Tensor& t) {
  Tensor c = t.clone();
  round_to_bf16(c.data<float>(), c.data<float>(), c.numel());
  return c;
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const Tensor ca = a.clone(), cb = b.clone();
  float m = 0;
  for (int64_t i = 0; i < ca.numel(); ++i)
    m = std::max(m, std::fabs(ca.data<float>()[i] - cb.data<float>()[i]));
  return m;
}

// Under bf16, product(a, b) is the fp32 product of the rounded operands up to the order of the
// fp32 sums (1e-4 here, where entries are ~8), and clearly not the unrounded product.
template <class Product>
void expect_bf16_product(const Tensor& a, const Tensor& b, Product product) {
  const Tensor fp32 = product(a, b);
  const Tensor of_rounded = product(rounded(a), rounded(b));
  Tensor bf16;
  {
    PrecisionScope scope(Precision::kBf16);
    bf16 = product(a, b);
  }
  EXPECT_LT(max_abs_diff(bf16, of_rounded), 1e-4f) << (bf16_native() ? "native" : "emulated");
  EXPECT_GT(max_abs_diff(bf16, fp32), 1e-3f) << "the operands were not rounded";
}

TEST(Bf16, EveryProductReadsItsOperandsRoundedToBf16) {
  NoGradGuard no_grad;
  const Tensor a = Tensor::randn({24, 64}, 1), b = Tensor::randn({64, 40}, 2);
  expect_bf16_product(a, b, [](const Tensor& x, const Tensor& y) { return matmul(x, y); });
  // A weight read as a transposed view (column-major), with a fused bias.
  const Tensor w = Tensor::randn({40, 64}, 3), bias = Tensor::randn({40}, 4);
  expect_bf16_product(a, w, [&](const Tensor& x, const Tensor& y) { return linear(x, y, bias); });
  // Batched (B, H, T, D) @ (B, H, D, T) with the keys transposed, and a fused scale.
  const Tensor q = Tensor::randn({2, 3, 16, 64}, 5), k = Tensor::randn({2, 3, 16, 64}, 6);
  expect_bf16_product(q, k, [](const Tensor& x, const Tensor& y) {
    return matmul_nograd(x, y.transpose(-1, -2), 0.125f);
  });
  // An operand that is not one dense block (a column slice): copied, then rounded.
  const Tensor wide = Tensor::randn({24, 100}, 8);
  expect_bf16_product(
      wide, b, [](const Tensor& x, const Tensor& y) { return matmul(x.slice(1, 10, 74), y); });
}

TEST(Bf16, BackwardProductsAreBf16Too) {
  const Tensor x = Tensor::randn({32, 64}, 1), w = Tensor::randn({48, 64}, 2);
  auto weight_grad = [&](Precision p) {
    PrecisionScope scope(p);
    Tensor wg = w.clone().set_requires_grad();
    sum(mul(linear(x, wg), linear(x, wg))).backward();
    return wg.grad();
  };
  const Tensor g32 = weight_grad(Precision::kFp32), g16 = weight_grad(Precision::kBf16);
  const float scale = max_abs_diff(g32, Tensor::zeros(g32.shape()));
  // bf16 keeps 8 significant bits: close to fp32 (a few 2^-8 relative), not equal to it.
  EXPECT_LT(max_abs_diff(g16, g32), 0.05f * scale);
  EXPECT_GT(max_abs_diff(g16, g32), 1e-5f * scale);
}

}  // namespace
}  // namespace heed
