// The order in which training batches visit a fixed set of examples, epoch after epoch.
//
// Each epoch shuffles the examples with a generator seeded by (seed, epoch); with bucketing it
// then sorts them by length (the shuffle only breaks ties), cuts them into batches of similar
// length, which pad little, and shuffles the order of those batches. Batch k is therefore a pure
// function of (seed, k): a resumed run draws the batches an uninterrupted one would have.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "datasets/batch.h"

namespace heed {

class BatchPlan {
 public:
  // keys[i]: example i's length key (examples with equal keys pad alike); batch_size >= 1.
  BatchPlan(std::vector<int64_t> keys, int64_t batch_size, bool bucketing);

  // Indices of the examples of batch k (k >= 0). Every epoch covers each example once, in
  // ceil(N / batch_size) batches; one of them holds the N % batch_size left over.
  std::vector<int64_t> batch(uint64_t seed, int64_t k) const;
  int64_t batches_per_epoch() const { return batches_; }
  int64_t batch_size() const { return batch_size_; }

 private:
  void layout(uint64_t seed, int64_t epoch) const;  // fills the cache below

  std::vector<int64_t> keys_;
  int64_t batch_size_, batches_;
  bool bucketing_;
  // The last epoch laid out (batches are drawn in order, so one epoch is enough). Not
  // thread-safe: a BatchPlan belongs to one training loop.
  mutable int64_t epoch_ = -1;
  mutable uint64_t seed_ = 0;
  mutable std::vector<int64_t> order_, chunks_;
};

// Batch k of a file task's `examples` (seed, k as in BatchPlan::batch), with the plan built at
// the first call and kept in `plan`; a plan's length key is the source length, then the target's
// (both pad a batch). Throws heed::Error when there are no examples.
std::vector<Example> planned_batch(std::optional<BatchPlan>& plan,
                                   const std::vector<Example>& examples, uint64_t seed, int64_t k,
                                   int64_t batch_size, bool bucketing);

}  // namespace heed
