#include "datasets/tree_tasks.h"

#include <algorithm>
#include <string>

#include "datasets/task_registry.h"
#include "datasets/tree_unflatten.h"
#include "framework/text.h"

namespace heed {
namespace {

// Token layout of the three vocabularies (checked against the names in the tests).
constexpr int64_t kFirstOp = kCloseBracket + 1;
constexpr int64_t kListOpsMin = kFirstOp, kListOpsMax = kFirstOp + 1, kListOpsMed = kFirstOp + 2,
                  kListOpsSum = kFirstOp + 3, kListOpsFirstValue = kFirstOp + 4;
constexpr int64_t kEvalAdd = kFirstOp, kEvalSub = kFirstOp + 1, kEvalMul = kFirstOp + 2,
                  kEvalFirstValue = kFirstOp + 3;
constexpr int64_t kFirstLabel = kFirstOp;
constexpr int kMaxAttempts = 100000;

TreeVocab make_tree_vocab(const std::vector<std::string>& names) {
  TreeVocab v;
  v.add("[");
  v.add("]");
  for (const std::string& n : names) v.add(n);
  return v;
}

std::vector<std::string> digits() {
  std::vector<std::string> out;
  for (int d = 0; d < 10; ++d) out.push_back(std::to_string(d));
  return out;
}

// Bottom-up evaluation without recursion: in reverse pre-order every child comes before its
// parent. apply(node, token, args) -> value, args in child order.
template <typename F>
int64_t evaluate(const Tree& tree, F apply) {
  if (tree.size() == 0) throw Error("evaluate: empty tree");
  std::vector<std::vector<int64_t>> args(tree.tokens.size());
  int64_t value = 0;
  for (int64_t i = tree.size() - 1; i >= 0; --i) {
    std::reverse(args[i].begin(), args[i].end());
    value = apply(tree.tokens[i], args[i]);
    if (tree.parent[i] >= 0) args[tree.parent[i]].push_back(value);
    args[i].clear();
  }
  return value;  // the root's
}

[[noreturn]] void bad_node(const char* task, int64_t token, std::size_t args) {
  throw Error(std::string(task) + ": token " + std::to_string(token) + " with " +
              std::to_string(args) +
              " arguments is neither an operator with arguments nor a value");
}

struct TreeShape {
  int64_t max_depth, max_args;
  double list_p;
};

// Trees grown as LRA's generate_tree, with the node tokens left to the subclass.
class RandomTreeTask : public TreeTask {
 public:
  RandomTreeTask(std::string name, TreeShape shape, Brackets brackets, TreeVocab vocabulary,
                 std::pair<int64_t, int64_t> lengths)
      : TreeTask(std::move(name)),
        shape_(shape),
        brackets_(brackets),
        vocab_(std::move(vocabulary)),
        lengths_(lengths) {}

  TreeExample sample_tree(Rng& rng, int64_t min_len, int64_t max_len) const override {
    const int64_t shortest = node_length() + 2, longest = longest_from(1);
    if (max_len < shortest || min_len > longest || min_len > max_len)
      throw Error("task '" + name() + "': no tree has a length in [" + std::to_string(min_len) +
                  ", " + std::to_string(max_len) + "] (possible: " + std::to_string(shortest) +
                  " to " + std::to_string(longest) + " with max_depth " +
                  std::to_string(shape_.max_depth) + ", max_args " +
                  std::to_string(shape_.max_args) + ")");
    // Each attempt draws from its own generator, so abandoning a tree as soon as it is too long
    // changes nothing about the trees that are kept.
    const uint64_t base = rng.next_u64();
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      Rng r(mix64(base, static_cast<uint64_t>(attempt)));
      Tree tree;
      int64_t length = 0;
      if (grow(r, tree, -1, 1, length, max_len) && length >= min_len) {
        std::vector<int64_t> target = target_of(tree);
        return {std::move(tree), std::move(target)};
      }
    }
    throw Error("task '" + name() + "': no tree of length in [" + std::to_string(min_len) + ", " +
                std::to_string(max_len) + "] after " + std::to_string(kMaxAttempts) +
                " attempts; widen the range or change max_depth/max_args/list_p");
  }

  const TreeVocab& tree_vocab() const override { return vocab_; }
  Brackets brackets() const override { return brackets_; }
  std::pair<int64_t, int64_t> default_lengths() const override { return lengths_; }

 protected:
  virtual int64_t inner_token(Rng& rng) const = 0;
  virtual int64_t leaf_token(Rng& rng) const = 0;
  virtual std::vector<int64_t> target_of(const Tree& tree) const = 0;

 private:
  int64_t node_length() const {  // flat tokens of an inner node besides its children
    return brackets_ == Brackets::kNone ? 1 : brackets_ == Brackets::kClose ? 2 : 3;
  }
  // Longest flat length of a subtree rooted at `level`, saturated far below overflow.
  int64_t longest_from(int64_t level) const {
    if (level >= shape_.max_depth) return 1;
    return std::min<int64_t>(int64_t{1} << 40,
                             node_length() + shape_.max_args * longest_from(level + 1));
  }
  // LRA's generate_tree: at `level` (the root's is 1) a node is a list with probability list_p
  // unless level == max_depth; recursion depth is bounded by max_depth (at most 64). Returns
  // false as soon as the flat length passes max_len.
  bool grow(Rng& rng, Tree& tree, int64_t parent, int64_t level, int64_t& length,
            int64_t max_len) const {
    const bool inner = parent == -1 || (level < shape_.max_depth && rng.uniform() < shape_.list_p);
    if (!inner) {
      tree.add_node(leaf_token(rng), parent);
      return ++length <= max_len;
    }
    const int64_t node = tree.add_node(inner_token(rng), parent);
    length += node_length();
    const int64_t args = rng.randint(2, shape_.max_args + 1);
    for (int64_t k = 0; k < args; ++k)
      if (length > max_len || !grow(rng, tree, node, level + 1, length, max_len)) return false;
    return length <= max_len;
  }

  TreeShape shape_;
  Brackets brackets_;
  TreeVocab vocab_;
  std::pair<int64_t, int64_t> lengths_;
};

// An operator tree over the values 0..9 whose target is its value, one of 10 classes: operators
// are the `ops` tokens from kFirstOp, the values the ten after them.
class ValueTreeTask final : public RandomTreeTask {
 public:
  ValueTreeTask(std::string name, TreeShape shape, TreeVocab vocabulary,
                std::pair<int64_t, int64_t> lengths, int64_t ops, int64_t (*value)(const Tree&))
      : RandomTreeTask(std::move(name), shape, Brackets::kClose, std::move(vocabulary), lengths),
        ops_(ops),
        value_(value) {}
  TargetKind target_kind() const override { return TargetKind::kClass; }
  int64_t num_classes() const override { return 10; }
  int64_t max_target_len(int64_t) const override { return 1; }

 protected:
  bool opens_node(int64_t t) const override { return t >= kFirstOp && t < kFirstOp + ops_; }
  int64_t inner_token(Rng& rng) const override { return kFirstOp + rng.randint(0, ops_); }
  int64_t leaf_token(Rng& rng) const override { return kFirstOp + ops_ + rng.randint(0, 10); }
  std::vector<int64_t> target_of(const Tree& tree) const override { return {value_(tree)}; }

 private:
  int64_t ops_;
  int64_t (*value_)(const Tree&);
};

// Inner and leaf nodes share labels, so the flat sequence needs both brackets to be a tree.
class TreeTraversalTask final : public RandomTreeTask {
 public:
  TreeTraversalTask(TreeShape shape, int64_t labels)
      : RandomTreeTask("tree_traversal", shape, Brackets::kBoth, tree_traversal_vocab(labels),
                       {1, 64}),
        labels_(labels) {}
  TargetKind target_kind() const override { return TargetKind::kSequence; }
  int64_t num_classes() const override { return 0; }
  int64_t max_target_len(int64_t n) const override { return n; }  // nodes <= flat length

 protected:
  int64_t inner_token(Rng& rng) const override { return kFirstLabel + rng.randint(0, labels_); }
  int64_t leaf_token(Rng& rng) const override { return kFirstLabel + rng.randint(0, labels_); }
  std::vector<int64_t> target_of(const Tree& tree) const override { return postorder_tokens(tree); }

 private:
  int64_t labels_;
};

}  // namespace

Tree TreeTask::to_tree(const std::vector<int64_t>& flat) const {
  try {
    return unflatten(flat, brackets(), [this](int64_t t) { return opens_node(t); });
  } catch (const Error& e) {
    throw Error("task '" + name() + "': " + e.what());
  }
}

TreeBatch TreeTask::to_tree_batch(const std::vector<Example>& examples) const {
  std::vector<Tree> trees;
  trees.reserve(examples.size());
  int64_t nodes = 1;
  for (const Example& e : examples) {
    trees.push_back(to_tree(e.source));
    nodes = std::max(nodes, trees.back().size());
  }
  // In data-parallel training, padded as the whole batch (datasets/batch.h).
  nodes = padded_length(
      {}, [this](const Example& e) { return to_tree(e.source).size(); }, nodes);
  return make_tree_batch(std::move(trees), nodes);
}

std::vector<std::string> TreeTask::node_names(const std::vector<int64_t>& flat) const {
  std::vector<std::string> out;
  for (int64_t t : to_tree(flat).tokens) out.push_back(tree_vocab().name(t));
  return out;
}

std::vector<Example> TreeTask::read_examples(const std::string& path) const {
  TreeVocab vocab = tree_vocab();
  SexprOptions frozen;
  frozen.add_unknown = false;
  frozen.unknown_id = unknown_token();
  const bool classes = target_kind() == TargetKind::kClass;
  TreeVocab class_names;  // class c at id kFirstDataToken + c
  for (int64_t c = 0; classes && c < num_classes(); ++c) class_names.add(class_name(c));
  std::vector<TreeExample> trees =
      load_tree_file(path, vocab, frozen, classes ? &class_names : nullptr, false);
  check_no_reserved(trees, path, !classes);
  std::vector<Example> out;
  out.reserve(trees.size());
  for (TreeExample& e : trees) {
    const std::string where = path + ":" + std::to_string(e.line);
    if (classes && e.target.size() != 1)
      throw Error(where + ": a class target is one atom (this one has " +
                  std::to_string(e.target.size()) + ")");
    if (classes) e.target[0] -= kFirstDataToken;
    Example flat = to_example(e);
    bool ours = false;  // e.g. ListOps reads "[2 MAX ]" as a value with arguments: not its tree
    try {
      ours = to_tree(flat.source) == e.tree;
    } catch (const Error&) {
    }
    if (!ours)
      throw Error(where + ": not a tree of task '" + name() +
                  "' (an operator needs arguments, a value has none)");
    out.push_back(std::move(flat));
  }
  return out;
}

TreeVocab listops_vocab() {
  std::vector<std::string> names = {"MIN", "MAX", "MED", "SM"};
  for (const std::string& d : digits()) names.push_back(d);
  return make_tree_vocab(names);
}

TreeVocab tree_eval_vocab() {
  std::vector<std::string> names = {"+", "-", "*"};
  for (const std::string& d : digits()) names.push_back(d);
  return make_tree_vocab(names);
}

TreeVocab tree_traversal_vocab(int64_t labels) {
  if (labels < 1 || labels > 26)
    throw Error("tree_traversal: labels must lie in [1, 26] (got " + std::to_string(labels) + ")");
  std::vector<std::string> names;
  for (int64_t i = 0; i < labels; ++i) names.push_back(std::string(1, static_cast<char>('a' + i)));
  return make_tree_vocab(names);
}

int64_t listops_value(const Tree& tree) {
  return evaluate(tree, [](int64_t token, std::vector<int64_t>& args) -> int64_t {
    const int64_t value = token - kListOpsFirstValue;
    if (args.empty() && value >= 0 && value < 10) return value;
    if (args.empty() || token < kListOpsMin || token > kListOpsSum)
      bad_node("listops", token, args.size());
    std::sort(args.begin(), args.end());
    const std::size_t n = args.size();
    switch (token) {
      case kListOpsMin:
        return args.front();
      case kListOpsMax:
        return args.back();
      case kListOpsMed:  // int(np.median(args)): values are >= 0, so / rounds down as int() does
        return n % 2 ? args[n / 2] : (args[n / 2 - 1] + args[n / 2]) / 2;
      default: {
        int64_t sum = 0;
        for (int64_t a : args) sum += a;
        return sum % 10;
      }
    }
  });
}

int64_t tree_eval_value(const Tree& tree) {
  return evaluate(tree, [](int64_t token, const std::vector<int64_t>& args) -> int64_t {
    const int64_t value = token - kEvalFirstValue;
    if (args.empty() && value >= 0 && value < 10) return value;
    if (args.empty() || token < kEvalAdd || token > kEvalMul)
      bad_node("tree_eval", token, args.size());
    int64_t acc = args[0];
    for (std::size_t k = 1; k < args.size(); ++k) {
      if (token == kEvalAdd) acc = (acc + args[k]) % 10;
      if (token == kEvalSub) acc = (acc - args[k] + 10) % 10;
      if (token == kEvalMul) acc = (acc * args[k]) % 10;
    }
    return acc;
  });
}

namespace {

// ---- registration: each task's options, with the tree shape's three shared by all ----

using Kind = TaskOption::Kind;

// max_depth, max_args and list_p with a task's defaults; `zero_means` documents a default of 0.
std::vector<TaskOption> shape_options(const char* depth, const char* args, const char* list_p,
                                      const std::string& zero_means = "") {
  const double lo = zero_means.empty() ? 2 : 0;
  return {{"max_depth", Kind::kInteger, depth, "levels of a tree, the root's is 1" + zero_means, lo,
           64},
          {"max_args", Kind::kInteger, args, "most children of a node" + zero_means, lo, 64},
          {"list_p", Kind::kNumber, list_p, "probability that an argument is a sub-tree", 0, 1}};
}

TreeShape shape_of(const TaskSetup& s, int64_t depth_if_0 = 0, int64_t args_if_0 = 0) {
  const int64_t depth = s.integer("max_depth"), args = s.integer("max_args");
  return {depth == 0 ? depth_if_0 : depth, args == 0 ? args_if_0 : args, s.number("list_p")};
}

// A tree task's type with its name, description and kind of targets; the caller adds the rest.
TaskType tree_task_type(std::string name, std::string description, TargetKind targets) {
  TaskType t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.capabilities = [targets](const TaskSetup&) {
    TaskCapabilities c;
    c.targets = targets;
    c.tree_source = true;
    return c;
  };
  return t;
}

TaskType listops_type() {
  TaskType t = tree_task_type(
      "listops", "ListOps (LRA): the value 0-9 of nested MIN/MAX/MED/SM lists", TargetKind::kClass);
  t.options = {{"preset",
                Kind::kText,
                "small",
                "small (max_depth 6, max_args 5) | lra (10, 10; set min_len 500, max_len 2000)",
                0,
                0,
                {"small", "lra"}}};
  for (TaskOption& o : shape_options("0", "0", "0.25", " (0: the preset's)"))
    t.options.push_back(o);
  t.check = [](const TaskSetup& s) {
    for (const char* key : {"max_depth", "max_args"})
      if (s.integer(key) == 1) throw TaskOptionError(key, "must be 0 (the preset's) or at least 2");
  };
  t.make = [](const TaskSetup& s) -> std::unique_ptr<Task> {
    const bool lra = s.text("preset") == "lra";
    return std::make_unique<ValueTreeTask>(
        "listops", shape_of(s, lra ? 10 : 6, lra ? 10 : 5), listops_vocab(),
        lra ? std::pair<int64_t, int64_t>{500, 2000} : std::pair<int64_t, int64_t>{1, 128},
        kListOpsSum - kListOpsMin + 1, listops_value);
  };
  return t;
}

TaskType tree_eval_type() {
  TaskType t = tree_task_type("tree_eval", "the value mod 10 of an arithmetic tree over +, -, *",
                              TargetKind::kClass);
  t.options = shape_options("6", "2", "0.4");
  t.make = [](const TaskSetup& s) -> std::unique_ptr<Task> {
    return std::make_unique<ValueTreeTask>("tree_eval", shape_of(s), tree_eval_vocab(),
                                           std::pair<int64_t, int64_t>{1, 64},
                                           kEvalMul - kEvalAdd + 1, tree_eval_value);
  };
  return t;
}

TaskType tree_traversal_type() {
  TaskType t = tree_task_type("tree_traversal",
                              "output a tree's labels in post-order, given it in pre-order",
                              TargetKind::kSequence);
  t.options = {{"labels", Kind::kInteger, "10", "node labels a, b, ...", 1, 26}};
  for (TaskOption& o : shape_options("6", "3", "0.35")) t.options.push_back(o);
  t.make = [](const TaskSetup& s) -> std::unique_ptr<Task> {
    return std::make_unique<TreeTraversalTask>(shape_of(s), s.integer("labels"));
  };
  return t;
}

}  // namespace

HEED_REGISTER_TASK(listops, listops_type());
HEED_REGISTER_TASK(tree_eval, tree_eval_type());
HEED_REGISTER_TASK(tree_traversal, tree_traversal_type());

std::unique_ptr<TreeTask> make_tree_task(const std::string& name,
                                         const std::map<std::string, std::string>& options) {
  std::unique_ptr<Task> task = make_task(name, options);
  if (!dynamic_cast<TreeTask*>(task.get())) throw Error("task '" + name + "' is not a tree task");
  return std::unique_ptr<TreeTask>(static_cast<TreeTask*>(task.release()));
}

std::vector<TreeExample> generate_trees(const TreeTask& task, uint64_t seed, uint64_t stream,
                                        int64_t first, int64_t count, int64_t min_len,
                                        int64_t max_len) {
  return generate_each(task, seed, stream, first, count, min_len, max_len,
                       [&](Rng& rng) { return task.sample_tree(rng, min_len, max_len); });
}

}  // namespace heed
