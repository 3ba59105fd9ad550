// An experiment's runs: variants x grid cells x seeds, numbered from 1 in that order (variants
// as the file lists them, the grid's first key slowest, seeds last), each with its config
// resolved before any run starts: the base config (the variant's, else the file's), then `set`,
// the variant's `set`, the cell's values and the seed, through load_config's overrides, so that
// every key and value gets the config's own checks. A problem is one ConfigError
// "EXPERIMENT:LINE:COL: KEY: what is wrong" at the experiment line it comes from (an error inside
// a base config is located there too, after the experiment line that names the base).
#pragma once

#include <string>
#include <vector>

#include "train/config.h"
#include "train/experiment/experiment_file.h"

namespace heed {

struct PlannedRun {
  int64_t number = 0;  // 1-based: what --only takes and --dry-run prints
  std::string name;    // the run's directory is DIR/runs/NAME (run_names.h)
  std::string variant;
  std::vector<std::string> cell;  // the grid's values, in the order of ExperimentFile::grid
  int64_t seed = 0;
  Config config;  // resolved; out_dir is DIR/runs/NAME
};

struct ExperimentPlan {
  ExperimentFile file;
  std::string out_dir;  // DIR
  std::vector<PlannedRun> runs;
};

// Every run of `file`, its config resolved, run directories under `out_dir`/runs.
ExperimentPlan plan_experiment(const ExperimentFile& file, const std::string& out_dir);

// The paths of one run's files in the experiment directory.
std::string run_dir(const ExperimentPlan& plan, const PlannedRun& run);  // DIR/runs/NAME
std::string run_file(const ExperimentPlan& plan, const PlannedRun& run,
                     const std::string& suffix);  // DIR/runs/NAME.SUFFIX

}  // namespace heed
