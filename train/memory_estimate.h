// An up-front estimate of what a training run needs in memory (docs/reliability.md, promise 7),
// so that a config the machine cannot hold is refused with numbers instead of being killed by the
// OS halfway through.
#pragma once

#include <cstdint>
#include <string>

#include "train/config.h"

namespace heed {

struct MemoryEstimate {
  int64_t parameters = 0;       // counted from the model geometry (embeddings, layers, heads)
  double parameter_bytes = 0;   // parameters, gradients and optimizer state
  double activation_bytes = 0;  // what one step keeps for backward, largest batch
  double total() const { return parameter_bytes + activation_bytes; }
};

// From the config alone, before anything is allocated; `vocab` is the task's. Deliberately
// generous (it rounds every layer's saved tensors up), never a lower bound to rely on.
// `params` float32 parameters trained with Adam and `activations` float32 values kept for
// backward: bytes.
MemoryEstimate float32_estimate(double params, double activations);
// Each model type's own (train/model_registry.h).
MemoryEstimate estimate_memory(const Config& config, int64_t vocab);
// The transformer models': `enc` layers with self-attention only (encoders, the decoder-only
// model's blocks) and `dec` decoder layers with cross-attention too, over sequences of `T`
// tokens at the largest example.
MemoryEstimate estimate_transformer(const Config& config, int64_t vocab, double enc, double dec,
                                    double T);

// Bytes the kernel reports available now (MemAvailable of /proc/meminfo); 0 when unknown.
double available_memory_bytes();

// Throws ConfigError "<source>: the run needs about X GiB (...), the machine has Y GiB available
// (...)" when the estimate exceeds `available` (when it is known).
void check_memory(const Config& config, int64_t vocab, double available, const std::string& source);

}  // namespace heed
