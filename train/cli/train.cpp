// `heed train`: a run from a config, or the continuation of one (--resume).
#include <cstdio>
#include <memory>
#include <vector>

#include "framework/dist.h"
#include "train/cli/commands.h"
#include "train/config.h"
#include "train/kill_point.h"
#include "train/progress.h"
#include "train/stop_signal.h"
#include "train/trainer.h"

namespace heed {
namespace {

struct TrainArgs {
  std::string config_path, resume;
  std::vector<std::string> overrides;
};

int run_train(const TrainArgs& args, const std::string& command_line) {
  install_kill_point_from_env();  // crash tests only; unset in normal use
  TrainOptions opts;
  opts.command_line = command_line;
  opts.terminal = stderr_is_terminal();
  Config config;
  if (!args.resume.empty()) {
    if (!args.config_path.empty())
      throw ConfigError("--resume takes the run's own config; drop " + args.config_path);
    config = run_config(args.resume, args.overrides);
    opts.resume = true;
    opts.config_source = args.resume + "/config.yaml";
  } else {
    config = load_config(args.config_path, args.overrides);
    opts.config_source = args.config_path.empty() ? "<default copy config>" : args.config_path;
  }
  TrainSummary s = train(config, opts);
  if (!dist::is_root()) return s.stop_reason == "interrupted" ? stop_exit_code() : 0;
  std::printf("%s after %lld steps (%.1f s): ", s.stop_reason.c_str(),
              static_cast<long long>(s.steps), s.train_seconds);
  for (const auto& [k, v] : s.eval) std::printf("%s %.4f  ", k.c_str(), v);
  if (s.skipped_steps > 0)
    std::printf("(%lld steps skipped: non-finite)", static_cast<long long>(s.skipped_steps));
  std::printf("\nrun directory: %s\n", s.out_dir.c_str());
  if (s.stop_reason == "interrupted") {
    std::fprintf(stderr,
                 "heed: interrupted; checkpoint written. Continue with: heed train --resume %s\n",
                 s.out_dir.c_str());
    return stop_exit_code();  // 130 for SIGINT, 143 for SIGTERM
  }
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a model from a YAML config (default: the embedded copy task)");
  cmd->add_option("config", args->config_path,
                  "YAML config file (omit for the embedded copy-task default)");
  cmd->add_option("--set", args->overrides, "Override a key: --set model.d_model=64 (repeatable)");
  cmd->add_option("--resume", args->resume,
                  "Continue the run in this directory from its latest checkpoint");
  return {cmd, [args](const std::string& command_line) { return run_train(*args, command_line); },
          /*distributed=*/true};
}

}  // namespace heed
