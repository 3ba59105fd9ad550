// A run directory and the files in it besides checkpoints (checkpoint_manager.h):
//
//   config.yaml    the resolved config (what --resume reads back)
//   run.json       provenance: heed commit, build, compiler, oneDNN ISA, threads, command
//   vocab.txt      a task's own files (task_state.h), for a task with a word vocabulary
//   metrics.jsonl  one JSON object per logged step and per evaluation (MetricsLog)
//   final.json     written last, when a run ends other than interrupted: the run is finished
//                  (stop_reason, steps, skipped_steps; the evaluations are in metrics.jsonl)
//   train.lock     flocked while a process trains the run (train/run_lock.h)
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "datasets/tasks.h"
#include "train/config.h"

namespace heed {

// Creates the run directory of a fresh run (config.out_dir) with its config.yaml (`config_yaml`),
// run.json, the task's files and an empty metrics.jsonl.
void create_run_directory(const Config& config, const std::string& config_yaml, const Task& task,
                          const std::string& command_line);

// Readies the run directory `out_dir` to continue from its checkpoint of `step`: the metrics
// lines after `step` go, and config.yaml becomes `config_yaml` (overrides given with --resume,
// e.g. more steps, become the run's config from here on).
void reopen_run_directory(const std::string& out_dir, const std::string& config_yaml, int64_t step);

// Writes `out_dir`/final.json (atomically): the run is finished. Creating or reopening a run
// directory removes it, so it is present exactly when the last training of the run ended.
void write_final_marker(const std::string& out_dir, const nlohmann::json& final);

// The config of an existing run directory (its config.yaml) with `overrides` applied, for
// --resume (e.g. --set train.steps=2000 to train longer).
Config run_config(const std::string& run_dir, const std::vector<std::string>& overrides = {});

// metrics.jsonl, appended to and flushed line by line, so that a crash loses at most the line
// being written (a resume drops a torn last line).
class MetricsLog {
 public:
  explicit MetricsLog(const std::string& run_dir);
  void write(const nlohmann::json& line);

 private:
  std::ofstream out_;
};

}  // namespace heed
