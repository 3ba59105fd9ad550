// `heed bench`: training steps of a PyTorch-reference workload, timed (train/bench.h).
#include <memory>

#include "train/bench.h"
#include "train/cli/commands.h"

namespace heed {
namespace {

struct BenchArgs {
  std::string workload;
  BenchOptions opts;
  std::string precision = "fp32";
  bool json = false;
};

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Time training steps of a PyTorch-reference workload (benchmarks/torch_reference.py)");
  cmd->add_option("--workload", args->workload, "copy-tiny | sort-small | long-lm")
      ->required()
      ->check(CLI::IsMember(bench_workload_names()));
  cmd->add_option("--steps", args->opts.steps, "Timed steps after warm-up")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  cmd->add_option("--warmup", args->opts.warmup, "Untimed warm-up steps run first")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  cmd->add_option("--threads", args->opts.threads, "Threads for every kernel")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--seq-len", args->opts.seq_len,
                  "Sequence length in place of the workload's (long-lm: even)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
  cmd->add_option("--seed", args->opts.seed, "Seed for initialization, dropout and data")
      ->capture_default_str();
  cmd->add_option("--precision", args->precision,
                  "Matrix products: fp32 | bf16 (framework/precision.h; bf16 is emulated, and "
                  "slower, where oneDNN has no bf16 kernels for the CPU)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "bf16"}));
  cmd->add_flag("--json", args->json, "Print one JSON line (what compare.sh reads)");
  cmd->add_flag("--profile", args->opts.profile,
                "Time each op kind during the timed steps and print the table (in --json: "
                "\"profile\")");
  return {cmd, [args](const std::string&) {
            args->opts.precision = parse_precision(args->precision);
            return run_bench_command(args->workload, args->opts, args->json);
          }};
}

}  // namespace heed
