// Matrix products, all on oneDNN (framework/dnnl_matmul.h).
#pragma once

#include "framework/tensor.h"

namespace heed {

// (..., M, K) @ (..., K, N) -> (..., M, N); batch dims broadcast (numpy rules). Both inputs at
// least 2-D. Transposed views are passed to oneDNN as strides, not copied.
Tensor matmul(const Tensor& a, const Tensor& b);
// (a @ b) · scale as matmul computes it, scale fused into the product, recording no autograd
// node: for fused kernels (the attention core) that write their own backward.
Tensor matmul_nograd(const Tensor& a, const Tensor& b, float scale = 1.0f);
// x (..., K) · weightᵀ + bias -> (..., N), with weight (N, K) and bias (N,) or undefined, as
// torch.nn.functional.linear. The bias is fused into the product.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace heed
