#include "train/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "framework/allocator.h"
#include "framework/autograd.h"
#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"
#include "framework/runtime.h"
#include "models/seq2seq.h"
#include "train/build_info.h"
#include "train/config.h"

namespace heed {
namespace {

// Reserved ids as in the reference: 0 = PAD (never used: nothing is padded), 1 = BOS, 2 unused.
constexpr int64_t kBenchBos = 1;
constexpr int64_t kFirstDataToken = 3;
constexpr float kDropout = 0.1f;

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // KiB on Linux
}

// Rounded as the reference rounds its JSON, so the two lines read alike.
double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The machine's rate on one large matmul through oneDNN (1024 × 1024 × 1024, the current
// threads and precision), GFLOP/s: the median of 9 products after a warm-up one. The ceiling MFU
// refers to.
double large_matmul_gflops() {
  constexpr int64_t n = 1024;
  const Tensor a = Tensor::randn({n, n}, 1), b = Tensor::randn({n, n}, 2);
  NoGradGuard no_grad;
  std::vector<double> s;
  for (int i = 0; i < 10; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    matmul(a, b);
    if (i > 0)
      s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return 2.0 * n * n * n / median_of(s) / 1e9;
}

// The model behind a workload, with one forward signature for the timing loop.
class BenchModel {
 public:
  explicit BenchModel(const BenchWorkload& w) : seq2seq_(w.kind == "seq2seq") {
    TransformerConfig c;
    c.vocab = w.vocab;
    c.d_model = w.d_model;
    c.heads = w.heads;
    c.d_ff = w.d_ff;
    c.encoder_layers = w.encoder_layers;
    c.decoder_layers = w.decoder_layers;
    c.dropout = kDropout;
    c.position = "sinusoidal";
    c.max_len = w.seq_len;
    if (seq2seq_)
      s2s_ = std::make_unique<Seq2Seq>(c);
    else
      lm_ = std::make_unique<DecoderLM>(c);
  }
  Module& module() { return seq2seq_ ? static_cast<Module&>(*s2s_) : *lm_; }
  // -> logits (B, T, V); the decoder self-attention (or the LM) is causal.
  Tensor forward(const BenchBatch& b) const {
    return seq2seq_ ? s2s_->forward(b.src, b.dec_in) : lm_->forward(b.dec_in);
  }

 private:
  bool seq2seq_;
  std::unique_ptr<Seq2Seq> s2s_;
  std::unique_ptr<DecoderLM> lm_;
};

}  // namespace

const std::vector<BenchWorkload>& bench_workloads() {
  // Fields: name, kind, task, vocab, seq_len, d_model, heads, encoder_layers, decoder_layers,
  // d_ff, batch — the reference's WORKLOADS table (long-lm's `layers` are decoder_layers here).
  static const std::vector<BenchWorkload> w = {
      {"copy-tiny", "seq2seq", "copy", 16, 32, 128, 4, 2, 2, 512, 64},
      {"sort-small", "seq2seq", "sort", 64, 64, 256, 8, 4, 4, 1024, 32},
      {"long-lm", "lm", "half-copy", 64, 512, 128, 4, 0, 2, 512, 8},
  };
  return w;
}

std::vector<std::string> bench_workload_names() {
  std::vector<std::string> names;
  for (const BenchWorkload& w : bench_workloads()) names.push_back(w.name);
  return names;
}

BenchBatch bench_batch(const BenchWorkload& w, Rng& rng) {
  const int64_t B = w.batch, L = w.seq_len;
  std::vector<int64_t> dec_in(B * L), labels(B * L);
  BenchBatch out;
  if (w.kind == "lm") {
    // First half random, second half an exact copy of it (run_bench checks that L is even).
    const int64_t half = L / 2;
    for (int64_t b = 0; b < B; ++b) {
      int64_t* seq = labels.data() + b * L;
      for (int64_t i = 0; i < half; ++i) seq[i] = rng.randint(kFirstDataToken, w.vocab);
      for (int64_t i = half; i < L; ++i) seq[i] = seq[i - half];
    }
  } else {
    std::vector<int64_t> src(B * L);
    for (int64_t& t : src) t = rng.randint(kFirstDataToken, w.vocab);
    labels = src;
    if (w.task == "sort")
      for (int64_t b = 0; b < B; ++b)
        std::sort(labels.begin() + b * L, labels.begin() + (b + 1) * L);
    out.src = Tensor::from_ints(src, {B, L});
  }
  // Teacher forcing: the decoder sees BOS then the labels shifted right by one.
  for (int64_t b = 0; b < B; ++b) {
    dec_in[b * L] = kBenchBos;
    for (int64_t i = 1; i < L; ++i) dec_in[b * L + i] = labels[b * L + i - 1];
  }
  out.dec_in = Tensor::from_ints(dec_in, {B, L});
  out.labels = Tensor::from_ints(labels, {B, L});
  return out;
}

BenchResult run_bench(const BenchWorkload& w, const BenchOptions& opts) {
  if (opts.steps < 1 || opts.warmup < 0 || opts.threads < 1)
    throw ConfigError("bench: need steps >= 1, warmup >= 0 and threads >= 1");
  if (w.kind == "lm" && w.seq_len % 2 != 0)
    throw ConfigError("bench: workload " + w.name + " needs an even sequence length (got " +
                      std::to_string(w.seq_len) + ")");
  set_num_threads(opts.threads);
  PrecisionScope precision(opts.precision);
  allocator_reset_peak();
  // Three independent streams from one seed: initialization, dropout and data.
  seed_init(opts.seed);
  manual_seed(mix64(opts.seed, 0xd50u));
  Rng data_rng(mix64(opts.seed, 0xda7au));

  BenchModel model(w);
  Module& module = model.module();
  module.train();  // dropout on, as the reference's model.train()
  // Weight decay on every parameter, biases and norms included, as the reference.
  AdamW optimizer(module.named_parameters(), 1e-3, 0.9, 0.999, 1e-8, 0.01);

  BenchResult r;
  r.workload = w.name;
  r.threads = num_threads();
  r.precision = opts.precision;
  r.params = module.num_parameters();
  r.steps = opts.steps;
  r.warmup = opts.warmup;
  r.seq_len = w.seq_len;
  r.tokens_per_step = w.batch * w.seq_len;
  struct ProfileOff {  // profiling ends with this function, also when a step throws
    ~ProfileOff() { profile_stop(); }
  } profile_off;
  Tensor loss;
  uint64_t os_allocations_before = 0;
  double flops_before = 0;
  for (int64_t step = 0; step < opts.warmup + opts.steps; ++step) {
    if (step == opts.warmup) {
      os_allocations_before = allocator_stats().os_allocations;
      flops_before = flops_counted();
      if (opts.profile) profile_start();
    }
    const auto t0 = std::chrono::steady_clock::now();
    BenchBatch batch = bench_batch(w, data_rng);
    profile_phase("(batch)");
    Tensor logits = model.forward(batch);
    loss = cross_entropy(logits, batch.labels);  // mean over all B·T target tokens
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
    profile_phase("(optimizer)");
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (step >= opts.warmup) r.step_s.push_back(dt);
  }
  profile_stop();
  r.profile = profile_table();
  r.gflop_per_step = (flops_counted() - flops_before) / 1e9 / static_cast<double>(opts.steps);
  r.timed_os_allocations = allocator_stats().os_allocations - os_allocations_before;
  r.median_step_s = median_of(r.step_s);
  r.min_step_s = *std::min_element(r.step_s.begin(), r.step_s.end());
  r.tokens_per_s = static_cast<double>(r.tokens_per_step) / r.median_step_s;
  r.final_loss = loss.item();
  r.peak_rss_mb = peak_rss_mb();
  const AllocatorStats memory = allocator_stats();
  r.peak_tensor_mb = static_cast<double>(memory.peak_bytes_in_use) / (1 << 20);
  r.allocator_held_mb = static_cast<double>(memory.bytes_in_use + memory.bytes_cached) / (1 << 20);
  r.achieved_gflops = r.gflop_per_step / r.median_step_s;
  r.matmul_gflops = large_matmul_gflops();
  r.mfu = r.achieved_gflops / r.matmul_gflops;
  return r;
}

nlohmann::json bench_json(const BenchResult& r) {
  nlohmann::json j = {{"workload", r.workload},
                      {"threads", r.threads},
                      {"precision", precision_name(r.precision)},
                      {"median_step_s", round_to(r.median_step_s, 6)},
                      {"min_step_s", round_to(r.min_step_s, 6)},
                      {"tokens_per_s", round_to(r.tokens_per_s, 1)},
                      {"final_loss", round_to(r.final_loss, 5)},
                      {"peak_rss_mb", round_to(r.peak_rss_mb, 1)},
                      {"peak_tensor_mb", round_to(r.peak_tensor_mb, 1)},
                      {"allocator_held_mb", round_to(r.allocator_held_mb, 1)},
                      {"params", r.params},
                      {"steps", r.steps},
                      {"warmup", r.warmup},
                      {"tokens_per_step", r.tokens_per_step},
                      {"gflop_per_step", round_to(r.gflop_per_step, 3)},
                      {"achieved_gflops", round_to(r.achieved_gflops, 1)},
                      {"matmul_gflops", round_to(r.matmul_gflops, 1)},
                      {"mfu", round_to(r.mfu, 3)},
                      {"seq_len", r.seq_len},
                      {"timed_os_allocations", r.timed_os_allocations},
                      {"onednn", onednn_info()},
                      {"heed_version", build_info().version},
                      {"heed_commit", build_info().git_commit}};
  if (!r.profile.empty()) {
    nlohmann::json rows = nlohmann::json::array();
    const double steps = static_cast<double>(r.steps);
    for (const OpTime& op : r.profile)
      rows.push_back({{"op", op.name},
                      {"forward_ms", round_to(op.forward_s / steps * 1e3, 3)},
                      {"backward_ms", round_to(op.backward_s / steps * 1e3, 3)},
                      {"calls", op.calls / r.steps},
                      {"gflop", round_to(op.flops / steps / 1e9, 4)}});
    j["profile"] = rows;  // per step
  }
  return j;
}

// The per-op table of `heed bench --profile`: ms per step, share of the mean step, and the rate
// of the products an op computed (blank for ops without products).
void print_profile(const BenchResult& r) {
  double step_s = 0, ops_s = 0;
  for (double s : r.step_s) step_s += s;
  for (const OpTime& op : r.profile) ops_s += op.forward_s + op.backward_s;
  const double steps = static_cast<double>(r.steps);
  std::printf("\n  time per step by op (forward: since the previous op; backward: its node)\n");
  std::printf("  %-28s %8s %10s %11s %9s %7s %9s\n", "op", "calls", "forward ms", "backward ms",
              "total ms", "share", "GFLOP/s");
  for (const OpTime& op : r.profile) {
    const double total = op.forward_s + op.backward_s;
    std::printf("  %-28s %8lld %10.2f %11.2f %9.2f %6.1f%%", op.name.c_str(),
                static_cast<long long>(op.calls / r.steps), op.forward_s / steps * 1e3,
                op.backward_s / steps * 1e3, total / steps * 1e3, 100 * total / step_s);
    if (op.flops > 0 && total > 0) std::printf(" %9.1f", op.flops / total / 1e9);
    std::printf("\n");
  }
  std::printf("  %-28s %8s %10s %11s %9.2f %6.1f%%\n", "(outside ops)", "", "", "",
              (step_s - ops_s) / steps * 1e3, 100 * (step_s - ops_s) / step_s);
}

BenchWorkload bench_workload(const std::string& name, const BenchOptions& opts) {
  const std::vector<BenchWorkload>& all = bench_workloads();
  auto it =
      std::find_if(all.begin(), all.end(), [&](const BenchWorkload& w) { return w.name == name; });
  if (it == all.end()) throw ConfigError("bench: unknown workload '" + name + "'");
  BenchWorkload w = *it;
  if (opts.seq_len > 0) w.seq_len = opts.seq_len;
  return w;
}

int run_bench_command(const std::string& workload, const BenchOptions& opts, bool json) {
  BenchResult r = run_bench(bench_workload(workload, opts), opts);
  if (json) {
    std::printf("%s\n", bench_json(r).dump().c_str());
    return 0;
  }
  BuildInfo b = build_info();
  std::printf(
      "workload %s: %lld params, %lld target tokens/step, threads %d, %s products, heed %s "
      "(%s), oneDNN %s\n",
      r.workload.c_str(), static_cast<long long>(r.params),
      static_cast<long long>(r.tokens_per_step), r.threads, precision_name(r.precision),
      b.git_commit.c_str(), b.build_type.c_str(), onednn_info());
  if (r.precision == Precision::kBf16) std::printf("  bf16 products: %s\n", bf16_info().c_str());
  std::printf(
      "  %lld timed steps after %lld warm-up: median %.1f ms, min %.1f ms, %.0f target "
      "tokens/s\n",
      static_cast<long long>(r.steps), static_cast<long long>(r.warmup), r.median_step_s * 1e3,
      r.min_step_s * 1e3, r.tokens_per_s);
  std::printf(
      "  final loss %.4f, peak RSS %.0f MB (heed's buffers: at most %.0f MB in use, %.0f MB held "
      "at the end), %llu OS allocations in timed steps\n",
      r.final_loss, r.peak_rss_mb, r.peak_tensor_mb, r.allocator_held_mb,
      static_cast<unsigned long long>(r.timed_os_allocations));
  std::printf(
      "  %.2f GFLOP/step (matmuls and attention tiles) at %.1f GFLOP/s: MFU %.1f%% of a "
      "1024^3 matmul's %.1f GFLOP/s\n",
      r.gflop_per_step, r.achieved_gflops, 100 * r.mfu, r.matmul_gflops);
  if (!r.profile.empty()) print_profile(r);
  return 0;
}

}  // namespace heed
