// Softmax and log-softmax over the last dimension, with fused backward.
#pragma once

#include "framework/tensor.h"

namespace heed {

// softmax(x + mask) over the last dim. `mask` is optional, additive and broadcasts to x
// (-inf hides an entry); it gets no gradient. A row whose entries are all -inf gives zeros
// (not NaN) and passes no gradient: a query that may attend to nothing attends to nothing.
Tensor softmax(const Tensor& x, const Tensor& mask = Tensor());
// log(softmax(x + mask)). A row whose entries are all -inf gives -inf and passes no gradient.
Tensor log_softmax(const Tensor& x, const Tensor& mask = Tensor());

// Row kernels (rows of length n, contiguous), used by the attention core too:
//   y = softmax(x) per row; gx = y ⊙ (g − Σ g⊙y) per row. Each may run in place (y = x, gx = g).
void softmax_rows(const float* x, float* y, int64_t rows, int64_t n);
void softmax_rows_backward(const float* y, const float* g, float* gx, int64_t rows, int64_t n);

}  // namespace heed
