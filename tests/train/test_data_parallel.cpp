// Data parallelism without MPI (train/data_parallel.h): the shards of a batch, each padded as the
// whole batch (WholeBatchScope) and drawing its rows' dropout from the whole batch's counters
// (BatchShardScope), weighted by their share of the target tokens, sum to the gradients of the
// whole batch in one process, for every model type, dropout on. This is what each rank of
// `mpirun heed train` computes; tests/tools/mpi_training.sh checks the real thing end to end.
#include <gtest/gtest.h>

#include <cmath>

#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/random.h"
#include "models/step_model.h"  // EvalModeScope
#include "train/config.h"
#include "train/data_parallel.h"
#include "train/task_model.h"
#include "train/task_state.h"

namespace heed {
namespace {

struct Result {
  double loss = 0;
  std::vector<std::vector<float>> grads;
  uint64_t rng_offset = 0;  // the dropout generator after the batch
};

// The whole batch's loss and gradients, computed in one pass (ranks 1) or as `ranks` shards.
Result whole_or_sharded(const std::string& yaml, int ranks) {
  const Config c = parse_config(yaml, "test");
  const std::unique_ptr<Task> task = make_config_task(c);
  seed_init(c.seed);
  const std::unique_ptr<TaskModel> model = make_task_model(c, *task);
  const std::vector<Example> batch =
      task->train_batch(c.seed, 3, c.train.batch_size, c.task.min_len, c.task.max_len);
  int64_t global_tokens = 0;
  {  // the token count, in eval mode: no dropout draw
    EvalModeScope eval(model->module());
    NoGradGuard no_grad;
    model->loss(batch, 0.0f, &global_tokens);
  }
  model->module().train();
  manual_seed(77);
  const RngState start = global_rng();
  Result r;
  if (ranks == 1) {
    int64_t tokens = 0;
    Tensor loss = model->loss(batch, 0.1f, &tokens);
    loss.backward();
    r.loss = loss.item();
  } else {
    for (int rank = 0; rank < ranks; ++rank) {
      global_rng() = start;  // every rank starts the step from the same generator state
      const BatchShard shard = shard_of(static_cast<int64_t>(batch.size()), rank, ranks);
      const BatchShardScope draws(shard);
      const WholeBatchScope padding(batch);
      int64_t tokens = 0;
      Tensor loss = model->loss(shard_examples(batch, shard), 0.1f, &tokens);
      const float weight = static_cast<float>(tokens) / static_cast<float>(global_tokens);
      mul(loss, weight).backward();  // gradients add up across the shards' backward passes
      r.loss += loss.item() * weight;
    }
  }
  r.rng_offset = global_rng().offset;
  for (const auto& [name, p] : model->module().named_parameters())
    r.grads.push_back(p.grad().defined() ? p.grad().to_vector() : std::vector<float>{});
  return r;
}

void expect_shards_sum_to_the_batch(const std::string& yaml) {
  const Result one = whole_or_sharded(yaml, 1);
  for (int ranks : {2, 3}) {
    const Result many = whole_or_sharded(yaml, ranks);
    EXPECT_NEAR(many.loss, one.loss, 1e-5 * std::fabs(one.loss)) << ranks << " ranks: loss";
    EXPECT_EQ(many.rng_offset, one.rng_offset) << ranks << " ranks: dropout draws";
    ASSERT_EQ(many.grads.size(), one.grads.size());
    double diff = 0, big = 1e-3;
    for (std::size_t i = 0; i < one.grads.size(); ++i) {
      ASSERT_EQ(many.grads[i].size(), one.grads[i].size()) << "parameter " << i;
      for (std::size_t j = 0; j < one.grads[i].size(); ++j) {
        diff = std::max(diff, static_cast<double>(std::fabs(many.grads[i][j] - one.grads[i][j])));
        big = std::max(big, static_cast<double>(std::fabs(one.grads[i][j])));
      }
    }
    EXPECT_LT(diff / big, 1e-4) << ranks << " ranks: gradients";
  }
}

const char* kTiny = R"(
train: {batch_size: 7}
seed: 4
)";

std::string sequence_config(const std::string& model) {
  return std::string(kTiny) + "task: {name: copy, vocab: 9, min_len: 1, max_len: 9}\n" + model;
}

TEST(DataParallel, Seq2SeqShardsSumToTheBatch) {
  expect_shards_sum_to_the_batch(sequence_config(
      "model: {d_model: 16, heads: 2, d_ff: 32, encoder_layers: 1, decoder_layers: 1, "
      "dropout: 0.2}"));
}

TEST(DataParallel, WindowAttentionShardsSumToTheBatch) {
  expect_shards_sum_to_the_batch(sequence_config(
      "model: {d_model: 16, heads: 2, d_ff: 32, encoder_layers: 1, decoder_layers: 1, "
      "dropout: 0.2, attention: {type: window, width: 2}}"));
}

TEST(DataParallel, DecoderShardsSumToTheBatch) {
  expect_shards_sum_to_the_batch(sequence_config(
      "model: {type: decoder, d_model: 16, heads: 2, d_ff: 32, decoder_layers: 2, dropout: "
      "0.2}"));
}

TEST(DataParallel, RnnShardsSumToTheBatch) {
  expect_shards_sum_to_the_batch(sequence_config(
      "model: {type: rnn, d_model: 16, encoder_layers: 2, decoder_layers: 2, dropout: 0.2}"));
}

TEST(DataParallel, ClassifierShardsSumToTheBatch) {
  expect_shards_sum_to_the_batch(std::string(kTiny) +
                                 "task: {name: listops, min_len: 1, max_len: 24}\n"
                                 "model: {type: classifier, d_model: 16, heads: 2, d_ff: 32, "
                                 "encoder_layers: 1, dropout: 0.2}");
}

TEST(DataParallel, TreeEncoderShardsSumToTheBatch) {
  expect_shards_sum_to_the_batch(
      std::string(kTiny) +
      "task: {name: listops, min_len: 1, max_len: 24}\n"
      "model: {type: tree_encoder, position: none, pooling: root, d_model: 16, heads: 2, "
      "d_ff: 32, encoder_layers: 1, dropout: 0.2, attention: {type: tree_mask}}");
}

TEST(DataParallel, ShardsSplitEvenlyAndCoverTheBatch) {
  int64_t next = 0;
  for (int rank = 0; rank < 3; ++rank) {
    const BatchShard s = shard_of(64, rank, 3);
    EXPECT_EQ(s.offset, next);
    EXPECT_EQ(s.rows, rank == 0 ? 22 : 21);
    EXPECT_EQ(s.global_rows, 64);
    next += s.rows;
  }
  EXPECT_EQ(next, 64);
}

TEST(DataParallel, DropoutOverRowsThatAreNotTheShardsIsRefused) {
  const BatchShardScope shard(BatchShard{2, 3, 8});
  EXPECT_THROW(dropout(Tensor::randn({5, 4}, 1), 0.5f, true), Error);
  EXPECT_NO_THROW(dropout(Tensor::randn({3, 4}, 1), 0.5f, true));
}

}  // namespace
}  // namespace heed
