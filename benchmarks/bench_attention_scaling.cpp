// How the cost of one attention layer grows with sequence length: the time of forward+backward
// (median of --reps repetitions, one warm-up) and its peak tensor memory, for mha on its default
// path (past 128 keys the tiled core, flash attention: never stores the T×T scores), mha-unfused
// (the unfused core with its (B, H, T, T) scores, the path mha takes when its weights are asked
// for), window (fixed width, linear in T) and linear (kernelized, linear in T), causal and not.
// mha-unfused stops at --max-unfused (its scores alone take 4 GiB per tensor at T = 16384).
// Prints a markdown table for docs/benchmarks.md. A plain program rather than a Google Benchmark
// one: each row needs a memory figure measured around exactly one step.
//
//   build/bin/bench_attention_scaling [--threads 2] [--reps 5] [--batch 1] [--width 128]
//                                     [--min-length 512] [--max-length 16384] [--max-unfused 4096]
//                                     [--variant mha|mha-unfused|window|linear]
//                                     [--unfused-max-keys N]
//
// The mha row runs the default path, which takes the unfused core up to 128 keys
// (set_unfused_attention_max_keys); --unfused-max-keys 0 puts every length on the tiled core,
// to compare the two cores at short lengths.
//
// Peak memory is the caching allocator's peak_bytes_in_use above what was in use before the
// step (inputs and parameters): every tensor of forward and backward (activations kept for
// backward, scores, gradients), in allocator size classes (≤ 12.5% above the bytes asked).
// It excludes oneDNN's scratchpads and host-side std::vector temporaries; the tiled core takes
// its working tiles from the allocator, so they are counted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "framework/allocator.h"
#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/runtime.h"
#include "models/attention/attention.h"

namespace {

using heed::Tensor;

constexpr int64_t kDModel = 128, kHeads = 4;
const char* const kVariants[] = {"mha", "mha-unfused", "window", "linear"};

struct Settings {
  int threads = 2, reps = 5;
  std::string only;               // one row name, or all of kVariants
  int64_t unfused_max_keys = -1;  // the skeleton's switch to the tiled core; -1: the library's
  int64_t batch = 1, width = 128, min_length = 512, max_length = 16384, max_unfused = 4096;
};

struct Result {
  double median_ms = 0;
  double peak_mib = 0;
};

// One forward+backward of the layer on x: (B, T, C) as self-attention, dL/dout = r. `unfused`
// asks for the weights, which takes the skeleton's variants off the tiled core.
void step(heed::Attention& layer, const Tensor& x, const Tensor& r, bool causal, bool unfused) {
  heed::AttentionContext ctx;
  ctx.causal = causal;
  ctx.need_weights = unfused;
  heed::AttentionOutput y = layer.forward(x, x, x, ctx);
  y.out.backward(r);
}

Result measure(const std::string& row, int64_t T, bool causal, const Settings& s) {
  const bool unfused = row == "mha-unfused";
  const std::string variant = unfused ? "mha" : row;
  heed::Options extra;
  if (variant == "window") extra.set("width", std::to_string(s.width));
  heed::seed_init(1);
  auto layer = heed::make_attention(variant, heed::AttentionConfig{kDModel, kHeads, 0.0f, extra});
  layer->train();  // as in training; dropout is 0, so nothing random
  Tensor x = Tensor::randn({s.batch, T, kDModel}, 2).set_requires_grad();
  Tensor r = Tensor::randn({s.batch, T, kDModel}, 3);
  auto clear = [&] {
    layer->zero_grad();
    x.zero_grad();
  };

  step(*layer, x, r, causal, unfused);  // warm-up: primitive creation, allocator cache
  clear();
  std::vector<double> ms;
  double peak = 0;
  for (int i = 0; i < s.reps; ++i) {
    const std::size_t before = heed::allocator_stats().bytes_in_use;
    heed::allocator_reset_peak();
    const auto t0 = std::chrono::steady_clock::now();
    step(*layer, x, r, causal, unfused);
    const auto t1 = std::chrono::steady_clock::now();
    peak = std::max(peak, static_cast<double>(heed::allocator_stats().peak_bytes_in_use - before));
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    clear();  // gradients are allocated afresh each repetition, as after an optimizer's zero_grad
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], peak / (1024.0 * 1024.0)};
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--reps N] [--batch N] [--width N] [--min-length N] "
                   "[--max-length N] [--max-unfused N] [--variant ROW] "
                   "[--unfused-max-keys N]\n",
                   argv[0]);
      std::exit(2);
    }
    if (a == "--variant") {
      s.only = argv[++i];
      continue;
    }
    const long v = std::strtol(argv[++i], nullptr, 10);
    if (a == "--threads") {
      s.threads = static_cast<int>(v);
    } else if (a == "--reps") {
      s.reps = static_cast<int>(std::max(1L, v));
    } else if (a == "--batch") {
      s.batch = std::max(1L, v);
    } else if (a == "--width") {
      s.width = std::max(0L, v);
    } else if (a == "--unfused-max-keys") {
      s.unfused_max_keys = std::max(0L, v);
    } else if (a == "--min-length") {
      s.min_length = std::max(1L, v);
    } else if (a == "--max-length") {
      s.max_length = std::max(1L, v);
    } else if (a == "--max-unfused") {
      s.max_unfused = std::max(1L, v);
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      std::exit(2);
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings s = parse(argc, argv);
  if (!s.only.empty() &&
      std::find(std::begin(kVariants), std::end(kVariants), s.only) == std::end(kVariants)) {
    std::fprintf(stderr, "unknown --variant %s (mha, mha-unfused, window, linear)\n",
                 s.only.c_str());
    return 2;
  }
  if (s.unfused_max_keys >= 0) heed::set_unfused_attention_max_keys(s.unfused_max_keys);
  heed::set_num_threads(s.threads);
  std::printf("attention forward+backward, B=%lld, d_model=%lld, heads=%lld, window width=%lld\n",
              static_cast<long long>(s.batch), static_cast<long long>(kDModel),
              static_cast<long long>(kHeads), static_cast<long long>(s.width));
  std::printf("threads %d, oneDNN %s, median of %d reps, unfused core up to %lld keys\n\n",
              heed::num_threads(), heed::onednn_info(), s.reps,
              static_cast<long long>(heed::unfused_attention_max_keys()));
  std::printf("| variant | mask | T | time ms | × prev T | peak MiB | × prev T |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const char* variant : kVariants)
    for (bool causal : {false, true}) {
      if (!s.only.empty() && s.only != variant) continue;
      Result prev;
      const bool unfused = std::string(variant) == "mha-unfused";
      for (int64_t T = s.min_length; T <= (unfused ? s.max_unfused : s.max_length); T *= 2) {
        const Result r = measure(variant, T, causal, s);
        auto growth = [](double now, double before) {
          if (before <= 0) return std::string("–");
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.2f", now / before);
          return std::string(buf);
        };
        std::printf("| %s | %s | %lld | %.1f | %s | %.1f | %s |\n", variant,
                    causal ? "causal" : "none", static_cast<long long>(T), r.median_ms,
                    growth(r.median_ms, prev.median_ms).c_str(), r.peak_mib,
                    growth(r.peak_mib, prev.peak_mib).c_str());
        std::fflush(stdout);
        prev = r;
      }
    }
  return 0;
}
