#include "datasets/tree_file_task.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "datasets/text_lines.h"
#include "framework/tensor.h"

namespace heed {
namespace {

constexpr int64_t kUnknown = TreeFileTask::kTreeUnknown;

// The reserved ids, the brackets, <unk>: what every tree file vocabulary starts with.
TreeVocab base_vocab() {
  TreeVocab v;
  v.add("[");
  v.add("]");
  v.add("<unk>");
  return v;
}

// Why `name` cannot be an atom of a vocabulary file ("" when it can).
std::string atom_problem(const std::string& name) {
  if (name.empty()) return "an empty line (one atom a line)";
  for (unsigned char c : name)
    if (c <= 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '[' || c == ']')
      return "'" + name + "' is not an atom (printable ASCII without spaces or brackets)";
  if (base_vocab().find(name) >= 0) return "'" + name + "' is reserved";
  return "";
}

// A vocabulary or label list carried as one name a line; errors "source:line: what".
std::vector<std::string> read_names(const std::vector<TextLine>& lines, const std::string& source,
                                    bool atoms) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const TextLine& l : lines) {
    const std::string problem = atoms ? atom_problem(l.text) : "";
    if (!problem.empty()) throw Error(source + ":" + std::to_string(l.number) + ": " + problem);
    if (!seen.insert(l.text).second)
      throw Error(source + ":" + std::to_string(l.number) + ": duplicate '" + l.text + "'");
    names.push_back(l.text);
  }
  return names;
}

std::vector<TextLine> split_lines(const std::string& text) {
  std::vector<TextLine> lines;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back({text.substr(start, end - start), static_cast<int64_t>(lines.size()) + 1});
    start = end + 1;
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += n + "\n";
  return out;
}

TreeVocab vocab_of(const std::vector<std::string>& atoms) {
  TreeVocab v = base_vocab();
  for (const std::string& a : atoms) v.add(a);
  return v;
}

std::string where(const std::string& file, const TreeExample& e) {
  return file + ":" + std::to_string(e.line);
}

}  // namespace

TreeFileTask::TreeFileTask(FileTaskSpec spec, TargetKind kind, TreeVocab vocab,
                           std::vector<std::string> labels, std::vector<Example> train,
                           int64_t longest_target)
    : TreeTask("file"),
      files_(std::move(spec), std::move(train)),
      kind_(kind),
      vocab_(std::move(vocab)),
      labels_(std::move(labels)),
      longest_target_(longest_target) {}

TreeExample TreeFileTask::sample_tree(Rng&, int64_t, int64_t) const {
  throw Error("task 'file' reads its trees from files; it cannot generate any");
}

int64_t TreeFileTask::max_target_len(int64_t source_len) const {
  return kind_ == TargetKind::kClass ? 1 : longest_target_ + source_len;
}

std::string TreeFileTask::class_name(int64_t c) const {
  if (c < 0 || c >= num_classes())
    throw Error("task 'file': class " + std::to_string(c) + " outside [0, " +
                std::to_string(num_classes()) + ")");
  return labels_[static_cast<std::size_t>(c)];
}

std::vector<Example> TreeFileTask::train_batch(uint64_t seed, int64_t k, int64_t batch_size,
                                               int64_t, int64_t) const {
  return files_.batch(seed, k, batch_size);
}

std::vector<Example> TreeFileTask::eval_examples(uint64_t, int64_t count, int64_t, int64_t) const {
  return files_.eval(count, [this](const std::string& path) { return read_examples(path); });
}

std::map<std::string, std::string> TreeFileTask::metadata() const {
  std::vector<std::string> atoms;
  for (int64_t id = kUnknown + 1; id < vocab_.size(); ++id) atoms.push_back(vocab_.name(id));
  return {{"task.vocab", join_lines(atoms)},
          {"task.labels", join_lines(labels_)},
          {"task.target", kind_ == TargetKind::kClass ? "class" : "sequence"},
          {"task.longest_target", std::to_string(longest_target_)}};
}

std::unique_ptr<TreeFileTask> load_tree_file_task(const FileTaskSpec& spec, TargetKind kind) {
  if (spec.train.empty()) throw Error("task 'file': task.train names no file");
  const bool fixed_vocab = !spec.vocab_file.empty();
  TreeVocab vocab =
      fixed_vocab
          ? vocab_of(read_names(read_text_lines(spec.vocab_file), spec.vocab_file, /*atoms=*/true))
          : base_vocab();
  SexprOptions options;
  options.add_unknown = !fixed_vocab;
  options.unknown_id = kUnknown;
  const bool classes = kind == TargetKind::kClass;
  TreeVocab seen_labels;
  std::vector<TreeExample> trees =
      load_tree_file(spec.train, vocab, options, classes ? &seen_labels : nullptr);
  check_no_reserved(trees, spec.train, !classes);

  std::vector<std::string> labels;
  int64_t longest_target = 0;
  for (const TreeExample& e : trees) {
    const int64_t n = flat_length(e.tree, Brackets::kBoth);
    if (n < spec.min_len || n > spec.max_len)
      throw Error(where(spec.train, e) + ": tree of " + std::to_string(n) +
                  " flat tokens is outside task.min_len..task.max_len = " +
                  std::to_string(spec.min_len) + ".." + std::to_string(spec.max_len));
    if (classes && e.target.size() != 1)
      throw Error(where(spec.train, e) + ": a class target is one atom (this one has " +
                  std::to_string(e.target.size()) + "; use task.target sequence for more)");
    if (classes && e.target[0] < kFirstDataToken)
      throw Error(where(spec.train, e) + ": '" + seen_labels.name(e.target[0]) +
                  "' is a reserved token");
    longest_target = std::max<int64_t>(longest_target, e.target.size());
  }
  if (classes) {  // classes sorted by name, so class ids do not depend on the file's order
    for (int64_t id = kFirstDataToken; id < seen_labels.size(); ++id)
      labels.push_back(seen_labels.name(id));
    std::sort(labels.begin(), labels.end());
    if (labels.size() < 2)
      throw Error(spec.train + ": every target is '" + labels.at(0) +
                  "'; classification needs at least two classes");
    for (TreeExample& e : trees) {
      const std::string& name = seen_labels.name(e.target[0]);
      e.target[0] = std::lower_bound(labels.begin(), labels.end(), name) - labels.begin();
    }
  }
  std::vector<Example> train;
  train.reserve(trees.size());
  for (const TreeExample& e : trees) train.push_back({flatten(e.tree, Brackets::kBoth), e.target});
  auto task = std::make_unique<TreeFileTask>(spec, kind, std::move(vocab), std::move(labels),
                                             std::move(train), longest_target);
  if (!spec.valid.empty()) task->eval_examples(0, 0, 0, 0);  // read now: errors before training
  return task;
}

std::unique_ptr<TreeFileTask> tree_file_task_from_metadata(
    const FileTaskSpec& spec, const std::map<std::string, std::string>& meta,
    const std::string& source) {
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = meta.find(key);
    if (it == meta.end())
      throw Error(source + ": no '" + key + "' in its metadata (not a checkpoint of a tree file " +
                  "task)");
    return it->second;
  };
  const std::string& target = get("task.target");
  if (target != "class" && target != "sequence")
    throw Error(source + ": 'task.target' is '" + target + "', not class or sequence");
  const TargetKind kind = target == "class" ? TargetKind::kClass : TargetKind::kSequence;
  int64_t longest_target = 0;
  try {
    longest_target = std::stoll(get("task.longest_target"));
  } catch (const std::invalid_argument&) {
    throw Error(source + ": 'task.longest_target' is not a number");
  } catch (const std::out_of_range&) {
    throw Error(source + ": 'task.longest_target' is out of range");
  }
  TreeVocab vocab =
      vocab_of(read_names(split_lines(get("task.vocab")), source + " task.vocab", true));
  std::vector<std::string> labels =
      read_names(split_lines(get("task.labels")), source + " task.labels", false);
  if (kind == TargetKind::kClass && labels.size() < 2)
    throw Error(source + ": 'task.labels' has fewer than two classes");
  return std::make_unique<TreeFileTask>(spec, kind, std::move(vocab), std::move(labels),
                                        std::vector<Example>{}, longest_target);
}

}  // namespace heed
