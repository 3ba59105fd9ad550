// `heed experiment EXPERIMENT.yaml`: read the file (experiment_file.h), resolve every run's
// config (run_plan.h), then list the runs with an estimated time (--dry-run; estimate.h) or run
// them (runner.h) and write DIR/results.csv, DIR/results.md (results.h, results_table.h),
// DIR/plots/ (results_plots.h) and DIR/report.html (results_html.h). The CLI's wrapper is
// train/cli/experiment.cpp; this is testable without CLI11.
//
// Exit codes: 0 every run asked for (all, or --only's) is finished (or --dry-run); 1 one failed
// or is left unfinished (results are written once every run has finished or failed, failed rows
// included); 2 bad input, before any run starts; 130 / 143 stopped by SIGINT / SIGTERM (the
// children checkpoint; the same command continues).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace heed {

struct ExperimentArgs {
  std::string path;       // the experiment file
  std::string out;        // DIR; "" = runs/<the file's name without .yaml>
  int64_t jobs = 1;       // runs at a time
  bool dry_run = false;   // list the numbered runs, run nothing
  bool no_probe = false;  // --dry-run without the timed probe (estimate.h) and its estimate
  int64_t only = 0;       // > 0: run just this run
  bool retry_failed = false;
  std::string executable;  // the heed binary for the runs; "" = this program
  std::FILE* out_stream = stdout;
};

int run_experiment(const ExperimentArgs& args);

// DIR when --out is not given: runs/NAME for EXPERIMENT file NAME.yaml.
std::string default_experiment_dir(const std::string& path);

}  // namespace heed
