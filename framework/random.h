// Counter-based random numbers: a value depends only on (seed, counter), never on call order or
// threads, so dropout masks and generated data repeat exactly after a resume.
#pragma once

#include <cmath>
#include <cstdint>

namespace heed {

// SplitMix64 finalizer over (seed, counter): a strong 64-bit mix, cheap and stateless.
inline uint64_t mix64(uint64_t seed, uint64_t counter) {
  uint64_t z =
      seed * 0x9E3779B97F4A7C15ull + counter * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) with 24 random bits (exactly representable in float).
inline float uniform01(uint64_t seed, uint64_t counter) {
  return static_cast<float>(mix64(seed, counter) >> 40) * (1.0f / 16777216.0f);
}

// Dropout's rule, one for every dropout site so that their masks agree bit for bit: counter c is
// dropped when its 24 random bits k fall below p·2²⁴. That is uniform01(seed, c) < p, tested on
// the integer (u = k·2⁻²⁴ and p·2²⁴ is exact, so u < p ⟺ k < ⌈p·2²⁴⌉): no int → float
// conversion and no branch, so loops over counters vectorize.
inline uint64_t dropout_threshold(float p) {
  return static_cast<uint64_t>(std::ceil(static_cast<double>(p) * 16777216.0));
}
inline bool dropout_keeps(uint64_t seed, uint64_t counter, uint64_t threshold) {
  return (mix64(seed, counter) >> 40) >= threshold;
}

// Standard normal via Box-Muller on two counters.
float normal01(uint64_t seed, uint64_t counter);

// The process-wide generator that dropout draws from: a seed and a counter that every draw
// advances by the number of values it uses. Save both to resume a run exactly.
struct RngState {
  uint64_t seed = 0;
  uint64_t offset = 0;
};
RngState& global_rng();
void manual_seed(uint64_t seed);  // seed, offset 0
// Reserves `n` counters and returns the first one.
uint64_t rng_reserve(uint64_t n);

// Data-parallel training splits each batch of `global_rows` examples into contiguous shards, one
// per process; this one computes rows [offset, offset + rows). While a shard is in scope, a draw
// for a batch-major tensor (examples first, every other dimension padded as the whole batch
// would be) reserves counters for the whole batch and returns where this shard's rows start. So
// each element gets the counter, and dropout the mask, that one process training the whole
// batch would give it, and every process's generator advances alike.
struct BatchShard {
  int64_t offset = 0, rows = 0, global_rows = 0;
};
class BatchShardScope {
 public:
  explicit BatchShardScope(const BatchShard& shard);
  ~BatchShardScope();
  BatchShardScope(const BatchShardScope&) = delete;
  BatchShardScope& operator=(const BatchShardScope&) = delete;

 private:
  const BatchShard* previous_;
  BatchShard shard_;
};
// rng_reserve(n) for a batch-major tensor of `n` elements and `rows` leading rows; with a shard in
// scope, `rows` must be the shard's (else heed::Error: the tensor is not batch-major).
uint64_t rng_reserve_batch(uint64_t n, int64_t rows);

// Sequential generator for host-side sampling (data, initialization): same mixing function.
class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t counter = 0) : seed_(seed), counter_(counter) {}
  uint64_t next_u64() { return mix64(seed_, counter_++); }
  float uniform() { return uniform01(seed_, counter_++); }
  float normal() {
    float v = normal01(seed_, counter_);
    counter_ += 2;
    return v;
  }
  // Uniform integer in [low, high).
  int64_t randint(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(next_u64() % static_cast<uint64_t>(high - low));
  }
  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }

 private:
  uint64_t seed_;
  uint64_t counter_;
};

}  // namespace heed
