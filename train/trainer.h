// The training loop: a config in, a run directory out.
//
//   out_dir/config.yaml      the resolved config (what --resume reads back)
//   out_dir/run.json         provenance: heed commit, build, compiler, oneDNN ISA, threads, command
//   out_dir/metrics.jsonl    one JSON object per logged step and per evaluation
//   out_dir/checkpoints/step_NNNNNNNN/  model.safetensors + trainer.safetensors (framework/io)
//   out_dir/checkpoints/best/           the checkpoint of the best evaluation
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

// The config of an existing run directory (its config.yaml) with `overrides` applied, for
// --resume (e.g. --set train.steps=2000 to train longer).
Config run_config(const std::string& run_dir, const std::vector<std::string>& overrides = {});

}  // namespace heed
