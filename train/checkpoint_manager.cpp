#include "train/checkpoint_manager.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "framework/io/checkpoint.h"
#include "framework/random.h"
#include "train/config.h"
#include "train/run_loader.h"
#include "train/task_state.h"

namespace heed {
namespace fs = std::filesystem;

namespace {

std::string step_dir_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step_%08lld", static_cast<long long>(step));
  return buf;
}

}  // namespace

CheckpointManager::CheckpointManager(std::string run_dir, int64_t keep, const NamedTensors& params,
                                     Optimizer& optimizer, std::string config_yaml,
                                     const Task& task, bool writes)
    : run_dir_(std::move(run_dir)),
      root_((fs::path(run_dir_) / "checkpoints").string()),
      keep_(keep),
      params_(params),
      optimizer_(optimizer),
      config_yaml_(std::move(config_yaml)),
      task_(task),
      writes_(writes) {}

std::string CheckpointManager::latest() const {
  return latest_checkpoint(run_dir_);
}

TrainerState CheckpointManager::restore_latest(bool& eval_pending) {
  std::string latest = latest_checkpoint(run_dir_);
  if (latest.empty()) throw ConfigError(run_dir_ + ": no checkpoint to resume from");
  Checkpoint ck = load_checkpoint(latest);
  check_resumed_task(task_, ck.metadata, latest);
  load_parameters_into(params_, ck.params, latest + "/model.safetensors");
  TrainerState state;
  NamedTensors opt_state;
  std::vector<int64_t> rng;
  for (const auto& [name, t] : ck.trainer_state) {
    if (name == "step")
      state.step = t.to_ints()[0];
    else if (name == "skipped_steps")
      state.skipped_steps = t.to_ints()[0];
    else if (name == "rng")
      rng = t.to_ints();
    else if (name.rfind("optimizer.", 0) == 0)
      opt_state.emplace_back(name.substr(10), t);
  }
  optimizer_.load_state(opt_state);
  if (rng.size() != 2) throw Error(latest + "/trainer.safetensors: 'rng' must hold (seed, offset)");
  global_rng() = RngState{static_cast<uint64_t>(rng[0]), static_cast<uint64_t>(rng[1])};
  if (auto it = ck.metadata.find("best_metric"); it != ck.metadata.end())
    state.best_metric = std::stod(it->second);
  if (auto it = ck.metadata.find("stopped"); it != ck.metadata.end()) state.stopped = it->second;
  auto pending = ck.metadata.find("eval_pending");
  eval_pending = pending != ck.metadata.end() && pending->second == "1";
  saved_step_ = state.step;
  return state;
}

void CheckpointManager::save(const TrainerState& s, const std::map<std::string, double>& eval,
                             bool best, bool eval_pending) {
  if (!writes_) {
    saved_step_ = s.step;
    return;
  }
  NamedTensors state;
  for (auto& [name, t] : optimizer_.state()) state.emplace_back("optimizer." + name, t);
  state.emplace_back("step", Tensor::from_ints({s.step}, {1}));
  state.emplace_back("skipped_steps", Tensor::from_ints({s.skipped_steps}, {1}));
  state.emplace_back("rng", Tensor::from_ints({static_cast<int64_t>(global_rng().seed),
                                               static_cast<int64_t>(global_rng().offset)},
                                              {2}));
  std::map<std::string, std::string> meta = {{"config", config_yaml_},
                                             {"best_metric", std::to_string(s.best_metric)}};
  for (const auto& [k, v] : eval) meta["eval." + k] = std::to_string(v);
  if (eval_pending) meta.emplace("eval_pending", "1");
  if (!s.stopped.empty()) meta.emplace("stopped", s.stopped);
  for (const auto& [k, v] : task_.metadata()) meta[k] = v;  // e.g. a file task's vocabulary
  // The best checkpoint first: a crash between the two saves then resumes from the previous
  // step checkpoint, whose best_metric makes the replayed evaluation write `best` again.
  const fs::path root(root_);
  if (best) save_checkpoint((root / "best").string(), params_, state, meta);
  save_checkpoint((root / step_dir_name(s.step)).string(), params_, state, meta);
  prune();  // only after the new checkpoint is durable
  saved_step_ = s.step;
}

// A pruned checkpoint is first renamed to "<name>.pruned" (ignored by every reader), so a crash
// while its files are deleted never leaves a visible, half-deleted checkpoint; leftovers of such
// a crash go next time.
void CheckpointManager::prune() const {
  const fs::path root(root_);
  std::vector<std::string> steps, leftovers;
  for (const auto& e : fs::directory_iterator(root)) {
    std::string n = e.path().filename().string();
    if (n.rfind("step_", 0) != 0) continue;
    if (n.ends_with(".pruned"))
      leftovers.push_back(n);
    else if (n.find('.') == std::string::npos)
      steps.push_back(n);
  }
  for (const std::string& n : leftovers) fs::remove_all(root / n);
  std::sort(steps.begin(), steps.end());
  for (std::size_t i = 0; i + keep_ < steps.size(); ++i) {
    const fs::path doomed = root / (steps[i] + ".pruned");
    fs::rename(root / steps[i], doomed);
    fs::remove_all(doomed);
  }
}

}  // namespace heed
