// `heed bench`: times whole training steps of the PyTorch reference's workloads
// (benchmarks/torch_reference.py: copy-tiny, sort-small, long-lm) so the two can be compared
// side by side (benchmarks/compare.sh). Same model, data distribution, dropout sites and
// AdamW settings as the reference; heed's own generator supplies initialization, dropout and data.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "framework/precision.h"
#include "framework/profile.h"
#include "framework/random.h"
#include "framework/tensor.h"

namespace heed {

// One reference workload. kind "seq2seq" (Seq2Seq, target = source or sorted source) or "lm"
// (DecoderLM over `seq_len / 2` random tokens followed by the same tokens again).
struct BenchWorkload {
  std::string name, kind, task;  // task: copy | sort | half-copy
  int64_t vocab, seq_len, d_model, heads, encoder_layers, decoder_layers, d_ff, batch;
};

// The reference's three workloads, in its order.
const std::vector<BenchWorkload>& bench_workloads();
std::vector<std::string> bench_workload_names();

// One batch, (B, L) int64 each. seq2seq: src, dec_in = [BOS] + target[:-1], labels = target;
// lm: src undefined, dec_in = [BOS] + seq[:-1], labels = seq. Data tokens uniform in [3, vocab).
struct BenchBatch {
  Tensor src, dec_in, labels;
};
BenchBatch bench_batch(const BenchWorkload& w, Rng& rng);

struct BenchOptions {
  int64_t steps = 60, warmup = 10;
  // In place of the workload's length (0: keep it); lm workloads need it even. Applied by
  // bench_workload, which run_bench_command calls; run_bench takes the workload as given.
  int64_t seq_len = 0;
  bool profile = false;  // time each op kind during the timed steps (framework/profile.h)
  Precision precision = Precision::kFp32;  // of matrix products (framework/precision.h)
  int threads = 2;
  uint64_t seed = 0;
};

struct BenchResult {
  std::string workload;
  int threads = 0;
  Precision precision = Precision::kFp32;
  int64_t params = 0, steps = 0, warmup = 0, seq_len = 0, tokens_per_step = 0;
  double median_step_s = 0, min_step_s = 0, tokens_per_s = 0, final_loss = 0, peak_rss_mb = 0;
  // The most bytes heed's allocator had handed out at once (tensors and kernel scratch), and
  // what it held in all, handed out or cached for reuse, at the end: the part of peak_rss_mb
  // that is heed's own buffers.
  double peak_tensor_mb = 0, allocator_held_mb = 0;
  // Buffers the caching allocator took from the OS during the timed steps (0 in steady state).
  uint64_t timed_os_allocations = 0;
  std::vector<double> step_s;  // every timed step, in order
  // Model FLOPs of a step (framework/profile.h's count: matmuls and attention tiles, forward
  // and backward), what the median step achieves, and the machine's rate on one large oneDNN
  // matmul (1024³, same threads and precision, measured after the steps): mfu = achieved /
  // matmul rate.
  double gflop_per_step = 0, achieved_gflops = 0, matmul_gflops = 0, mfu = 0;
  std::vector<OpTime> profile;  // with opts.profile: summed over the timed steps
};

// The named workload with opts' overrides (seq_len); an unknown name is a ConfigError.
BenchWorkload bench_workload(const std::string& name, const BenchOptions& opts);
// Builds the model (train mode) and AdamW, runs warmup + steps training steps and times each.
BenchResult run_bench(const BenchWorkload& w, const BenchOptions& opts);
// The JSON line compare.sh reads: the reference's fields plus heed's provenance.
nlohmann::json bench_json(const BenchResult& r);

// `heed bench`: runs the named workload and prints a summary (or one JSON line). Returns 0.
int run_bench_command(const std::string& workload, const BenchOptions& opts, bool json);

}  // namespace heed
