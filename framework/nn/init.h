// Parameter initialization, as torch.nn.init. Every initializer draws from one process-wide
// sequential generator, so a model built after seed_init(s) has the same weights on every run
// and machine: the values depend only on the seed and the order in which parameters are made.
//
// Initializers write into the tensor's memory directly and record nothing (as under
// torch.no_grad()). They take contiguous float32 tensors and throw heed::Error otherwise.
#pragma once

#include <cstdint>

#include "framework/random.h"
#include "framework/tensor.h"

namespace heed {

// The generator the initializers draw from (seed 0 until seed_init is called).
Rng& init_rng();
// Restarts the generator at (seed, counter 0).
void seed_init(uint64_t seed);

void uniform_(const Tensor& t, float low, float high);  // U[low, high)
void normal_(const Tensor& t, float mean, float std);   // N(mean, std²)
// U(−a, a) with a = gain · sqrt(6 / (fan_in + fan_out)). For t: (out, in, *k), as torch,
// fan_in = in · prod(k) and fan_out = out · prod(k); t needs at least 2 dimensions.
void xavier_uniform_(const Tensor& t, float gain = 1.0f);
void zeros_(const Tensor& t);
void ones_(const Tensor& t);

}  // namespace heed
