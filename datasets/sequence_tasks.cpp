// copy, reverse and sort: uniform random data tokens, and the target the same tokens unchanged,
// reversed or in ascending order.
#include <algorithm>

#include "datasets/task_registry.h"

namespace heed {
namespace {

using Order = void (*)(std::vector<int64_t>&);

class SequenceTask : public Task {
 public:
  SequenceTask(std::string name, Order order, int64_t vocab)
      : Task(std::move(name)), order_(order), vocab_(vocab) {}
  Example sample(Rng& rng, int64_t min_len, int64_t max_len) const override {
    Example e;
    const int64_t n = rng.randint(min_len, max_len + 1);
    for (int64_t i = 0; i < n; ++i) e.source.push_back(rng.randint(kFirstDataToken, vocab_));
    e.target = e.source;
    order_(e.target);
    return e;
  }
  int64_t vocab() const override { return vocab_; }
  int64_t max_target_len(int64_t n) const override { return n; }

 private:
  Order order_;
  int64_t vocab_;
};

TaskType sequence_task(const char* name, const char* description, Order order) {
  TaskType t;
  t.name = name;
  t.description = description;
  t.options = {{"vocab", TaskOption::Kind::kInteger, "16",
                "vocabulary size incl. pad/bos/eos (data tokens are 3..vocab-1)",
                kFirstDataToken + 1, 1 << 20}};
  t.capabilities = [](const TaskSetup&) { return TaskCapabilities{}; };
  t.make = [name, order](const TaskSetup& s) -> std::unique_ptr<Task> {
    return std::make_unique<SequenceTask>(name, order, s.integer("vocab"));
  };
  return t;
}

}  // namespace

HEED_REGISTER_TASK(copy, sequence_task("copy", "output the source sequence unchanged",
                                       [](std::vector<int64_t>&) {}));
HEED_REGISTER_TASK(reverse, sequence_task("reverse", "output the source sequence reversed",
                                          [](std::vector<int64_t>& t) {
                                            std::reverse(t.begin(), t.end());
                                          }));
HEED_REGISTER_TASK(sort,
                   sequence_task("sort", "output the source tokens in ascending order",
                                 [](std::vector<int64_t>& t) { std::sort(t.begin(), t.end()); }));

}  // namespace heed
