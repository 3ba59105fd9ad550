// The worked example of docs/adding-a-task.md, registered in the train tests only: the target
// is the source said `times` times over. The guide shows this file; a test keeps them equal.
#include "datasets/task_registry.h"

namespace heed {
namespace {

class RepeatTask : public Task {
 public:
  RepeatTask(int64_t symbols, int64_t times)
      : Task("repeat"), vocab_(kFirstDataToken + symbols), times_(times) {}

  // A source of min_len..max_len random data tokens; the target repeats it `times` times.
  Example sample(Rng& rng, int64_t min_len, int64_t max_len) const override {
    Example e;
    const int64_t n = rng.randint(min_len, max_len + 1);
    for (int64_t i = 0; i < n; ++i) e.source.push_back(rng.randint(kFirstDataToken, vocab_));
    for (int64_t t = 0; t < times_; ++t)
      e.target.insert(e.target.end(), e.source.begin(), e.source.end());
    return e;
  }
  int64_t vocab() const override { return vocab_; }
  int64_t max_target_len(int64_t source_len) const override { return times_ * source_len; }

 private:
  int64_t vocab_, times_;
};

TaskType repeat_task() {
  using Kind = TaskOption::Kind;
  TaskType t;
  t.name = "repeat";
  t.description = "output the source `times` times over";
  t.options = {{"symbols", Kind::kInteger, "10", "distinct data tokens", 1, 1000},
               {"times", Kind::kInteger, "2", "how often the target says the source", 1, 8}};
  // Generated (any length), sequence targets, no trees: the defaults.
  t.capabilities = [](const TaskSetup&) { return TaskCapabilities{}; };
  t.check = [](const TaskSetup& s) {
    if (s.integer("times") * s.max_len > 1024)
      throw TaskOptionError("times", "times * task.max_len must stay within 1024");
  };
  t.make = [](const TaskSetup& s) -> std::unique_ptr<Task> {
    return std::make_unique<RepeatTask>(s.integer("symbols"), s.integer("times"));
  };
  return t;
}

}  // namespace

HEED_REGISTER_TASK(repeat, repeat_task());

}  // namespace heed
