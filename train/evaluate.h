// Evaluation on held-out examples: teacher-forced loss, and greedy decoding scored by token and
// exact-sequence accuracy.
#pragma once

#include <vector>

#include "datasets/tasks.h"
#include "train/task_model.h"

namespace heed {

struct EvalResult {
  double loss = 0;           // mean cross-entropy per target token (EOS included)
  double token_acc = 0;      // target positions predicted right / target positions
  double exact_seq_acc = 0;  // outputs equal to the target and ending with EOS / examples
  int64_t examples = 0;
};

EvalResult evaluate(TaskModel& model, const Task& task, const std::vector<Example>& examples,
                    int64_t batch_size);

}  // namespace heed
