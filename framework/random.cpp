#include "framework/random.h"

#include <cmath>
#include <numbers>

namespace heed {

float normal01(uint64_t seed, uint64_t counter) {
  // u1 in (0, 1] so log() stays finite.
  double u1 = (static_cast<double>(mix64(seed, counter) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  double u2 = static_cast<double>(mix64(seed, counter + 1) >> 11) * (1.0 / 9007199254740992.0);
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
}

RngState& global_rng() {
  static RngState state;
  return state;
}

void manual_seed(uint64_t seed) {
  global_rng() = RngState{seed, 0};
}

uint64_t rng_reserve(uint64_t n) {
  RngState& s = global_rng();
  uint64_t first = s.offset;
  s.offset += n;
  return first;
}

}  // namespace heed
