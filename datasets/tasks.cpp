#include "datasets/tasks.h"

#include <algorithm>

#include "framework/text.h"

namespace heed {
namespace {

// copy, reverse and sort share the source distribution: uniform data tokens.
class SequenceTask : public Task {
 public:
  enum class Kind { kCopy, kReverse, kSort };
  SequenceTask(std::string name, Kind kind, int64_t vocab)
      : Task(std::move(name)), kind_(kind), vocab_(vocab) {}
  Example sample(Rng& rng, int64_t min_len, int64_t max_len) const override {
    Example e;
    const int64_t n = rng.randint(min_len, max_len + 1);
    for (int64_t i = 0; i < n; ++i) e.source.push_back(rng.randint(kFirstDataToken, vocab_));
    e.target = e.source;
    if (kind_ == Kind::kReverse) std::reverse(e.target.begin(), e.target.end());
    if (kind_ == Kind::kSort) std::sort(e.target.begin(), e.target.end());
    return e;
  }
  int64_t vocab() const override { return vocab_; }
  int64_t max_target_len(int64_t n) const override { return n; }

 private:
  Kind kind_;
  int64_t vocab_;
};

// a + b with both numbers' digits little-endian (least significant first), separated by '+'.
// The source length counts digits of the longer operand: min_len..max_len digits each.
class AdditionTask : public Task {
 public:
  static constexpr int64_t kPlus = kFirstDataToken + 10;
  AdditionTask() : Task("addition") {}
  Example sample(Rng& rng, int64_t min_len, int64_t max_len) const override {
    auto number = [&] {
      std::vector<int64_t> digits(rng.randint(min_len, max_len + 1));
      for (auto& d : digits) d = rng.randint(0, 10);
      return digits;
    };
    std::vector<int64_t> a = number(), b = number();
    Example e;
    for (int64_t d : a) e.source.push_back(kFirstDataToken + d);
    e.source.push_back(kPlus);
    for (int64_t d : b) e.source.push_back(kFirstDataToken + d);
    int64_t carry = 0;
    for (std::size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
      int64_t s = carry + (i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0);
      e.target.push_back(kFirstDataToken + s % 10);
      carry = s / 10;
    }
    return e;
  }
  int64_t vocab() const override { return kPlus + 1; }
  int64_t max_target_len(int64_t n) const override { return n + 1; }
};

}  // namespace

std::vector<TaskInfo> task_list() {
  return {{"addition", "add two numbers given as little-endian digit sequences separated by '+'"},
          {"copy", "output the source sequence unchanged"},
          {"file", "examples read from task.train / task.valid, one 'source<TAB>target' a line"},
          {"reverse", "output the source sequence reversed"},
          {"sort", "output the source tokens in ascending order"}};
}

std::unique_ptr<Task> make_task(const std::string& name, const Options& options) {
  Options o = options;
  o.set_owner("task '" + name + "'");
  std::unique_ptr<Task> task;
  if (name == "copy" || name == "reverse" || name == "sort") {
    const int64_t vocab = o.get_int("vocab", 16, kFirstDataToken + 1, 1 << 20);
    auto kind = name == "copy"      ? SequenceTask::Kind::kCopy
                : name == "reverse" ? SequenceTask::Kind::kReverse
                                    : SequenceTask::Kind::kSort;
    task = std::make_unique<SequenceTask>(name, kind, vocab);
  } else if (name == "addition") {
    task = std::make_unique<AdditionTask>();
  } else if (name == "file") {
    throw Error("task 'file' reads files: make it with make_file_task (datasets/file_task.h)");
  } else {
    std::vector<std::string> names;
    for (const TaskInfo& t : task_list()) names.push_back(t.name);
    throw Error("unknown task '" + name + "' (known: " + join(names) + ")");
  }
  o.check_all_used();
  return task;
}

std::vector<Example> Task::read_examples(const std::string&) const {
  throw Error("task '" + name() + "' generates its examples; only task 'file' and the tree " +
              "tasks read files of examples");
}

std::vector<Example> Task::train_batch(uint64_t seed, int64_t k, int64_t batch_size,
                                       int64_t min_len, int64_t max_len) const {
  return generate(*this, seed, 0, k * batch_size, batch_size, min_len, max_len);
}

std::vector<Example> Task::eval_examples(uint64_t seed, int64_t count, int64_t min_len,
                                         int64_t max_len) const {
  return generate(*this, seed, 1, 0, count, min_len, max_len);
}

std::vector<Example> generate(const Task& task, uint64_t seed, uint64_t stream, int64_t first,
                              int64_t count, int64_t min_len, int64_t max_len) {
  if (min_len < 1 || max_len < min_len)
    throw Error("task '" + task.name() + "': lengths must satisfy 1 <= min_len <= max_len (got " +
                std::to_string(min_len) + ", " + std::to_string(max_len) + ")");
  std::vector<Example> out;
  out.reserve(count);
  const uint64_t stream_seed = mix64(seed, stream);
  for (int64_t i = first; i < first + count; ++i) {
    Rng rng(stream_seed, static_cast<uint64_t>(i) << 20);
    out.push_back(task.sample(rng, min_len, max_len));
  }
  return out;
}

}  // namespace heed
