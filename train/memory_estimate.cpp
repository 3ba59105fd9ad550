#include "train/memory_estimate.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "framework/tensor.h"
#include "train/model_registry.h"

namespace heed {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / kGiB);
  return buf;
}

}  // namespace

MemoryEstimate float32_estimate(double params, double activations) {
  MemoryEstimate e;
  e.parameters = static_cast<int64_t>(params);
  e.parameter_bytes = 4.0 * 4.0 * params;  // float32 values, gradients and two moments (Adam)
  e.activation_bytes = 4.0 * activations;
  return e;
}

MemoryEstimate estimate_memory(const Config& config, int64_t vocab) {
  return model_type(config.model.type).estimate(config, vocab);
}

MemoryEstimate estimate_transformer(const Config& config, int64_t vocab, double enc, double dec,
                                    double T) {
  const ModelConfig& m = config.model;
  const TrainConfig& t = config.train;
  const double C = static_cast<double>(m.d_model), F = static_cast<double>(m.d_ff),
               H = static_cast<double>(m.heads), V = static_cast<double>(vocab);
  const double attention = 4 * C * C + 4 * C, ffn = 2 * C * F + F + C, norms = 6 * C;
  double params = enc * (attention + ffn + norms) + dec * (2 * attention + ffn + norms);
  params += 2 * V * C + V + 2 * C;  // embedding, output layer (or head), final norm
  if (m.position == "learned") params += static_cast<double>(m.max_len) * C;

  // Per layer and token, the tensors backward keeps: projections, residuals, norms and dropout
  // masks (~24 C), the feed-forward's hidden activations (~4 F), and per head the score, softmax
  // and dropout-mask rows over the keys (3 T). Token counts at the largest example.
  const double B = static_cast<double>(t.batch_size);
  const double per_layer = B * T * (24 * C + 4 * F + 3 * H * T);
  double activations = (enc + 2 * dec) * per_layer;
  activations += 3 * B * T * V + 4 * B * T * C;  // logits, softmax and its gradient; embeddings

  return float32_estimate(params, activations);
}

double available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    double kib = 0;
    if (fields >> key >> kib && key == "MemAvailable:") return kib * 1024.0;
  }
  return 0;
}

void check_memory(const Config& config, int64_t vocab, double available,
                  const std::string& source) {
  const MemoryEstimate e = estimate_memory(config, vocab);
  if (available <= 0 || e.total() <= available) return;
  char params[32];
  std::snprintf(params, sizeof params, "%.3g", static_cast<double>(e.parameters));
  throw ConfigError(source + ": the run needs about " + gib(e.total()) + " (" + params +
                    " parameters with gradients and optimizer state: " + gib(e.parameter_bytes) +
                    "; activations of a batch: " + gib(e.activation_bytes) + "), the machine has " +
                    gib(available) +
                    " available: make model.d_model, model.d_ff, the layers, "
                    "train.batch_size or task.max_len smaller");
}

}  // namespace heed
