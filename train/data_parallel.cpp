#include "train/data_parallel.h"

#include <cstring>
#include <string>

#include "framework/autograd.h"
#include "framework/dist.h"
#include "framework/ops.h"

namespace heed {

BatchShard shard_of(int64_t batch_size, int rank, int size) {
  const int64_t base = batch_size / size, extra = batch_size % size;
  BatchShard s;
  s.global_rows = batch_size;
  s.rows = base + (rank < extra ? 1 : 0);
  s.offset = rank * base + std::min<int64_t>(rank, extra);
  return s;
}

std::vector<Example> shard_examples(const std::vector<Example>& batch, const BatchShard& shard) {
  return {batch.begin() + shard.offset, batch.begin() + shard.offset + shard.rows};
}

ShardLoss shard_backward(TaskModel& model, const std::vector<Example>& batch, float smoothing,
                         int64_t grad_accum) {
  const int64_t rows = static_cast<int64_t>(batch.size());
  if (rows < dist::size())
    throw Error("a batch of " + std::to_string(rows) + " examples cannot be split over " +
                std::to_string(dist::size()) +
                " ranks (train.batch_size must be at least the "
                "number of ranks)");
  const BatchShard shard = shard_of(rows, dist::rank(), dist::size());
  const BatchShardScope draws(shard);
  const WholeBatchScope padding(batch);
  int64_t tokens = 0;
  Tensor loss = model.loss(shard_examples(batch, shard), smoothing, &tokens);
  double global_tokens = static_cast<double>(tokens);
  dist::allreduce_sum(&global_tokens, 1);
  const double weight =
      static_cast<double>(tokens) / global_tokens / static_cast<double>(grad_accum);
  mul(loss, static_cast<float>(weight)).backward();
  return {loss.item() * weight, static_cast<int64_t>(global_tokens)};
}

namespace {

// Floats per allreduce: large enough to amortize a call, small enough to keep one bucket's copy
// in cache (4 MiB).
constexpr int64_t kBucketFloats = int64_t{1} << 20;

}  // namespace

void allreduce_gradients(const NamedTensors& params, std::vector<double>& extra) {
  NoGradGuard no_grad;
  // Which gradients exist anywhere, and the extras, in one small sum first.
  std::vector<double> head(params.size() + extra.size());
  for (std::size_t i = 0; i < params.size(); ++i) head[i] = params[i].second.grad().defined();
  std::copy(extra.begin(), extra.end(), head.begin() + static_cast<std::ptrdiff_t>(params.size()));
  dist::allreduce_sum(head.data(), static_cast<int64_t>(head.size()));
  std::copy(head.begin() + static_cast<std::ptrdiff_t>(params.size()), head.end(), extra.begin());
  // The gradients, packed into buckets of whole tensors in the parameters' order.
  std::vector<float> bucket;
  std::vector<std::size_t> in_bucket;  // indices into params
  auto flush = [&] {
    dist::allreduce_sum(bucket.data(), static_cast<int64_t>(bucket.size()));
    std::size_t at = 0;
    for (std::size_t i : in_bucket) {
      Tensor p = params[i].second;
      const Tensor g = p.grad();
      const int64_t n = p.numel();
      if (g.defined() && g.is_contiguous()) {  // backward's own buffer: summed in place
        std::memcpy(g.data<float>(), bucket.data() + at, sizeof(float) * n);
      } else {
        p.set_grad(Tensor::from_vector(
            std::vector<float>(bucket.begin() + at, bucket.begin() + at + n), p.shape()));
      }
      at += static_cast<std::size_t>(n);
    }
    bucket.clear();
    in_bucket.clear();
  };
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (head[i] == 0) continue;
    const Tensor& p = params[i].second;
    const Tensor g = p.grad();
    if (!g.defined()) {
      bucket.resize(bucket.size() + static_cast<std::size_t>(p.numel()), 0.0f);
    } else {
      const Tensor gc = g.contiguous();
      bucket.insert(bucket.end(), gc.data<float>(), gc.data<float>() + gc.numel());
    }
    in_bucket.push_back(i);
    if (static_cast<int64_t>(bucket.size()) >= kBucketFloats) flush();
  }
  if (!bucket.empty()) flush();
}

uint64_t parameter_checksum(const NamedTensors& params) {
  uint64_t h = global_rng().offset;  // the dropout draws so far must agree too
  for (const auto& [name, p] : params) {
    const Tensor c = p.contiguous();
    const auto* bits = reinterpret_cast<const uint32_t*>(c.data<float>());
    for (int64_t i = 0; i < c.numel(); ++i) h = mix64(h, bits[i]);
  }
  return h;
}

void check_ranks_agree(const NamedTensors& params, int64_t step) {
  if (dist::size() == 1) return;
  if (!dist::same_everywhere(parameter_checksum(params)))
    throw Error("the ranks' parameters differ at step " + std::to_string(step) +
                " (data-parallel training lost sync; the last checkpoint is kept)");
}

}  // namespace heed
