// The position schemes of the relative, alibi and rotary variants, exposed so that tests (and
// anyone plotting them) can check them against the papers' definitions. Positions follow
// AttentionContext: query i sits at query_offset + i, key j at j (keys from the cache included).
#pragma once

#include <cstdint>
#include <vector>

#include "framework/tensor.h"

namespace heed {

// T5's _relative_position_bucket (Raffel et al. 2020; HF transformers' T5Attention) for
// relative_position = key − query: with `bidirectional` half the buckets go to keys after the
// query; of the rest, the first half are exact distances and the others log-spaced up to
// max_distance (everything farther shares the last bucket). Computed in float32, as torch does.
int64_t t5_relative_position_bucket(int64_t relative_position, bool bidirectional,
                                    int64_t num_buckets, int64_t max_distance);

// ALiBi slopes (Press et al. 2022): 2^(−8(h+1)/H) when H is a power of two; otherwise the
// paper's interpolation: the slopes of the closest smaller power of two, then every other slope
// of twice that many.
std::vector<float> alibi_slopes(int64_t heads);
// (H, Tq, Tk): −slope_h · |(query_offset + i) − j|. Constant, no autograd.
Tensor alibi_bias(const std::vector<float>& slopes, int64_t tq, int64_t tk, int64_t query_offset);

// RoPE with the rotate-half convention of GPT-NeoX / HF: x: (..., T, D), D even; the row at
// time t is rotated by the angles (offset + t) · base^(−2m/D), m < D/2, pairing dims m and
// m + D/2. Differentiable in x.
Tensor apply_rotary(const Tensor& x, int64_t offset, double base);

}  // namespace heed
