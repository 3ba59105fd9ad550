// The up-front memory estimate (train/memory_estimate.h): close to the parameter count, above
// the measured peak of one real training step but not wildly, and a config too big for the
// memory given is refused with the numbers before anything is allocated.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "framework/allocator.h"
#include "framework/optim/adam.h"
#include "train/config.h"
#include "train/memory_estimate.h"
#include "train/task_model.h"
#include "train/task_state.h"
#include "train/trainer.h"

namespace heed {
namespace {

Config config_of(const std::vector<std::string>& overrides) {
  return parse_config(default_config_yaml(), "copy.yaml", overrides);
}

// Peak tensor bytes of building the model and one step (forward, backward, AdamW) at the
// config's longest examples.
double measured_peak(const Config& c, int64_t* params) {
  std::unique_ptr<Task> task = make_config_task(c);
  const std::size_t before = allocator_stats().bytes_in_use;
  allocator_reset_peak();
  {
    std::unique_ptr<TaskModel> model = make_task_model(c, *task);
    model->module().train();
    *params = model->module().num_parameters();
    AdamW opt(model->module().named_parameters());
    std::vector<Example> batch =
        task->train_batch(c.seed, 0, c.train.batch_size, c.task.max_len, c.task.max_len);
    int64_t tokens = 0;
    model->loss(batch, 0.0f, &tokens).backward();
    opt.step();
  }
  return static_cast<double>(allocator_stats().peak_bytes_in_use - before);
}

TEST(MemoryEstimate, IsAboveOneMeasuredStepButWithinFourTimesIt) {
  const std::vector<std::vector<std::string>> cases = {
      {},  // copy.yaml
      {"model.d_model=64", "model.d_ff=256", "task.max_len=64", "train.batch_size=16"},
      {"model.type=decoder", "model.decoder_layers=3", "task.max_len=48"},
      {"model.type=rnn", "model.attention=additive", "model.encoder_layers=2",
       "model.decoder_layers=2", "train.batch_size=32"},
      {"task={name: listops, max_len: 96}", "model.type=classifier", "model.d_model=64",
       "model.d_ff=128", "model.encoder_layers=2", "train.batch_size=8"},
  };
  for (const auto& overrides : cases) {
    Config c = config_of(overrides);
    std::unique_ptr<Task> task = make_config_task(c);
    MemoryEstimate e = estimate_memory(c, task->vocab());
    int64_t params = 0;
    const double peak = measured_peak(c, &params);
    std::string what = overrides.empty() ? "copy.yaml" : overrides.front();
    EXPECT_NEAR(static_cast<double>(e.parameters), static_cast<double>(params), 0.1 * params)
        << what;
    EXPECT_GE(e.total(), peak) << what;
    EXPECT_LE(e.total(), 4 * peak) << what;
    std::printf("%-22s estimate %8.1f MiB, measured peak %8.1f MiB (x%.2f)\n", what.c_str(),
                e.total() / 1048576, peak / 1048576, e.total() / peak);
  }
}

TEST(MemoryEstimate, ARunTooBigForTheMemoryIsRefusedBeforeAnyAllocation) {
  Config c = config_of({"model.d_model=4096", "model.d_ff=16384"});
  std::unique_ptr<Task> task = make_config_task(c);
  const MemoryEstimate e = estimate_memory(c, task->vocab());
  try {
    check_memory(c, task->vocab(), e.total() / 2, "big.yaml");
    FAIL() << "not refused";
  } catch (const ConfigError& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find("big.yaml: the run needs about "), std::string::npos) << m;
    EXPECT_NE(m.find("parameters"), std::string::npos) << m;
    EXPECT_NE(m.find("available"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(check_memory(c, task->vocab(), e.total() * 2, "big.yaml"));
  EXPECT_NO_THROW(check_memory(c, task->vocab(), 0, "big.yaml"));  // unknown: no check

  // Through train(): refused with nothing allocated and no run directory written.
  c.out_dir = ::testing::TempDir() + "/memory_refused";
  TrainOptions o;
  o.config_source = "big.yaml";
  o.available_memory = 1e6;
  const std::size_t before = allocator_stats().bytes_in_use;
  EXPECT_THROW(train(c, o), ConfigError);
  EXPECT_EQ(allocator_stats().bytes_in_use, before);
  EXPECT_FALSE(std::filesystem::exists(c.out_dir));
}

}  // namespace
}  // namespace heed
