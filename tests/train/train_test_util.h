// Helpers shared by the train/ tests: a run directory fixture, file task specs, config and resume
// errors, eval --data, and cross-attention maps.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "datasets/batch.h"
#include "datasets/file_task.h"
#include "framework/io/atomic_file.h"
#include "tests/test_util.h"
#include "train/commands.h"
#include "train/config.h"
#include "train/report/report.h"
#include "train/run_loader.h"
#include "train/task_model.h"
#include "train/trainer.h"

namespace heed::testing {

// A fixture whose runs go to dir_/run: train_yaml trains a config given without out_dir.
class RunDirTest : public TempDirTest {
 protected:
  std::string run_dir() const { return (dir_ / "run").string(); }
  TrainSummary train_yaml(const std::string& yaml, const std::string& source) {
    return train(parse_config(yaml + "out_dir: " + run_dir() + "\n", source), {});
  }
};

// A file task's spec from its files and lengths (designated initializers would warn about the
// rest).
inline FileTaskSpec file_task_spec(const std::string& train, const std::string& valid = "",
                                   const std::string& vocab_file = "", int64_t min_len = 1,
                                   int64_t max_len = 1 << 16) {
  FileTaskSpec s;
  s.train = train;
  s.valid = valid;
  s.vocab_file = vocab_file;
  s.min_len = min_len;
  s.max_len = max_len;
  return s;
}

// The one-line ConfigError that `yaml` (with `overrides`) gives, read as `source`; a failure
// when it loads.
inline std::string config_error_of(const std::string& yaml,
                                   const std::vector<std::string>& overrides = {},
                                   const std::string& source = "my.yaml") {
  try {
    parse_config(yaml, source, overrides);
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "not one line: " << m;
    return m;
  }
  ADD_FAILURE() << "accepted: " << yaml;
  return "";
}

// The message of the ConfigError that resuming the run in `run_dir` (with `overrides`) throws; a
// failure when it resumes.
inline std::string resume_error(const std::string& run_dir,
                                const std::vector<std::string>& overrides) {
  TrainOptions resume;
  resume.resume = true;
  try {
    train(run_config(run_dir, overrides), resume);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "resumed " << run_dir;
  return "";
}

// What `heed eval RUN_DIR --data DATA --json` prints, parsed; a failure unless it exits 0.
inline nlohmann::json eval_data_json(const std::string& run_dir, const std::string& data) {
  EvalArgs e;
  e.path = run_dir;
  e.data = data;
  e.json = true;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_eval(e), 0);
  return nlohmann::json::parse(::testing::internal::GetCapturedStdout());
}

// A file of the source tree (HEED_SOURCE_DIR, set by CTest), e.g. "docs/adding-a-task.md".
inline std::string source_file(const std::string& relative) {
  const char* src = std::getenv("HEED_SOURCE_DIR");
  return read_file(std::string(src ? src : ".") + "/" + relative);
}

// A guide shows its worked example whole: `guide`'s first ```cpp block must be `file`.
inline void expect_guide_shows(const std::string& guide, const std::string& file) {
  const std::string text = source_file(guide), opening = "```cpp\n";
  const std::size_t start = text.find(opening);
  ASSERT_NE(start, std::string::npos) << "no ```cpp block in " << guide;
  const std::size_t end = text.find("```\n", start + opening.size());
  ASSERT_NE(end, std::string::npos) << guide;
  EXPECT_EQ(text.substr(start + opening.size(), end - start - opening.size()), source_file(file))
      << guide << "'s code block differs from " << file;
}

// Every row of each layer's cross-attention is a distribution over the source, for the output
// given as the example's target; the labels name the output (then EOS) and the source.
inline void expect_cross_maps(const CrossAttentionMaps& maps, const Example& e, std::size_t layers,
                              int64_t heads) {
  const int64_t T = static_cast<int64_t>(e.target.size()),
                S = static_cast<int64_t>(e.source.size());
  ASSERT_EQ(maps.layers.size(), layers);
  std::vector<std::string> rows = attention_tokens("seq2seq", {e.target, {}});
  rows.push_back("$");
  EXPECT_EQ(maps.rows, rows);
  EXPECT_EQ(maps.columns, attention_tokens("seq2seq", e));
  for (const Tensor& w : maps.layers) {
    ASSERT_EQ(w.shape(), (Shape{1, heads, T + 1, S}));
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i <= T; ++i) {
        double sum = 0;
        for (int64_t j = 0; j < S; ++j) sum += w.at({0, h, i, j});
        EXPECT_NEAR(sum, 1.0, 1e-5) << "head " << h << " row " << i;
      }
  }
}

}  // namespace heed::testing
