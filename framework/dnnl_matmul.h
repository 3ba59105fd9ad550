// The single door to oneDNN's matmul primitive, with primitives cached by shape and layout.
#pragma once

#include "framework/tensor.h"

namespace heed {

// c = a @ b (+ bias), all float32 with the same rank (2 to 5):
//   a: (..., M, K)   b: (..., K, N)   c: (..., M, N), contiguous, written (not accumulated)
//   bias: undefined, or (N,) added to every row (a {1, N} bias; fused by oneDNN)
//   scale: multiplies the fp32 product as oneDNN's output scale, so a scaled product costs no
//   extra pass over c and rounds as a separate multiply would. Not combined with a bias.
// a and b may be any strided views whose last two dims have one unit stride (transposes as
// strides cost nothing); batch dims of a or b may be 1 and are broadcast.
// Under matmul_precision() bf16, a and b are read rounded to bf16 (framework/precision.h).
void dnnl_matmul(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& c,
                 float scale = 1.0f);
// True when t's last two dims can be handed to oneDNN without a copy.
bool dnnl_matmul_layout_ok(const Tensor& t);
void dnnl_clear_cache();
std::size_t dnnl_cache_size();

}  // namespace heed
