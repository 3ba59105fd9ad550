// Reductions. Every output element is accumulated by one thread in a fixed order, so results
// are bitwise identical for any thread count.
#pragma once

#include <vector>

#include "framework/tensor.h"

namespace heed {

Tensor sum(const Tensor& x);  // all elements -> scalar
Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
// Maximum over `dims`; the gradient goes to the first maximal element of each group.
Tensor max(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
// Sums a broadcast gradient back to `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& g, const Shape& shape);

// Sum of n floats in a fixed order (16 interleaved partial sums, then pairwise).
float row_sum(const float* p, int64_t n);

}  // namespace heed
