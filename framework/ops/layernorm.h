// Layer normalization over the last dimension (torch.nn.functional.layer_norm), fused backward.
#pragma once

#include "framework/tensor.h"

namespace heed {

// x: (..., C), weight/bias: (C,) or undefined. y = (x − mean) / sqrt(var + eps) · weight + bias,
// with the biased variance, as PyTorch.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps = 1e-5f);

}  // namespace heed
