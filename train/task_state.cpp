#include "train/task_state.h"

#include <filesystem>

#include "datasets/task_registry.h"
#include "framework/io/atomic_file.h"

namespace heed {
namespace {

TaskSetup config_task_setup(const Config& c) {
  try {
    return task_setup(c.task.name, c.task.options, c.task.min_len, c.task.max_len,
                      c.train.bucketing);
  } catch (const TaskOptionError& e) {  // load_config checked these; a config built in code
    throw ConfigError("task." + e.key + ": " + e.what());
  }
}

}  // namespace

std::unique_ptr<Task> make_config_task(const Config& config) {
  return make_task(config_task_setup(config));
}

std::unique_ptr<Task> checkpoint_task(const Config& config,
                                      const std::map<std::string, std::string>& metadata,
                                      const std::string& checkpoint) {
  return restore_task(config_task_setup(config), metadata, checkpoint + "/trainer.safetensors");
}

void write_task_files(const Task& task, const std::string& out_dir) {
  // "task.vocab" is in the format of task.vocab_file for both file formats.
  const std::map<std::string, std::string> meta = task.metadata();
  if (auto vocab = meta.find("task.vocab"); vocab != meta.end())
    write_file_atomically((std::filesystem::path(out_dir) / "vocab.txt").string(), vocab->second);
}

void check_resumed_task(const Task& task, const std::map<std::string, std::string>& metadata,
                        const std::string& checkpoint) {
  // Only the vocabulary and the classes matter: other ids would feed the trained embeddings
  // other words, or train the head's rows on other classes.
  const std::map<std::string, std::string> now = task.metadata();
  auto differs = [&](const std::string& key) {
    auto mine = now.find(key), theirs = metadata.find(key);
    return mine != now.end() && theirs != metadata.end() && mine->second != theirs->second;
  };
  if (differs("task.labels"))
    throw ConfigError(checkpoint + ": the checkpoint's classes differ from the training file's " +
                      "targets now (did task.train change?)");
  if (!differs("task.vocab")) return;
  const auto run_dir = std::filesystem::path(checkpoint).parent_path().parent_path();
  throw ConfigError(checkpoint + ": the checkpoint's vocabulary differs from the one the task " +
                    "has now (did task.train change?); resume with --set task.vocab_file=" +
                    (run_dir / "vocab.txt").string() + " to keep the checkpoint's");
}

}  // namespace heed
