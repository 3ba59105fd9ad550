// The training loop: a config in, a run directory out (train/run_directory.h: config.yaml,
// run.json, metrics.jsonl; train/checkpoint_manager.h: checkpoints/step_NNNNNNNN and
// checkpoints/best; train/report/: the report).
//
// Batch k depends only on (seed, k) and dropout on (seed, counter), so a resumed run repeats the
// uninterrupted one. SIGINT/SIGTERM (train/stop_signal.h) stop the run within about a second
// wherever they arrive: the current step is finished and checkpointed, an evaluation under way is
// dropped and marked in that checkpoint so that a resume reruns it, and train() returns with
// stop_reason "interrupted".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "train/config.h"
#include "train/run_directory.h"  // run_config(), for --resume

namespace heed {

struct TrainOptions {
  std::string command_line;
  bool resume = false;    // continue the run in config.out_dir from its latest checkpoint
  bool terminal = false;  // draw a progress bar instead of plain lines
  std::string config_source = "config";  // names the config in errors (its file, say)
  double available_memory = -1;          // bytes; < 0: read /proc/meminfo, 0: do not check
};

struct TrainSummary {
  int64_t steps = 0;                   // optimizer steps completed in total
  int64_t skipped_steps = 0;           // of which skipped (train.on_nonfinite: skip)
  std::map<std::string, double> eval;  // the last evaluation
  std::string stop_reason;             // "steps", "stop_at", "max_minutes", "interrupted"
  double train_seconds = 0;            // this invocation's wall time in the loop
  std::string out_dir;
};

TrainSummary train(const Config& config, const TrainOptions& options);

}  // namespace heed
