// A task: where examples come from, made by name through datasets/task_registry.h. Generated
// tasks draw from a seed: an example depends only on (seed, index), so batch k of a run is the
// same after a resume, and evaluation data comes from a stream disjoint from training's.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "datasets/batch.h"
#include "framework/random.h"

namespace heed {

class WordVocab;

// What a task's targets are: a token sequence to decode, or one class (a label) an example.
enum class TargetKind { kClass, kSequence };

class Task {
 public:
  virtual ~Task() = default;
  // One example whose source length lies in [min_len, max_len], drawn from `rng`.
  virtual Example sample(Rng& rng, int64_t min_len, int64_t max_len) const = 0;
  // Token ids used: targets and sources are < vocab().
  virtual int64_t vocab() const = 0;
  // Longest target for a source of length n (for decoding limits).
  virtual int64_t max_target_len(int64_t source_len) const = 0;
  const std::string& name() const { return name_; }

  // Training batch k (k counts micro-batches from the start of the run): a function of
  // (seed, k) only, so a resumed run draws what an uninterrupted one would. Generated tasks:
  // examples [k·batch_size, (k+1)·batch_size) of stream 0.
  virtual std::vector<Example> train_batch(uint64_t seed, int64_t k, int64_t batch_size,
                                           int64_t min_len, int64_t max_len) const;
  // The held-out examples the trainer and `heed eval` score: `count` fresh ones from stream 1
  // for generated tasks; the validation file, in order, for file tasks.
  virtual std::vector<Example> eval_examples(uint64_t seed, int64_t count, int64_t min_len,
                                             int64_t max_len) const;
  // Words for token ids, for tasks read from text; nullptr when tokens are their ids.
  virtual const WordVocab* vocabulary() const { return nullptr; }
  // Whether the examples come from files (task `file`) rather than a generator: such a task
  // cannot make a test stream or examples of a given length.
  virtual bool reads_files() const { return false; }
  // The examples of another file in this task's format and vocabulary (`heed eval --data`).
  // Throws heed::Error for a task that cannot read one (copy, reverse, sort, addition).
  virtual std::vector<Example> read_examples(const std::string& path) const;
  // What a checkpoint must carry to rebuild this task without its data files (key -> text).
  virtual std::map<std::string, std::string> metadata() const { return {}; }

 protected:
  explicit Task(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// The stream of `heed eval --test`: a test set disjoint from training (0), validation (1) and
// the length-generalization streams (2 + length, length <= 65536).
inline constexpr uint64_t kTestStream = 1ull << 32;

// Throws unless 1 <= min_len <= max_len.
void check_lengths(const Task& task, int64_t min_len, int64_t max_len);

// `count` examples for stream `stream` (0 = training, 1 = evaluation, ...) starting at index
// `first`: example i uses Rng(mix64(seed, stream), i · 2^20), so any slice can be regenerated.
std::vector<Example> generate(const Task& task, uint64_t seed, uint64_t stream, int64_t first,
                              int64_t count, int64_t min_len, int64_t max_len);

// generate()'s indexing with the draw left open: example i is draw(rng) with that Rng. Lengths
// outside 1 <= min_len <= max_len are refused, naming `task`.
template <typename Draw>
auto generate_each(const Task& task, uint64_t seed, uint64_t stream, int64_t first, int64_t count,
                   int64_t min_len, int64_t max_len, Draw draw) {
  check_lengths(task, min_len, max_len);
  std::vector<std::invoke_result_t<Draw&, Rng&>> out;
  out.reserve(count);
  const uint64_t stream_seed = mix64(seed, stream);
  for (int64_t i = first; i < first + count; ++i) {
    Rng rng(stream_seed, static_cast<uint64_t>(i) << 20);
    out.push_back(draw(rng));
  }
  return out;
}

}  // namespace heed
