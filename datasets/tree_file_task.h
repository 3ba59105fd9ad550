// The `file` task with `format: tree`: examples read from files of S-expressions, one
// `tree<TAB>target` a line (datasets/sexpr.h), e.g. `[MAX 2 9 [MIN 4 7 ] 0 ]<TAB>9`.
//
// Its vocabulary: the reserved ids, "[" and "]" (the flat sequence's brackets, as every tree
// task's), "<unk>" (atoms a later file has and the training file lacks), then the training
// file's atoms in order of first appearance, or task.vocab_file's (one atom a line: a run's
// vocab.txt). Trees flatten with both brackets (`[ MAX 2 9 ]`), since in a file any atom may be
// a leaf or an inner node.
//
// Targets are either one class per line (`target: class`; the classes are the training file's
// target atoms, sorted, so a model classifies into exactly those) or a token sequence
// (`target: sequence`, tree to sequence; its atoms share the tree vocabulary).
//
// Training batches come from a BatchPlan over the training file, evaluation reads the
// validation file in order, as for the text `file` task (datasets/file_task.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "datasets/bucketing.h"
#include "datasets/file_task.h"
#include "datasets/tree_tasks.h"

namespace heed {

class TreeFileTask final : public TreeTask {
 public:
  // `train` may be empty (a task rebuilt from a checkpoint to evaluate or predict). `labels`
  // holds the class names for kClass (class c is labels[c]), nothing for kSequence.
  TreeFileTask(FileTaskSpec spec, TargetKind kind, TreeVocab vocab, std::vector<std::string> labels,
               std::vector<Example> train, int64_t longest_target);

  TreeExample sample_tree(Rng&, int64_t, int64_t) const override;  // throws: nothing to generate
  bool reads_files() const override { return true; }
  int64_t max_target_len(int64_t source_len) const override;
  std::vector<Example> train_batch(uint64_t seed, int64_t k, int64_t batch_size, int64_t min_len,
                                   int64_t max_len) const override;
  // The first `count` examples of the validation file (of the training file without one).
  std::vector<Example> eval_examples(uint64_t seed, int64_t count, int64_t min_len,
                                     int64_t max_len) const override;
  // "task.vocab": the atoms, one a line (the format of task.vocab_file); "task.labels": the
  // classes, one a line; "task.target": class | sequence; "task.longest_target".
  std::map<std::string, std::string> metadata() const override;

  const TreeVocab& tree_vocab() const override { return vocab_; }
  Brackets brackets() const override { return Brackets::kBoth; }
  TargetKind target_kind() const override { return kind_; }
  int64_t num_classes() const override { return static_cast<int64_t>(labels_.size()); }
  std::string class_name(int64_t c) const override;
  int64_t unknown_token() const override { return kTreeUnknown; }
  std::pair<int64_t, int64_t> default_lengths() const override {
    return {files_.spec().min_len, files_.spec().max_len};
  }
  // Where a file's tree atoms unknown to the vocabulary go.
  static constexpr int64_t kTreeUnknown = kCloseBracket + 1;

 private:
  FileExamples files_;
  TargetKind kind_;
  TreeVocab vocab_;
  std::vector<std::string> labels_;
  int64_t longest_target_;
};

// Reads the vocabulary and the training file and checks the validation file. Every training
// tree's flat length must lie in [spec.min_len, spec.max_len]. Errors name the file, line and
// column.
std::unique_ptr<TreeFileTask> load_tree_file_task(const FileTaskSpec& spec, TargetKind kind);
// The task a checkpoint's metadata describes (see TreeFileTask::metadata); reads no data.
std::unique_ptr<TreeFileTask> tree_file_task_from_metadata(
    const FileTaskSpec& spec, const std::map<std::string, std::string>& meta,
    const std::string& source);

}  // namespace heed
