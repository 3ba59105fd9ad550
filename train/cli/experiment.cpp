// `heed experiment`: variants x grid x seeds of training runs from one file, run, resumed and
// tabulated (train/experiment/experiment_command.h).
#include <memory>

#include "train/cli/commands.h"
#include "train/experiment/experiment_command.h"

namespace heed {

Command add_experiment_command(CLI::App& app) {
  auto args = std::make_shared<ExperimentArgs>();
  CLI::App* cmd = app.add_subcommand(
      "experiment", "Run an experiment file: variants x grid x seeds, then results.csv and .md");
  cmd->add_option("experiment", args->path, "Experiment YAML file (docs/experiments.md)")
      ->required();
  cmd->add_option("--out", args->out, "Experiment directory (default: runs/NAME for NAME.yaml)");
  cmd->add_option("--jobs", args->jobs, "Runs at a time (default 1)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  CLI::Option* dry =
      cmd->add_flag("--dry-run", args->dry_run,
                    "List the numbered runs, their status and estimated time; run nothing");
  cmd->add_flag("--no-probe", args->no_probe,
                "With --dry-run: no timed probe (a few training steps per distinct config), so "
                "no estimate")
      ->needs(dry);
  cmd->add_option("--only", args->only, "Run just run I of the list (--dry-run numbers them)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  cmd->add_flag("--retry-failed", args->retry_failed, "Rerun the runs that failed");
  return {cmd, [args](const std::string&) { return run_experiment(*args); },
          /*distributed=*/true};
}

}  // namespace heed
