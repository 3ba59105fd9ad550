// Tasks register themselves, as attention variants do: a task is one file that declares its name,
// its description, its own typed options (defaults, ranges, choices, documentation), the rules
// across them, what it offers (TaskCapabilities) and how to build it, then one line:
//
//   HEED_REGISTER_TASK(copy, copy_task_type());
//
// The config reads `task: {name: NAME, min_len, max_len, eval_lengths, OPTION: VALUE...}`,
// checking each option against the chosen task's declaration; `heed list tasks`, `heed config
// keys` and docs/config.md are generated from the same declarations. Nothing outside a task's
// file names it: the config and the models decide from its capabilities.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "datasets/tasks.h"

namespace heed {

// What a task offers; models accept or refuse a task by these, never by its name.
struct TaskCapabilities {
  bool reads_files = false;                    // examples come from files, not a generator
  TargetKind targets = TargetKind::kSequence;  // kClass: one label an example
  bool tree_source = false;                    // sources are flattened trees (a TreeTask)
  bool any_length = true;                      // can make examples of lengths never trained on
};

// One option of a task, read from `task.KEY`. Values travel as text (YAML scalars), checked
// against the declaration by option_problem().
struct TaskOption {
  enum class Kind { kInteger, kNumber, kText, kPath };  // kPath: resolved against the config's dir
  std::string key;
  Kind kind = Kind::kInteger;
  std::string fallback;  // the default, as text
  std::string doc;
  double lo = -1e300, hi = 1e300;         // kInteger, kNumber: the allowed range
  std::vector<std::string> choices = {};  // kText: the allowed values (empty: any)
};

// A task about to be made: its options, every declared one present (defaults filled in), and
// the training lengths. Readers of options are for the task's own factory.
struct TaskSetup {
  std::string name;
  std::map<std::string, std::string> options;
  int64_t min_len = 1, max_len = 1 << 16;  // file tasks refuse training lines outside them
  bool bucketing = true;                   // file tasks: batches of similar lengths

  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;
  const std::string& text(const std::string& key) const;
};

// A rule across a task's options broken: `key` is the option (or "name" for the task as a
// whole), so the config can point at the line that set it.
struct TaskOptionError : Error {
  TaskOptionError(std::string key, const std::string& what) : Error(what), key(std::move(key)) {}
  std::string key;
};

using TaskMetadata = std::map<std::string, std::string>;

struct TaskType {
  std::string name, description;
  std::vector<TaskOption> options;
  std::function<TaskCapabilities(const TaskSetup&)> capabilities;
  // Rules the declarations cannot say ("0 or at least 2"); throws TaskOptionError. May be empty.
  std::function<void(const TaskSetup&)> check;
  std::function<std::unique_ptr<Task>(const TaskSetup&)> make;
  // The task a checkpoint's metadata (Task::metadata) describes, without its data files. Empty:
  // `make` (a generated task needs nothing more than its options).
  std::function<std::unique_ptr<Task>(const TaskSetup&, const TaskMetadata&,
                                      const std::string& source)>
      restore;
};

bool register_task(TaskType type);
// Every registered task, sorted by name.
std::vector<const TaskType*> task_types();
// The registered task `name`; throws heed::Error listing the known ones.
const TaskType& task_type(const std::string& name);

// What is wrong with `value` for `option` ("must be an integer, got 'x'"), or "" when nothing.
std::string option_problem(const TaskOption& option, const std::string& value);

// `given` checked against task `name`'s declarations and rules, defaults filled in. Throws
// TaskOptionError (an unknown option's key, a bad value, a broken rule).
TaskSetup task_setup(const std::string& name, const std::map<std::string, std::string>& given,
                     int64_t min_len = 1, int64_t max_len = 1 << 16, bool bucketing = true);
TaskCapabilities task_capabilities(const TaskSetup& setup);
// What a task already made offers (its targets, trees, files), read off the object.
TaskCapabilities capabilities_of(const Task& task);
std::unique_ptr<Task> make_task(const TaskSetup& setup);
std::unique_ptr<Task> restore_task(const TaskSetup& setup, const TaskMetadata& metadata,
                                   const std::string& source);
// Shorthand for code and tests: make_task(task_setup(name, options)).
std::unique_ptr<Task> make_task(const std::string& name,
                                const std::map<std::string, std::string>& options = {});

}  // namespace heed

#define HEED_REGISTER_TASK(NAME, TYPE) \
  static const bool heed_task_registered_##NAME = ::heed::register_task(TYPE)
