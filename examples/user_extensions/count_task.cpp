// A task of the user's own, registered from this project's file as heed registers its own
// (datasets/task_registry.h, docs/adding-a-task.md): the source is a string over `kinds`
// symbols; the target is one token, how often the first symbol occurs.
#include "datasets/task_registry.h"

namespace {

using namespace heed;

class CountTask : public Task {
 public:
  CountTask(int64_t kinds, int64_t max_len) : Task("count"), kinds_(kinds), max_len_(max_len) {}
  Example sample(Rng& rng, int64_t min_len, int64_t max_len) const override {
    Example e;
    int64_t count = 0;
    for (int64_t i = rng.randint(min_len, max_len + 1); i > 0; --i) {
      e.source.push_back(kFirstDataToken + rng.randint(0, kinds_));
      count += e.source.back() == kFirstDataToken;
    }
    e.target = {kFirstDataToken + kinds_ + count};  // counts follow the symbols
    return e;
  }
  int64_t vocab() const override { return kFirstDataToken + kinds_ + max_len_ + 1; }
  int64_t max_target_len(int64_t) const override { return 1; }

 private:
  int64_t kinds_, max_len_;
};

TaskType count_task() {
  TaskType t;
  t.name = "count";
  t.description = "how often the first symbol occurs in the source, as one token";
  t.options = {{"kinds", TaskOption::Kind::kInteger, "2", "distinct symbols", 1, 26}};
  t.capabilities = [](const TaskSetup&) { return TaskCapabilities{}; };
  t.make = [](const TaskSetup& s) -> std::unique_ptr<Task> {
    return std::make_unique<CountTask>(s.integer("kinds"), s.max_len);
  };
  return t;
}

}  // namespace

HEED_REGISTER_TASK(count, count_task());
