// Counter-based random numbers: a value depends only on (seed, counter), never on call order or
// threads, so dropout masks and generated data repeat exactly after a resume.
#pragma once

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
