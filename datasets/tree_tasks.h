// Tasks over generated trees. Each is a Task (datasets/tasks.h) whose examples are the trees'
// flat token sequences, so a sequence model trains on exactly the examples a tree model sees
// through sample_tree / generate_trees. An example depends only on (seed, stream, index).
//
//   listops         ListOps as LRA generates it (google-research/long-range-arena,
//                   lra_benchmarks/data/listops.py): operators MIN, MAX, MED, SM (sum mod 10)
//                   over values 0-9; each argument is a value with probability 1 - list_p = 0.75,
//                   else a sub-list; 2..max_args arguments; lengths count LRA's tokens ("[MAX"
//                   is one, "]" another). MED is LRA's int(np.median(args)): for an even count the
//                   mean of the two middle values rounded down, e.g. MED(1, 4) = 2, not the
//                   lower middle 1. Target: the value, a class in [0, 10).
//   tree_eval       arithmetic mod 10: +, -, * over values 0-9, each folded left to right over
//                   its 2..max_args arguments (a - b - c = (a - b) - c), the result in [0, 10).
//   tree_traversal  a tree of labels a, b, ... given in pre-order with both brackets; target its
//                   labels in post-order (sequence output).
//
// Shapes follow LRA: a node at level `max_depth` (the root is level 1) is always a value, so a
// tree's height (root depth 0) is at most max_depth - 1. Unlike LRA the root is always an operator
// (LRA's single-value trees have length 1 and its lengths start at 500), the length range is
// inclusive (LRA's is exclusive), and examples are independent draws (LRA drops duplicates).
#pragma once

#include <map>
#include <memory>
#include <utility>

#include "datasets/sexpr.h"
#include "datasets/tasks.h"
#include "datasets/tree.h"
#include "datasets/tree_batch.h"
#include "datasets/tree_vocab.h"

namespace heed {

class TreeTask : public Task {
 public:
  // One tree whose flat length (flatten(tree, brackets()).size()) lies in [min_len, max_len], by
  // rejection sampling as LRA does. Throws heed::Error when no tree of these options can have
  // such a length, or none was found in 100000 attempts.
  virtual TreeExample sample_tree(Rng& rng, int64_t min_len, int64_t max_len) const = 0;
  Example sample(Rng& rng, int64_t min_len, int64_t max_len) const override {
    return to_example(sample_tree(rng, min_len, max_len));
  }
  // The flat sequence a sequence model reads, with the same target.
  Example to_example(const TreeExample& e) const { return {flatten(e.tree, brackets()), e.target}; }
  // Its inverse: the tree of a flat source (what tree models read). Throws heed::Error on a
  // sequence that is not a flattened tree of this task.
  Tree to_tree(const std::vector<int64_t>& flat) const;
  // The trees of examples' flat sources, as one padded batch (what tree models read).
  TreeBatch to_tree_batch(const std::vector<Example>& examples) const;
  // The names of a flat source's tree nodes in pre-order (a tree model's rows, for pictures).
  std::vector<std::string> node_names(const std::vector<int64_t>& flat) const;
  // The examples of a file of `tree<TAB>target` lines (datasets/sexpr.h) over this task's
  // vocabulary: class targets are class names (class_name), sequence targets atoms. Atoms the
  // vocabulary lacks become unknown_token(), or are errors when it is -1; a tree this task could
  // not produce (a value with arguments) is an error. Errors name the file, line and column.
  std::vector<Example> read_examples(const std::string& path) const override;

  int64_t vocab() const override { return tree_vocab().size(); }
  virtual const TreeVocab& tree_vocab() const = 0;
  virtual Brackets brackets() const = 0;
  virtual TargetKind target_kind() const = 0;
  virtual int64_t num_classes() const = 0;  // kClass: targets are {c}, 0 <= c < num_classes
  // What class c means to a person: its number, or the file's label (datasets/tree_file_task.h).
  virtual std::string class_name(int64_t c) const { return std::to_string(c); }
  // The id atoms outside the vocabulary get when parsed (`heed predict`), -1: they are an error.
  virtual int64_t unknown_token() const { return -1; }
  // The length range of the task's preset (e.g. ListOps small: [1, 128], lra: [500, 2000]).
  virtual std::pair<int64_t, int64_t> default_lengths() const = 0;

 protected:
  using Task::Task;
  // Brackets::kClose: whether `token` is an inner node's (an operator); unused for kBoth.
  virtual bool opens_node(int64_t) const { return false; }
};

// A registered tree task (datasets/task_registry.h), e.g. make_tree_task("listops", {{"preset",
// "lra"}}); `heed config keys` lists each one's options. Throws for a task that is not a TreeTask.
std::unique_ptr<TreeTask> make_tree_task(const std::string& name,
                                         const std::map<std::string, std::string>& options = {});

// As generate() in tasks.h, keeping the trees: generate(task, ...) gives the flat examples of
// generate_trees(task, ...) with the same arguments.
std::vector<TreeExample> generate_trees(const TreeTask& task, uint64_t seed, uint64_t stream,
                                        int64_t first, int64_t count, int64_t min_len,
                                        int64_t max_len);

// The tasks' vocabularies: reserved ids, kOpenBracket "[", kCloseBracket "]", the operators in
// the order listed above, then the values "0".."9" (or the labels "a", "b", ...).
TreeVocab listops_vocab();
TreeVocab tree_eval_vocab();
TreeVocab tree_traversal_vocab(int64_t labels);

// The value of a tree over the vocabulary above (throws heed::Error on a token that is neither
// an operator with arguments nor a value without).
int64_t listops_value(const Tree& tree);
int64_t tree_eval_value(const Tree& tree);

}  // namespace heed
