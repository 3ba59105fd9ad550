// Experiment files: every problem is one line at the experiment's file:line:col naming the key,
// found before any run starts: problems of shape, and every run's config through the config's
// own checks.
#include <gtest/gtest.h>

#include "tests/train/experiment_test_util.h"

namespace heed {
namespace {

using testing::ExperimentTest;

TEST_F(ExperimentTest, UnknownTopLevelKeyGetsTheNearestOne) {
  EXPECT_EQ(error_of("base: BASE\nseed: [0, 1]\n"),
            "2:1: seed: unknown key (did you mean 'seeds'?)");
}

TEST_F(ExperimentTest, UnknownVariantKeyIsRefused) {
  EXPECT_EQ(error_of("base: BASE\nvariants:\n  a: {sett: {model.d_model: 32}}\n"),
            "3:7: variants.a.sett: unknown key (did you mean 'set'?)");
}

TEST_F(ExperimentTest, UnknownConfigKeyIsLocatedAtItsExperimentLine) {
  EXPECT_EQ(error_of("base: BASE\nset:\n  train.steps: 2\n  model.d_modle: 32\n"),
            "4:18: model.d_modle: unknown key (did you mean 'd_model'?)");
}

TEST_F(ExperimentTest, BadGridValueFailsTheConfigsOwnCheckAtItsLine) {
  const std::string e = error_of("base: BASE\ngrid:\n  model.dropout: [0.1, 1.5]\n");
  EXPECT_EQ(e.rfind("3:24: model.dropout: must be in [0, ", 0), 0u) << e;
}

TEST_F(ExperimentTest, BadVariantValueFailsAtItsLine) {
  const std::string e =
      error_of("base: BASE\nvariants:\n  ok: {}\n  bad:\n    set: {train.steps: -3}\n");
  EXPECT_EQ(e.rfind("5:24: train.steps: must be in [", 0), 0u) << e;
}

TEST_F(ExperimentTest, EmptyListsAreRefused) {
  EXPECT_EQ(error_of("base: BASE\ngrid:\n  model.dropout: []\n"),
            "3:18: grid.model.dropout: is an empty list (give one value or more)");
  EXPECT_EQ(error_of("base: BASE\nseeds: []\n"),
            "2:8: seeds: is an empty list (leave it out for the config's seed)");
}

TEST_F(ExperimentTest, MissingBaseFileIsNamed) {
  const std::string e = error_of("base: nowhere/missing.yaml\n");
  EXPECT_EQ(e.rfind("1:7: base: nowhere/missing.yaml is not a config file (no such file", 0), 0u)
      << e;
}

TEST_F(ExperimentTest, NoBaseAtAllIsRefused) {
  EXPECT_EQ(error_of("seeds: [0]\n").rfind("1:1: base: missing", 0), 0u);
  EXPECT_EQ(error_of("variants:\n  a: {base: BASE}\n  b: {}\n").rfind("3:3: base: missing", 0), 0u);
}

TEST_F(ExperimentTest, ErrorInsideTheBaseConfigNamesBothFiles) {
  const std::string broken = write("broken.yaml", "model: {d_model: -1}\n");
  const std::string e = error_of("base: " + broken + "\n");
  EXPECT_EQ(e.rfind("1:7: base: in run 1: " + broken + ":1:18: model.d_model: must be in", 0), 0u)
      << e;
  // With seeds, the run is named.
  EXPECT_EQ(error_of("base: " + broken + "\nseeds: [4]\n").rfind("1:7: base: in run 1 (s4): ", 0),
            0u);
}

TEST_F(ExperimentTest, SeedAndOutDirBelongToTheExperiment) {
  EXPECT_EQ(error_of("base: BASE\nset: {seed: 3}\n").rfind("2:7: seed: an experiment sets", 0), 0u);
  EXPECT_EQ(
      error_of("base: BASE\ngrid: {out_dir: [a, b]}\n").rfind("2:8: out_dir: an experiment", 0),
      0u);
}

TEST_F(ExperimentTest, SeedsMustBeDistinctIntegers) {
  EXPECT_EQ(error_of("base: BASE\nseeds: [0, x]\n"),
            "2:12: seeds: must hold integers >= 0, got 'x'");
  EXPECT_EQ(error_of("base: BASE\nseeds: [1, 1]\n"), "2:12: seeds: seed 1 appears twice");
}

TEST_F(ExperimentTest, SelectNamesAGridKeyAndAMetric) {
  EXPECT_EQ(error_of("base: BASE\ngrid: {model.dropout: [0, 0.1]}\n"
                     "select: {key: model.heads, by: eval.loss}\n"),
            "3:15: select.key: 'model.heads' is not a grid key (grid: model.dropout)");
  const std::string e = error_of(
      "base: BASE\ngrid: {model.dropout: [0, 0.1]}\n"
      "select: {key: model.dropout, by: valid.acc}\n");
  EXPECT_EQ(e.rfind("3:34: select.by: 'valid.acc' is not a metric", 0), 0u) << e;
}

TEST_F(ExperimentTest, VariantNamesAndGridValuesMustMakeDistinctRuns) {
  EXPECT_EQ(error_of("base: BASE\nvariants:\n  a/b: {}\n")
                .rfind("3:3: variants.a/b: a variant's name", 0),
            0u);
  EXPECT_EQ(error_of("base: BASE\ngrid: {model.dropout: [0.1, 0.1]}\n"),
            "2:29: grid.model.dropout: value '0.1' appears twice");
  EXPECT_EQ(error_of("base: BASE\nset: [model.dropout, 0.1]\n"),
            "2:6: set: must be a mapping, got a list");
  EXPECT_EQ(error_of("base: BASE\ngrid: {model.dropout: 0.1}\n"),
            "2:23: grid.model.dropout: must be a list of values, got '0.1'");
}

TEST_F(ExperimentTest, MetricNames) {
  for (const char* ok :
       {"eval.exact_seq_acc", "eval_length_64.token_acc", "test.accuracy", "eval.loss"})
    EXPECT_TRUE(is_metric_name(ok)) << ok;
  for (const char* bad : {"valid.exact_seq_acc", "eval_length_0.loss", "test", "eval.wall_s"})
    EXPECT_FALSE(is_metric_name(bad)) << bad;
}

TEST_F(ExperimentTest, BadExperimentExitsTwoWithOneLine) {
  const std::string path = experiment("base: BASE\ngrid:\n  model.dropout: []\n");
  const testing::Command c = testing::run_heed({"experiment", path}, dir_.string());
  EXPECT_EQ(c.code, 2);
  EXPECT_EQ(c.err, "heed: " + path +
                       ":3:18: grid.model.dropout: is an empty list (give one "
                       "value or more)\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "runs")) << "nothing is written for bad input";
}

}  // namespace
}  // namespace heed
