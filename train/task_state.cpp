#include "train/task_state.h"

#include <filesystem>

#include "datasets/file_task.h"
#include "datasets/tree_file_task.h"
#include "datasets/tree_tasks.h"
#include "framework/io/atomic_file.h"

namespace heed {
namespace {

FileTaskSpec file_spec(const Config& c) {
  return {c.task.train,      c.task.valid,   c.task.vocab_file,
          c.train.bucketing, c.task.min_len, c.task.max_len};
}

TargetKind target_kind(const TaskConfig& t) {
  return t.target == "class" ? TargetKind::kClass : TargetKind::kSequence;
}

}  // namespace

std::unique_ptr<Task> make_config_task(const Config& config) {
  const TaskConfig& t = config.task;
  if (t.name == "file" && t.format == "tree")
    return load_tree_file_task(file_spec(config), target_kind(t));
  if (t.name == "file") return load_file_task(file_spec(config));
  if (t.name == "listops" || t.name == "tree_eval" || t.name == "tree_traversal") {
    Options options;  // 0 (the config's default) leaves the task's own default
    if (t.name == "listops") options.set("preset", t.preset);
    if (t.max_depth > 0) options.set("max_depth", std::to_string(t.max_depth));
    if (t.max_args > 0) options.set("max_args", std::to_string(t.max_args));
    if (t.list_p > 0) options.set("list_p", std::to_string(t.list_p));
    if (t.labels > 0) options.set("labels", std::to_string(t.labels));
    try {
      return make_tree_task(t.name, options);
    } catch (const Error& e) {  // a value the task refuses (max_depth 1): a config error
      throw ConfigError("task: " + std::string(e.what()));
    }
  }
  Options options;
  if (config.task.name != "addition") options.set("vocab", std::to_string(config.task.vocab));
  return make_task(config.task.name, options);
}

std::unique_ptr<Task> checkpoint_task(const Config& config,
                                      const std::map<std::string, std::string>& metadata,
                                      const std::string& checkpoint) {
  if (config.task.name != "file") return make_config_task(config);
  const std::string source = checkpoint + "/trainer.safetensors";
  if (config.task.format == "tree") {
    auto task = tree_file_task_from_metadata(file_spec(config), metadata, source);
    if (task->target_kind() != target_kind(config.task))
      throw ConfigError(source + ": the checkpoint's task has target " +
                        metadata.at("task.target") + ", its config says task.target " +
                        config.task.target);
    return task;
  }
  return file_task_from_metadata(file_spec(config), metadata, source);
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
