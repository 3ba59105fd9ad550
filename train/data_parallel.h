// Data-parallel training over the processes of an MPI job (framework/dist.h,
// docs/distributed.md). Every rank draws the same global batch and trains its shard of it: a
// contiguous block of rows, the sizes differing by at most one. A shard is padded as the whole
// batch (datasets/batch.h) and draws its rows' dropout masks from the whole batch's counters
// (framework/random.h), the loss and gradients are normalised by the global token count and the
// gradients summed over the ranks, so N ranks compute what one process computes, up to the order
// of floating-point sums, and every rank keeps identical parameters.
#pragma once

#include <cstdint>
#include <vector>

#include "datasets/batch.h"
#include "framework/named_tensors.h"
#include "framework/random.h"
#include "train/task_model.h"

namespace heed {

// This rank's rows of a batch of `batch_size` examples.
BatchShard shard_of(int64_t batch_size, int rank, int size);
std::vector<Example> shard_examples(const std::vector<Example>& batch, const BatchShard& shard);

// The forward and backward of this rank's shard of one micro-batch (`batch`, the whole of it),
// the loss weighted by the shard's share of the global target tokens and by 1/grad_accum, so
// that the ranks' gradients sum to the single-process ones. Returns this rank's part of the
// step's loss (the parts sum to the global mean) and the micro-batch's global token count.
struct ShardLoss {
  double loss_part = 0;
  int64_t global_tokens = 0;
};
ShardLoss shard_backward(TaskModel& model, const std::vector<Example>& batch, float smoothing,
                         int64_t grad_accum);

// Sums every parameter's gradient over the ranks, in flat buckets, together with `extra` (say,
// the loss and a stop flag). A gradient no rank computed stays undefined, as in one process.
void allreduce_gradients(const NamedTensors& params, std::vector<double>& extra);

// A hash of every parameter's bits and of the dropout generator's offset: equal on all ranks
// while they agree.
uint64_t parameter_checksum(const NamedTensors& params);
// Throws heed::Error naming `step` when the ranks' parameters differ.
void check_ranks_agree(const NamedTensors& params, int64_t step);

}  // namespace heed
