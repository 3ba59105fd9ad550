// The attention core of framework/ops/attention_core.h computed in tiles (FlashAttention, Dao et
// al. 2022, on the CPU): for each block of queries the keys are visited block by block with an
// online softmax, so the (B, H, Tq, Tk) scores and probabilities are never stored; the backward
// pass recomputes each tile from the saved row log-sum-exps. Memory grows linearly in T instead of
// quadratically, and tiles that a causal mask hides entirely are skipped.
//
// Same arguments and result as scaled_dot_product_attention's `out`, equal to it within fp32
// rounding: bias (may require grad) and mask broadcast to (B, H, Tq, Tk); a query whose keys are
// all hidden gives 0; dropout draws the very masks the unfused core draws (the same counters for
// each (b, h, i, j)), so the two agree with dropout on too. No attention weights come out of it:
// callers that want them use scaled_dot_product_attention.
#pragma once

#include "framework/tensor.h"

namespace heed {

// q: (B, H, Tq, D), k: (B, H, Tk, D), v: (B, H, Tk, Dv) -> (B, H, Tq, Dv). `causal`: query i sees
// keys j <= i + (Tk - Tq), as causal_mask(Tq, Tk) (and on top of `mask`).
Tensor flash_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias = {},
                       const Tensor& mask = {}, float dropout_p = 0.0f, bool training = false,
                       float scale = 0.0f, bool causal = false);

}  // namespace heed
