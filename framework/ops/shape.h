// Shape ops. Views (view, reshape of a contiguous tensor, transpose, permute, slice, unsqueeze,
// squeeze, expand) share storage and copy nothing; the rest allocate. All are differentiable.
#pragma once

#include <vector>

#include "framework/tensor.h"

namespace heed {

Tensor view(const Tensor& x, Shape shape);     // x must be contiguous; one dim may be -1
Tensor reshape(const Tensor& x, Shape shape);  // view when possible, else a contiguous copy
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor permute(const Tensor& x, const Shape& order);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end);  // [start, end)
Tensor select(const Tensor& x, int64_t dim, int64_t index);              // drops `dim`
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor expand(const Tensor& x, const Shape& shape);  // broadcast to `shape` with stride 0
Tensor contiguous(const Tensor& x);                  // x itself when already contiguous
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);
// out[..., i, ...] = x[..., index[..., i, ...], ...] along `dim`; index is int32/int64 with
// x's shape except along `dim` (torch.gather). Backward scatters (adds) into x's gradient.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// Whole slices of x along `dim` picked by a 1-D int32/int64 index, which may repeat or omit
// entries (torch.index_select): out has x's shape with size index.numel() along `dim`. Any
// dtype; backward (float only) adds each picked slice's gradient back, in index order.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);

}  // namespace heed
