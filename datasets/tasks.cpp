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
