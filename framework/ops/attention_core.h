// The attention core every softmax-based variant shares (x-transformers' "Attend"):
//   S = q·kᵀ·scale + bias + mask,  P = softmax(S),  O = dropout(P)·v
// with one fused backward. Variants differ in how they build q, k, v, bias and mask.
#pragma once

#include "framework/tensor.h"

namespace heed {

struct AttentionCoreOutput {
  Tensor out;      // (B, H, Tq, Dv)
  Tensor weights;  // (B, H, Tq, Tk): P before dropout, no autograd (for inspection)
};

// q: (B, H, Tq, D), k: (B, H, Tk, D), v: (B, H, Tk, Dv).
// bias: optional, broadcastable to (B, H, Tq, Tk), may require grad (learned position biases).
// mask: optional additive constant broadcastable to (B, H, Tq, Tk): 0 keeps, -inf hides; no grad.
// A query row whose keys are all hidden attends to nothing: its output is 0 (never NaN).
// scale <= 0 means 1/sqrt(D). dropout_p applies to P only when training.
AttentionCoreOutput scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                                 const Tensor& bias = Tensor(),
                                                 const Tensor& mask = Tensor(),
                                                 float dropout_p = 0.0f, bool training = false,
                                                 float scale = 0.0f);

// The checks both cores make (this one and flash_attention.h): q, k, v (B, H, T, D) of one
// batch and head count, dropout in [0, 1), bias and mask broadcastable to the scores. Returns the
// scores' shape (B, H, Tq, Tk); throws heed::Error "OP: what is wrong (shapes)".
Shape check_attention_core_inputs(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& bias, const Tensor& mask, float dropout_p);

// Additive masks, (Tq, Tk) and (B, 1, 1, Tk): 0 where allowed, -inf where hidden.
Tensor causal_mask(int64_t tq, int64_t tk);  // query i sees keys j <= i + (tk - tq)
// padding: (B, Tk), nonzero marks a padded key.
Tensor key_padding_mask(const Tensor& padding);

}  // namespace heed
