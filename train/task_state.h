// What a task adds to a run besides its config: the files a person reads (vocab.txt in the run
// directory, reusable as task.vocab_file), the checkpoint metadata that lets eval, predict and
// export rebuild the task without its data, and the check that a resumed run still has the
// vocabulary its parameters were trained with.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "datasets/tasks.h"
#include "train/config.h"

namespace heed {

// The task of `config`, its data read and checked (datasets/task_registry.h).
std::unique_ptr<Task> make_config_task(const Config& config);
// The task of a checkpoint: a task reading files takes its vocabulary from `metadata`, not
// from its files.
std::unique_ptr<Task> checkpoint_task(const Config& config,
                                      const std::map<std::string, std::string>& metadata,
                                      const std::string& checkpoint);

// Writes out_dir/vocab.txt for a task with a word vocabulary; nothing otherwise.
void write_task_files(const Task& task, const std::string& out_dir);

// Throws ConfigError when `checkpoint`'s task metadata disagrees with `task` (the training file
// changed since, so ids would mean other words).
void check_resumed_task(const Task& task, const std::map<std::string, std::string>& metadata,
                        const std::string& checkpoint);

}  // namespace heed
