// train.precision: bf16 products in training and evaluation, fp32 everything else.
#include <gtest/gtest.h>

#include "framework/precision.h"
#include "tests/train/train_test_util.h"

namespace heed {
namespace {

class PrecisionTraining : public testing::RunDirTest {
 protected:
  void TearDown() override {
    set_matmul_precision(Precision::kFp32);  // the trainer sets it process-wide
    RunDirTest::TearDown();
  }
  TrainSummary train_with(const std::string& precision) {
    return train_yaml(
        "task: {name: copy, vocab: 10, min_len: 1, max_len: 6}\n"
        "model: {type: seq2seq, d_model: 32, heads: 2, d_ff: 64, encoder_layers: 1,\n"
        "        decoder_layers: 1, dropout: 0.0}\n"
        "train: {steps: 150, batch_size: 32, eval_every: 150, eval_examples: 200,\n"
        "        optimizer: {type: adamw, lr: 3.0e-3}, precision: " +
            precision +
            "}\n"
            "seed: 3\nthreads: 1\n",
        "tiny.yaml");
  }
};

TEST_F(PrecisionTraining, Bf16TrainsLikeFp32AndItsRunIsEvaluatedInBf16) {
  const TrainSummary fp32 = train_with("fp32");
  std::filesystem::remove_all(run_dir());
  const TrainSummary bf16 = train_with("bf16");
  EXPECT_EQ(matmul_precision(), Precision::kBf16) << "the trainer sets train.precision";
  // Both learn the copy; the bf16 products make the runs differ, not fail.
  EXPECT_GT(fp32.eval.at("token_acc"), 0.9);
  EXPECT_GT(bf16.eval.at("token_acc"), 0.9);
  EXPECT_NE(fp32.eval.at("loss"), bf16.eval.at("loss"));

  set_matmul_precision(Precision::kFp32);
  const LoadedRun run = load_run(run_dir());
  EXPECT_EQ(run.config.train.precision, "bf16");
  EXPECT_EQ(matmul_precision(), Precision::kBf16) << "heed eval uses the run's precision";
}

TEST(PrecisionConfig, AnUnknownPrecisionIsOneLineNamingTheKey) {
  const std::string m = testing::config_error_of("train: {precision: fp16}\n");
  EXPECT_NE(m.find("my.yaml:1:"), std::string::npos) << m;
  EXPECT_NE(m.find("train.precision"), std::string::npos) << m;
  EXPECT_NE(m.find("fp32"), std::string::npos) << m;
}

}  // namespace
}  // namespace heed
