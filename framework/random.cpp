#include "framework/random.h"

#include <cmath>
#include <numbers>
#include <string>

#include "framework/tensor.h"

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

namespace {
const BatchShard* g_shard = nullptr;  // set by BatchShardScope on the training thread
}  // namespace

BatchShardScope::BatchShardScope(const BatchShard& shard) : previous_(g_shard), shard_(shard) {
  g_shard = &shard_;
}
BatchShardScope::~BatchShardScope() {
  g_shard = previous_;
}

uint64_t rng_reserve_batch(uint64_t n, int64_t rows) {
  if (!g_shard || g_shard->rows == g_shard->global_rows) return rng_reserve(n);
  if (rows != g_shard->rows || rows <= 0 || n % static_cast<uint64_t>(rows) != 0)
    throw Error("random draw over " + std::to_string(rows) + " rows in a data-parallel step of " +
                std::to_string(g_shard->rows) +
                " examples: the model draws dropout over a tensor that is not batch-major, "
                "which data-parallel training cannot split (set its dropout to 0)");
  const uint64_t per_row = n / static_cast<uint64_t>(rows);
  const uint64_t first = rng_reserve(per_row * static_cast<uint64_t>(g_shard->global_rows));
  return first + per_row * static_cast<uint64_t>(g_shard->offset);
}

}  // namespace heed
