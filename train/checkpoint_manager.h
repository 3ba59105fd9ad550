// The checkpoints of a run, on framework/io/checkpoint.h:
//
//   out_dir/checkpoints/step_NNNNNNNN/  model.safetensors + trainer.safetensors, the newest
//                                       train.keep_checkpoints of them
//   out_dir/checkpoints/best/           the checkpoint of the best evaluation
//
// trainer.safetensors holds the optimizer's state ("optimizer.*"), "step", "skipped_steps" and
// the global RNG ("rng": seed, offset), so that a resumed run repeats the uninterrupted one; its
// metadata holds the resolved config, best_metric, the last evaluation ("eval.*"), the task's
// own keys (e.g. a file task's vocabulary), for a run stopped during an evaluation,
// "eval_pending", and for the checkpoint of the evaluation that met train.stop_at, "stopped".
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "datasets/tasks.h"
#include "framework/optim/optimizer.h"

namespace heed {

// What a checkpoint holds of the trainer besides its parameters and optimizer.
struct TrainerState {
  int64_t step = 0;           // optimizer steps completed
  int64_t skipped_steps = 0;  // of which skipped as non-finite (train.on_nonfinite: skip)
  double best_metric = -1;    // the best evaluation's exact_seq_acc so far
  // The stop rule this checkpoint's evaluation met (train.stop_at's targets as text), or "":
  // a resume with the same rule has nothing left to do ("stopped" in the metadata).
  std::string stopped;
};

class CheckpointManager {
 public:
  // Checkpoints of `params` and `optimizer` (both outlive the manager) in run_dir/checkpoints,
  // with `config_yaml` and `task`'s metadata in each.
  // `writes` false (the ranks of a data-parallel job other than 0): save() writes nothing and
  // only records the step, as rank 0's save() does.
  CheckpointManager(std::string run_dir, int64_t keep, const NamedTensors& params,
                    Optimizer& optimizer, std::string config_yaml, const Task& task,
                    bool writes = true);

  // Loads the latest checkpoint into the parameters, the optimizer and the global RNG and
  // returns its state; `eval_pending` tells whether it was saved during an evaluation, which a
  // resume reruns. Throws ConfigError when there is no checkpoint.
  TrainerState restore_latest(bool& eval_pending);

  // Writes the checkpoint of `state.step` with the last evaluation `eval`: as checkpoints/best
  // first when `best`, then as its step checkpoint, then prunes the step checkpoints to the
  // newest `keep`. `eval_pending` marks an evaluation of this step that has not been written.
  void save(const TrainerState& state, const std::map<std::string, double>& eval, bool best,
            bool eval_pending);

  int64_t saved_step() const { return saved_step_; }  // the newest checkpoint's step; -1: none
  std::string latest() const;  // the latest step checkpoint's directory, "" when there is none

 private:
  void prune() const;

  std::string run_dir_, root_;
  int64_t keep_;
  const NamedTensors& params_;
  Optimizer& optimizer_;
  std::string config_yaml_;
  const Task& task_;
  bool writes_;
  int64_t saved_step_ = -1;
};

}  // namespace heed
