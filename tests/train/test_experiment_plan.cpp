// The runs of an experiment: variants x grid cells x seeds in a fixed order, each config resolved
// (base, set, the variant's set, the cell, the seed), named readably and distinctly.
#include <gtest/gtest.h>

#include "tests/train/experiment_test_util.h"
#include "tests/train/train_test_util.h"
#include "train/experiment/run_names.h"
#include "train/experiment/run_state.h"

namespace heed {
namespace {

using testing::ExperimentTest;

std::vector<std::string> names(const ExperimentPlan& p) {
  std::vector<std::string> out;
  for (const PlannedRun& r : p.runs) out.push_back(r.name);
  return out;
}

TEST_F(ExperimentTest, RunsAreVariantsTimesCellsTimesSeedsInOrder) {
  const std::string path = experiment(R"(base: BASE
set: {train.steps: 4}
variants:
  small: {set: {model.d_model: 8}}
  wide: {set: {model.d_model: 32, train.steps: 5}}
grid:
  model.attention.type: [mha, alibi]
  train.optimizer.lr: [1.0e-3, 0.01]
seeds: [0, 7]
)");
  const ExperimentPlan p = plan_experiment(read_experiment(path), "out");
  ASSERT_EQ(p.runs.size(), 16u);
  EXPECT_EQ(names(p)[0], "small-mha-lr1.0e-3-s0");
  EXPECT_EQ(names(p)[1], "small-mha-lr1.0e-3-s7");
  EXPECT_EQ(names(p)[2], "small-mha-lr0.01-s0");
  EXPECT_EQ(names(p)[4], "small-alibi-lr1.0e-3-s0");
  EXPECT_EQ(names(p)[8], "wide-mha-lr1.0e-3-s0");
  EXPECT_EQ(names(p)[15], "wide-alibi-lr0.01-s7");
  for (std::size_t i = 0; i < p.runs.size(); ++i) {
    const PlannedRun& r = p.runs[i];
    EXPECT_EQ(r.number, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(r.config.out_dir, "out/runs/" + r.name);
    EXPECT_EQ(r.config.seed, i % 2 ? 7 : 0);
    EXPECT_EQ(r.seed, r.config.seed);
    EXPECT_EQ(r.config.model.attention.type, i % 8 < 4 ? "mha" : "alibi");
    EXPECT_DOUBLE_EQ(r.config.train.optimizer.lr, i % 4 < 2 ? 1e-3 : 0.01);
    EXPECT_EQ(r.variant, i < 8 ? "small" : "wide");
    EXPECT_EQ(r.config.model.d_model, i < 8 ? 8 : 32);
    EXPECT_EQ(r.config.train.steps, i < 8 ? 4 : 5) << "a variant's set comes after the file's";
    EXPECT_EQ(r.config.train.batch_size, 8) << "the rest is the base config's";
  }
  EXPECT_EQ(p.runs[5].cell, (std::vector<std::string>{"alibi", "1.0e-3"}));
}

TEST_F(ExperimentTest, WithoutSeedsEachRunKeepsItsConfigsSeed) {
  std::string text = testing::kTinyConfig;
  text.replace(text.find("seed: 0"), 7, "seed: 5");
  const std::string other = write("other.yaml", text);
  const ExperimentPlan p = plan_experiment(
      read_experiment(experiment("variants:\n  a: {base: BASE}\n  b: {base: " + other + "}\n")),
      "out");
  EXPECT_EQ(names(p), (std::vector<std::string>{"a-s0", "b-s5"}));
  const ExperimentPlan single = plan_experiment(read_experiment(experiment("base: BASE\n")), "o");
  EXPECT_EQ(names(single), (std::vector<std::string>{"s0"}));
  EXPECT_EQ(single.runs[0].variant, "base");
}

TEST_F(ExperimentTest, CellNamesAreSafeAndDistinct) {
  EXPECT_EQ(cell_part("model.attention.type", "mha"), "mha");
  EXPECT_EQ(cell_part("train.optimizer.lr", "3.0e-3"), "lr3.0e-3");
  EXPECT_EQ(cell_part("task.eval_lengths", "[8, 16]"), "8_16");
  EXPECT_EQ(cell_part("x", "a/b c"), "a_b_c");
  // Two keys ending in "lr": the whole keys tell the cells apart.
  EXPECT_EQ(cell_names({"a.lr", "b.lr"}, {{"1", "2"}, {"2", "1"}}),
            (std::vector<std::string>{"lr1-lr2", "lr2-lr1"}));
  EXPECT_EQ(cell_names({"a.lr"}, {{"x/y"}, {"x_y"}}),
            (std::vector<std::string>{"c1-x_y", "c2-x_y"}));
}

TEST_F(ExperimentTest, ListAndMappingValuesReachTheConfig) {
  const ExperimentPlan p = plan_experiment(read_experiment(experiment(R"(base: BASE
set: {task.eval_lengths: [8, 10], train.stop_at: {exact_seq_acc: 0.5}}
grid: {model.attention: [mha, {type: window, width: 2}]}
)")),
                                           "out");
  ASSERT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(p.runs[0].config.task.eval_lengths, (std::vector<int64_t>{8, 10}));
  EXPECT_DOUBLE_EQ(p.runs[0].config.train.stop_at.at("exact_seq_acc"), 0.5);
  EXPECT_EQ(p.runs[1].config.model.attention.type, "window");
  EXPECT_EQ(p.runs[1].config.model.attention.options.at("width"), "2");
  EXPECT_EQ(p.runs[1].name, "type_window_width_2-s0");
}

// A generated task's runs are scored on the test stream too; a task reading files has none.
TEST_F(ExperimentTest, OnlyGeneratedTasksHaveATestStream) {
  const std::string src = std::getenv("HEED_SOURCE_DIR") ? std::getenv("HEED_SOURCE_DIR") : ".";
  EXPECT_TRUE(scores_test_stream(load_config(base_)));
  EXPECT_FALSE(scores_test_stream(load_config(src + "/configs/file_example.yaml")));
}

// The example of docs/experiments.md is a valid experiment: 2 variants x 2 rates x 3 seeds.
TEST_F(ExperimentTest, TheDocumentedExampleIsValid) {
  const std::string doc = testing::source_file("docs/experiments.md"), open = "```yaml\n";
  const std::size_t start = doc.find(open);
  ASSERT_NE(start, std::string::npos);
  std::string yaml =
      doc.substr(start + open.size(), doc.find("```", start + 1) - start - open.size());
  const std::string src = std::getenv("HEED_SOURCE_DIR") ? std::getenv("HEED_SOURCE_DIR") : ".";
  for (std::size_t at = 0; (at = yaml.find("configs/", at)) != std::string::npos;
       at += src.size() + 9)
    yaml.insert(at, src + "/");
  const ExperimentPlan p = plan_experiment(parse_experiment(yaml, "experiments.md"), "out");
  ASSERT_EQ(p.runs.size(), 12u);
  EXPECT_EQ(p.runs[0].name, "small-lr1.0e-3-s0");
  EXPECT_EQ(p.runs[11].name, "rnn-lr3.0e-3-s2");
  EXPECT_EQ(p.runs[11].config.model.type, "rnn");
  EXPECT_EQ(p.runs[0].config.model.d_model, 64);
}

}  // namespace
}  // namespace heed
