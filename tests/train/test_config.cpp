// Config loading: defaults, overrides, and one-line errors with file, line and column.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "datasets/task_registry.h"
#include "framework/text.h"
#include "tests/test_util.h"
#include "tests/train/train_test_util.h"
#include "train/config.h"
#include "train/model_registry.h"

namespace heed {
namespace {

using testing::config_error_of;
using testing::contains;

TEST(Config, DefaultIsTheEmbeddedCopyConfig) {
  Config c = load_config("");
  EXPECT_EQ(c.task.name, "copy");
  EXPECT_EQ(c.model.d_model, 128);
  EXPECT_EQ(c.model.heads, 4);
  EXPECT_EQ(c.train.batch_size, 64);
  EXPECT_EQ(c.model.attention.type, "mha");
  EXPECT_DOUBLE_EQ(c.train.stop_at.at("exact_seq_acc"), 0.99);
}

TEST(Config, EmptyFileGivesDefaults) {
  Config c = parse_config("", "empty.yaml");
  EXPECT_EQ(c.train.steps, TrainConfig{}.steps);
}

TEST(Config, ReadsNestedValuesAndAttentionOptions) {
  Config c = parse_config(
      "model: {d_model: 64, heads: 8, attention: {type: mha}}\ntrain: {optimizer: {lr: 3e-4}, "
      "steps: 5}\n"
      "task: {eval_lengths: [40, 48]}\n",
      "x.yaml");
  EXPECT_EQ(c.model.d_model, 64);
  EXPECT_DOUBLE_EQ(c.train.optimizer.lr, 3e-4);
  EXPECT_EQ(c.task.eval_lengths, (std::vector<int64_t>{40, 48}));
}

TEST(Config, OverridesApplyAndNameThemselvesInErrors) {
  Config c = parse_config("model: {d_model: 64}\n", "x.yaml",
                          {"model.d_model=32", "train.steps=7", "seed=3"});
  EXPECT_EQ(c.model.d_model, 32);
  EXPECT_EQ(c.train.steps, 7);
  std::string m = config_error_of("", {"model.d_model=abc"});
  EXPECT_TRUE(contains(m, "--set model.d_model=abc"));
  EXPECT_TRUE(contains(config_error_of("", {"nonsense"}), "KEY.PATH=VALUE"));
}

TEST(Config, UnknownKeySuggestsTheNearest) {
  std::string m = config_error_of("model:\n  d_modle: 64\n");
  EXPECT_TRUE(contains(m, "my.yaml:2:3"));
  EXPECT_TRUE(contains(m, "model.d_modle"));
  EXPECT_TRUE(contains(m, "did you mean 'd_model'"));
}

TEST(Config, AnExperimentFileIsNamedForWhatItIs) {
  std::string m = config_error_of("set: {train.steps: 5}\nseeds: [0, 1]\n");
  EXPECT_TRUE(contains(m, "my.yaml:2:1: seeds: this is an experiment file")) << m;
  EXPECT_TRUE(contains(m, "heed experiment my.yaml")) << m;
}

TEST(Config, DuplicateKeyIsAnError) {
  std::string m = config_error_of("seed: 1\nseed: 2\n");
  EXPECT_TRUE(contains(m, "duplicate key"));
  EXPECT_TRUE(contains(m, "my.yaml:2:1"));
}

TEST(Config, WrongTypesAndRanges) {
  // {YAML, part of its error}
  const std::pair<const char*, const char*> cases[] = {
      {"train: {batch_size: -1}", "train.batch_size: must be in [1"},
      {"task: {vocab: 1e12}", "must be an integer"},
      {"model: {dropout: high}", "must be a number"},
      {"model: {type: lstm}", "is not one of"},
      {"model: 3", "must be a mapping"},
      {"train: {steps: }", "has no value"},
      {"- a\n- b\n", "mapping"}};
  for (auto [yaml, part] : cases) EXPECT_TRUE(contains(config_error_of(yaml), part)) << yaml;
}

TEST(Config, ContradictionsNameTheKey) {
  std::string m = config_error_of("model:\n  d_model: 10\n  heads: 3\n");
  EXPECT_TRUE(contains(m, "my.yaml:3:10: model.heads: d_model 10 is not divisible by heads 3"));
  EXPECT_TRUE(contains(config_error_of("task: {min_len: 9, max_len: 4}"), "task.max_len"));
}

TEST(Config, AttentionIsCheckedAgainstTheRegistry) {
  std::string m = config_error_of("model: {attention: {type: nope}}");
  EXPECT_TRUE(contains(m, "unknown attention type 'nope'"));
  EXPECT_TRUE(contains(m, "mha"));
  m = config_error_of("model: {attention: {type: mha, sparkle: 1}}");
  EXPECT_TRUE(contains(m, "sparkle"));
  EXPECT_TRUE(
      contains(config_error_of("model: {attention: {heads: 2}}"), "model.attention.type: missing"));
}

TEST(Config, InvalidYamlNamesLineAndColumn) {
  std::string m = config_error_of("model: {d_model: 64\n");
  EXPECT_TRUE(contains(m, "my.yaml:"));
  EXPECT_TRUE(contains(m, "invalid YAML"));
}

TEST(Config, MissingFileIsAnError) {
  try {
    load_config("/nonexistent/x.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "/nonexistent/x.yaml"));
  }
}

TEST(Config, ShowRoundTrips) {
  Config c = parse_config(
      "model: {d_model: 64, attention: {type: mha}}\ntrain: {stop_at: {loss: 0.1}}\n", "x.yaml");
  std::string yaml = config_to_yaml(c);
  Config again = parse_config(yaml, "shown.yaml");
  EXPECT_EQ(config_to_yaml(again), yaml);
  EXPECT_EQ(again.model.d_model, 64);
  EXPECT_DOUBLE_EQ(again.train.stop_at.at("loss"), 0.1);
}

TEST(Config, ReferenceListsEveryKey) {
  std::string ref = config_reference();
  for (const char* key : {"`task.name`", "`model.attention`", "`train.optimizer.lr`",
                          "`train.schedule.warmup`", "`out_dir`"})
    EXPECT_NE(ref.find(key), std::string::npos) << key;
}

TEST(Config, DocsListEveryKeyAsGenerated) {
  const char* src = std::getenv("HEED_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/docs/config.md");
  ASSERT_TRUE(in) << "docs/config.md not found";
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_NE(doc.str().find(config_reference()), std::string::npos)
      << "docs/config.md is out of date: regenerate its table with `heed config keys`";
}

// The override setting `key` to `value`; a task's own key is set under a task that reads it.
std::string override_of(const std::string& key, const std::string& value) {
  for (const TaskType* t : task_types())
    for (const TaskOption& o : t->options)
      if (key == "task." + o.key)
        return "task={name: " + t->name + ", " + o.key + ": " + value + "}";
  return key + "=" + value;
}

// `heed list` prints config_choices(): every value it lists must pass the value check, and a
// value outside the list must be refused with exactly that list, so the two cannot disagree.
TEST(ConfigChoices, EveryListedValueIsAcceptedAndNoOther) {
  const std::vector<ConfigChoice> choices = config_choices();
  ASSERT_GE(choices.size(), 10u);
  for (const ConfigChoice& c : choices) {
    if (c.key == "train.stop_at") continue;  // a mapping of metrics, checked below
    for (const std::string& v : c.values) {
      try {
        parse_config("", "my.yaml", {override_of(c.key, v)});
      } catch (const ConfigError& e) {  // another key may object (cross-field rules); not this
        EXPECT_EQ(std::string(e.what()).find("is not one of"), std::string::npos)
            << c.key << "=" << v << ": " << e.what();
      }
    }
    std::string m = config_error_of("", {override_of(c.key, "no_such_name")});
    EXPECT_TRUE(contains(m, "is not one of: " + join(c.values)));
  }
  for (const char* metric : {"exact_seq_acc", "token_acc", "accuracy", "loss"})
    EXPECT_NO_THROW(
        parse_config("", "my.yaml", {std::string("train.stop_at={") + metric + ": 1}"}));
}

TEST(ConfigChoices, TasksAndModelsComeFromTheirLists) {
  for (const ConfigChoice& c : config_choices()) {
    if (c.key == "task.name") {
      EXPECT_NE(std::find(c.values.begin(), c.values.end(), "listops"), c.values.end());
      EXPECT_NE(std::find(c.values.begin(), c.values.end(), "file"), c.values.end());
    }
    if (c.key == "model.type") {
      std::vector<std::string> names;
      for (const ModelType* t : model_types()) names.push_back(t->name);
      EXPECT_EQ(c.values, names);
    }
  }
}

TEST(Config, WarmupLongerThanTheRunIsAccepted) {
  // Clamped by the trainer (with a note), so `--set train.steps=2` works with every config.
  Config c = parse_config("train: {steps: 2, schedule: {type: cosine, warmup: 100}}", "my.yaml");
  EXPECT_EQ(c.train.schedule.warmup, 100);
}

}  // namespace
}  // namespace heed
