// Task `file`: examples read from files, as words (datasets/file_task.h, format text) or as
// S-expression trees (datasets/tree_file_task.h, format tree).
#include "datasets/file_task.h"
#include "datasets/task_registry.h"
#include "datasets/tree_file_task.h"

namespace heed {
namespace {

using Kind = TaskOption::Kind;

FileTaskSpec spec_of(const TaskSetup& s) {
  return {s.text("train"), s.text("valid"), s.text("vocab_file"),
          s.bucketing,     s.min_len,       s.max_len};
}

bool trees(const TaskSetup& s) {
  return s.text("format") == "tree";
}
TargetKind target_kind(const TaskSetup& s) {
  return trees(s) && s.text("target") == "class" ? TargetKind::kClass : TargetKind::kSequence;
}

std::vector<TaskOption> file_options() {
  return {
      {"train", Kind::kPath, "",
       "training examples, one 'source<TAB>target' a line (path relative to the config)"},
      {"valid", Kind::kPath, "",
       "examples each evaluation scores, in order (default: the training file)"},
      {"vocab_file", Kind::kPath, "",
       "vocabulary, one token per line (default: the training file's tokens, sorted; format "
       "tree: in order of appearance)"},
      {"format",
       Kind::kText,
       "text",
       "text (words: 'source<TAB>target') | tree (an S-expression such as '[MAX 2 [MIN 4 7 ] ]' "
       "or '(+ 3 (* 4 5))', TAB, the target)",
       0,
       0,
       {"text", "tree"}},
      {"target",
       Kind::kText,
       "class",
       "format tree: class (one atom a line; the classes are the training file's) | sequence "
       "(atoms; tree to sequence)",
       0,
       0,
       {"class", "sequence"}},
  };
}

TaskType file_type() {
  TaskType t;
  t.name = "file";
  t.description =
      "examples read from task.train / task.valid: 'source<TAB>target' lines of "
      "words, or of trees with format tree";
  t.options = file_options();
  t.capabilities = [](const TaskSetup& s) {
    TaskCapabilities c;
    c.reads_files = true;
    c.any_length = false;
    c.tree_source = trees(s);
    c.targets = target_kind(s);
    return c;
  };
  t.check = [](const TaskSetup& s) {
    if (s.text("train").empty())
      throw TaskOptionError("name", "task 'file' needs task.train, its training file");
    if (s.text("target") != "class" && !trees(s))
      throw TaskOptionError("target", "only format tree reads it");
  };
  t.make = [](const TaskSetup& s) -> std::unique_ptr<Task> {
    if (trees(s)) return load_tree_file_task(spec_of(s), target_kind(s));
    return load_file_task(spec_of(s));
  };
  t.restore = [](const TaskSetup& s, const TaskMetadata& meta,
                 const std::string& source) -> std::unique_ptr<Task> {
    if (!trees(s)) return file_task_from_metadata(spec_of(s), meta, source);
    auto task = tree_file_task_from_metadata(spec_of(s), meta, source);
    if (task->target_kind() != target_kind(s))
      throw Error(source + ": the checkpoint's task has target " + meta.at("task.target") +
                  ", its config says task.target " + s.text("target"));
    return task;
  };
  return t;
}

}  // namespace

HEED_REGISTER_TASK(file, file_type());

}  // namespace heed
