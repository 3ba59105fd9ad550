// docs/adding-a-task.md walked through: the guide's file is tests/train/repeat_task.cpp, word for
// word; once registered, the task is listed, configured, documented and trained by the same code
// `heed train` runs, with no other file naming it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "datasets/task_registry.h"
#include "framework/io/atomic_file.h"
#include "tests/test_util.h"
#include "tests/train/train_test_util.h"
#include "train/config.h"
#include "train/trainer.h"

namespace heed {
namespace {

using testing::config_error_of;

TEST(AddingATask, TheGuideShowsTheTestedFile) {
  testing::expect_guide_shows("docs/adding-a-task.md", "tests/train/repeat_task.cpp");
}

TEST(AddingATask, IsListedAndDocumented) {
  bool listed = false;
  for (const TaskType* t : task_types()) listed |= t->name == "repeat";
  EXPECT_TRUE(listed);
  const std::string ref = config_reference();
  EXPECT_NE(ref.find("**`task.name: repeat`**"), std::string::npos);
  EXPECT_NE(ref.find("| `task.times` | `2` |"), std::string::npos);
}

TEST(AddingATask, ItsKeysAreCheckedWhereTheyStand) {
  Config c = parse_config("task: {name: repeat, times: 3, max_len: 5}\n", "my.yaml");
  EXPECT_EQ(c.task.options.at("times"), "3");
  EXPECT_EQ(c.task.options.at("symbols"), "10");  // the default, filled in
  // config show prints its keys and no other task's.
  const std::string shown = config_to_yaml(c);
  EXPECT_NE(shown.find("  times: 3\n"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("vocab"), std::string::npos) << shown;
  EXPECT_EQ(config_error_of("task: {name: repeat, times: 9}\n"),
            "my.yaml:1:29: task.times: must be in [1, 8], got 9");
  EXPECT_EQ(config_error_of("task: {name: repeat, max_len: 600, times: 2}\n"),
            "my.yaml:1:43: task.times: times * task.max_len must stay within 1024");
  EXPECT_EQ(config_error_of("task: {name: copy, times: 2}\n"),
            "my.yaml:1:27: task.times: only task 'repeat' reads it (task.name is copy)");
  EXPECT_EQ(config_error_of("task: {name: repeat, vocab: 12}\n"),
            "my.yaml:1:29: task.vocab: only tasks copy, reverse, sort read it (task.name is "
            "repeat)");
}

class AddingATaskRun : public testing::RunDirTest {};

TEST_F(AddingATaskRun, TrainsEvaluatesAndResumes) {
  TrainSummary s = train_yaml(
      "task: {name: repeat, times: 2, symbols: 4, min_len: 1, max_len: 4}\n"
      "model: {d_model: 32, heads: 2, d_ff: 64, encoder_layers: 1, decoder_layers: 1}\n"
      "train: {steps: 12, batch_size: 8, eval_every: 6, eval_examples: 16, checkpoint_every: 6}\n",
      "repeat.yaml");
  EXPECT_EQ(s.steps, 12);
  EXPECT_EQ(s.eval.count("exact_seq_acc"), 1u);
  // The run directory's config names the task and its keys; resuming reads them back.
  Config again = run_config(run_dir(), {"train.steps=18"});
  EXPECT_EQ(again.task.name, "repeat");
  EXPECT_EQ(again.task.options.at("symbols"), "4");
  TrainOptions resume;
  resume.resume = true;
  EXPECT_EQ(train(again, resume).steps, 18);
}

}  // namespace
}  // namespace heed
