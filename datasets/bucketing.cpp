#include "datasets/bucketing.h"

#include <algorithm>
#include <numeric>

#include "framework/random.h"
#include "framework/tensor.h"

namespace heed {
namespace {

template <class T>
void shuffle(std::vector<T>& v, Rng& rng) {  // Fisher-Yates on heed's counter-based generator
  for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i)
    std::swap(v[i], v[rng.randint(0, i + 1)]);
}

}  // namespace

BatchPlan::BatchPlan(std::vector<int64_t> keys, int64_t batch_size, bool bucketing)
    : keys_(std::move(keys)), batch_size_(batch_size), bucketing_(bucketing) {
  if (keys_.empty()) throw Error("BatchPlan: no examples");
  if (batch_size_ < 1) throw Error("BatchPlan: batch_size must be at least 1");
  const int64_t n = static_cast<int64_t>(keys_.size());
  batches_ = (n + batch_size_ - 1) / batch_size_;
}

void BatchPlan::layout(uint64_t seed, int64_t epoch) const {
  if (epoch == epoch_ && seed == seed_) return;
  Rng rng(mix64(mix64(seed, 0xb0c4e7u), static_cast<uint64_t>(epoch)));
  order_.resize(keys_.size());
  std::iota(order_.begin(), order_.end(), 0);
  shuffle(order_, rng);
  if (bucketing_)
    std::stable_sort(order_.begin(), order_.end(),
                     [&](int64_t a, int64_t b) { return keys_[a] < keys_[b]; });
  chunks_.resize(batches_);
  std::iota(chunks_.begin(), chunks_.end(), 0);
  shuffle(chunks_, rng);
  epoch_ = epoch;
  seed_ = seed;
}

std::vector<int64_t> BatchPlan::batch(uint64_t seed, int64_t k) const {
  if (k < 0) throw Error("BatchPlan: negative batch index");
  layout(seed, k / batches_);
  const int64_t first = chunks_[k % batches_] * batch_size_;
  const int64_t last = std::min<int64_t>(first + batch_size_, static_cast<int64_t>(keys_.size()));
  return std::vector<int64_t>(order_.begin() + first, order_.begin() + last);
}

std::vector<Example> planned_batch(std::optional<BatchPlan>& plan,
                                   const std::vector<Example>& examples, uint64_t seed, int64_t k,
                                   int64_t batch_size, bool bucketing) {
  if (examples.empty()) throw Error("task 'file': no training examples loaded");
  if (!plan || plan->batch_size() != batch_size) {
    std::vector<int64_t> keys;
    for (const Example& e : examples)
      keys.push_back(static_cast<int64_t>(e.source.size()) << 32 |
                     static_cast<int64_t>(e.target.size()));
    plan.emplace(std::move(keys), batch_size, bucketing);
  }
  std::vector<Example> batch;
  for (int64_t i : plan->batch(seed, k)) batch.push_back(examples[i]);
  return batch;
}

}  // namespace heed
