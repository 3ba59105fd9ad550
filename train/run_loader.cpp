#include "train/run_loader.h"

#include <filesystem>

#include "framework/io/checkpoint.h"
#include "framework/nn/init.h"
#include "framework/precision.h"

namespace heed {
namespace fs = std::filesystem;

std::string latest_checkpoint(const std::string& run_dir) {
  fs::path dir = fs::path(run_dir) / "checkpoints";
  std::string best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("step_", 0) != 0 || name.find('.') != std::string::npos) continue;
    if (!fs::exists(e.path() / "trainer.safetensors")) continue;
    if (name > best) best = name;
  }
  return best.empty() ? "" : (dir / best).string();
}

LoadedRun load_run(const std::string& path) {
  LoadedRun run;
  std::error_code ec;
  if (fs::exists(fs::path(path) / "config.yaml", ec)) {
    fs::path best = fs::path(path) / "checkpoints" / "best";
    run.checkpoint =
        fs::exists(best / "trainer.safetensors") ? best.string() : latest_checkpoint(path);
    if (run.checkpoint.empty()) throw Error(path + ": the run has no checkpoint yet");
  } else if (fs::exists(fs::path(path) / "trainer.safetensors", ec)) {
    run.checkpoint = path;
  } else if (!fs::exists(path, ec)) {
    throw Error(path + ": no such run directory or checkpoint");
  } else {
    throw Error(path + ": not a run directory (config.yaml) or checkpoint (trainer.safetensors)");
  }
  Checkpoint ck = load_checkpoint(run.checkpoint);
  auto cfg = ck.metadata.find("config");
  if (cfg == ck.metadata.end())
    throw Error(run.checkpoint + "/trainer.safetensors: no 'config' in its metadata");
  run.config = parse_config(cfg->second, run.checkpoint + "/trainer.safetensors (config)");
  for (const auto& [name, t] : ck.trainer_state)
    if (name == "step") run.step = t.to_ints().at(0);
  run.task = checkpoint_task(run.config, ck.metadata, run.checkpoint);
  // Evaluated with the products it was trained with, as its training-time evaluations were.
  set_matmul_precision(parse_precision(run.config.train.precision));
  seed_init(run.config.seed);
  run.model = make_task_model(run.config, *run.task);
  load_parameters_into(run.model->module().named_parameters(), ck.params,
                       run.checkpoint + "/model.safetensors");
  run.model->module().eval();
  return run;
}

}  // namespace heed
