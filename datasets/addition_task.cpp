// a + b with both numbers' digits little-endian (least significant first), separated by '+'.
// The source length counts digits of the longer operand: min_len..max_len digits each. Tokens:
// digits 3..12, '+' 13 (vocabulary 14).
#include <algorithm>

#include "datasets/task_registry.h"

namespace heed {
namespace {

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

TaskType addition_task() {
  TaskType t;
  t.name = "addition";
  t.description =
      "add two numbers given as little-endian digit sequences separated by '+'; lengths count each "
      "number's digits";
  t.capabilities = [](const TaskSetup&) { return TaskCapabilities{}; };
  t.make = [](const TaskSetup&) -> std::unique_ptr<Task> {
    return std::make_unique<AdditionTask>();
  };
  return t;
}

}  // namespace

HEED_REGISTER_TASK(addition, addition_task());

}  // namespace heed
