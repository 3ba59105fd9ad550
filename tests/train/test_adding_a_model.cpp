// docs/adding-a-model.md walked through: the guide's file is tests/train/aligned_model.cpp, word
// for word; once registered, the model type is listed, configured, documented and trained by the
// same code `heed train` runs, with no other file naming it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "framework/io/atomic_file.h"
#include "tests/test_util.h"
#include "tests/train/train_test_util.h"
#include "train/config.h"
#include "train/model_registry.h"
#include "train/trainer.h"

namespace heed {
namespace {

using testing::config_error_of;

TEST(AddingAModel, TheGuideShowsTheTestedFile) {
  testing::expect_guide_shows("docs/adding-a-model.md", "tests/train/aligned_model.cpp");
}

TEST(AddingAModel, IsListedConfiguredAndDocumented) {
  bool listed = false;
  for (const ModelType* t : model_types()) listed |= t->name == "aligned";
  EXPECT_TRUE(listed);
  EXPECT_NE(config_reference().find("**`model.type: aligned`** reads `d_model`."),
            std::string::npos);
  const std::string shown = config_to_yaml(parse_config("model: {type: aligned}\n", "my.yaml"));
  EXPECT_NE(shown.find("model:\n  type: aligned\n  d_model: 128\ntrain:"), std::string::npos)
      << shown;
  EXPECT_EQ(config_error_of("model: {type: aligned, heads: 8}\n"),
            "my.yaml:1:31: model.heads: model.type aligned does not read it; leave it out (heed "
            "config keys)");
  EXPECT_EQ(config_error_of("task: {name: listops}\nmodel: {type: aligned}\n"),
            "my.yaml:2:15: model.type: aligned writes sequences; task 'listops' has class targets");
}

class AddingAModelRun : public testing::RunDirTest {};

TEST_F(AddingAModelRun, LearnsCopyThroughTheTrainer) {
  TrainSummary s = train_yaml(
      "task: {name: copy, vocab: 8, min_len: 1, max_len: 6}\n"
      "model: {type: aligned, d_model: 16}\n"
      "train: {steps: 60, batch_size: 16, optimizer: {lr: 0.05}, eval_every: 60, "
      "eval_examples: 64, checkpoint_every: 60}\n",
      "aligned.yaml");
  EXPECT_EQ(s.steps, 60);
  // Copy is exactly what reading position i for output i can learn.
  EXPECT_GE(s.eval.at("exact_seq_acc"), 0.9);
  EXPECT_EQ(run_config(run_dir()).model.type, "aligned");
}

}  // namespace
}  // namespace heed
