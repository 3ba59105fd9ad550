// Splitting the model dimension into heads and back, shared by the variants.
#pragma once

#include <utility>

#include "framework/ops.h"
#include "models/attention/attention.h"

namespace heed {

// (B, T, C) -> (B, H, T, C/H), a view (no copy).
inline Tensor split_heads(const Tensor& x, int64_t heads) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2);
  return reshape(x, {B, T, heads, C / heads}).permute({0, 2, 1, 3});
}

// (B, H, T, D) -> (B, T, H·D), one copy.
inline Tensor merge_heads(const Tensor& x) {
  const int64_t B = x.size(0), H = x.size(1), T = x.size(2), D = x.size(3);
  return reshape(x.permute({0, 2, 1, 3}), {B, T, H * D});
}

// Appends this call's keys/values (B, H, T, D) to a cache and returns the full ones.
inline std::pair<Tensor, Tensor> append_to_cache(KVCache* cache, Tensor k, Tensor v) {
  if (cache == nullptr) return {k, v};
  if (cache->k.defined()) {
    k = concat({cache->k, k}, 2);
    v = concat({cache->v, v}, 2);
  }
  cache->k = k.detach();
  cache->v = v.detach();
  return {k, v};
}

}  // namespace heed
