// Prefix sums: cumsum along one dimension, and causal_dot_product, the prefix sum of outer
// products that causal linear attention needs, computed without materializing the (T, D, Dv)
// running sums (the fused kernel of Katharopoulos et al.'s fast-transformers, in plain C++).
#pragma once

#include "framework/tensor.h"

namespace heed {

// out[..., i, ...] = Σ_{j ≤ i} x[..., j, ...] along `dim` (torch.cumsum). Backward is the
// reverse cumulative sum of the gradient.
Tensor cumsum(const Tensor& x, int64_t dim);

// q: (N..., Tq, D), k: (N..., Tk, D), v: (N..., Tk, Dv) with equal leading dims -> (N..., Tq, Dv):
//   out_i = Σ_{j ≤ i + Tk − Tq} (q_i · k_j) v_j
// the causal alignment of causal_mask (the last query sees every key). Time O(N·(Tq+Tk)·D·Dv),
// extra memory O(D·Dv) per thread in forward and backward: the running state S = Σ k_j v_jᵀ is
// rebuilt in backward instead of being stored per position.
Tensor causal_dot_product(const Tensor& q, const Tensor& k, const Tensor& v);

}  // namespace heed
