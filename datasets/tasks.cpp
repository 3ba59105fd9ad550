#include "datasets/tasks.h"

namespace heed {

std::vector<Example> Task::read_examples(const std::string&) const {
  throw Error("task '" + name() + "' generates its examples; it reads no files of examples");
}

std::vector<Example> Task::train_batch(uint64_t seed, int64_t k, int64_t batch_size,
                                       int64_t min_len, int64_t max_len) const {
  return generate(*this, seed, 0, k * batch_size, batch_size, min_len, max_len);
}

std::vector<Example> Task::eval_examples(uint64_t seed, int64_t count, int64_t min_len,
                                         int64_t max_len) const {
  return generate(*this, seed, 1, 0, count, min_len, max_len);
}

void check_lengths(const Task& task, int64_t min_len, int64_t max_len) {
  if (min_len < 1 || max_len < min_len)
    throw Error("task '" + task.name() + "': lengths must satisfy 1 <= min_len <= max_len (got " +
                std::to_string(min_len) + ", " + std::to_string(max_len) + ")");
}

std::vector<Example> generate(const Task& task, uint64_t seed, uint64_t stream, int64_t first,
                              int64_t count, int64_t min_len, int64_t max_len) {
  return generate_each(task, seed, stream, first, count, min_len, max_len,
                       [&](Rng& rng) { return task.sample(rng, min_len, max_len); });
}

}  // namespace heed
