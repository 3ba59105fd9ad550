// Helpers of the experiment tests: a tiny base config, the errors of an experiment file, the heed
// binary run as a command (HEED_CLI_PATH, set by tests/CMakeLists.txt), results.csv without its
// timing columns.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "framework/io/atomic_file.h"
#include "framework/text.h"
#include "tests/test_util.h"
#include "train/experiment/experiment_file.h"
#include "train/experiment/run_plan.h"

namespace heed::testing {

// A copy task that trains 6 steps in a fraction of a second, one thread, an evaluation and a
// checkpoint every 3 steps (so an interrupted run has something to resume from).
inline const char* kTinyConfig = R"(task: {name: copy, vocab: 8, min_len: 2, max_len: 6}
model: {type: seq2seq, d_model: 16, heads: 2, d_ff: 32, encoder_layers: 1, decoder_layers: 1,
        dropout: 0.1}
train:
  steps: 6
  batch_size: 8
  optimizer: {type: adamw, lr: 3.0e-3}
  log_every: 1
  eval_every: 3
  eval_examples: 16
  checkpoint_every: 3
  keep_checkpoints: 1
seed: 0
threads: 1
out_dir: runs/tiny
)";

class ExperimentTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    base_ = write("tiny.yaml", kTinyConfig);
  }
  // The experiment `yaml` (BASE replaced by the tiny config's path) as a file; its path.
  std::string experiment(const std::string& yaml, const std::string& name = "exp.yaml") {
    std::string text = yaml;
    for (std::size_t at; (at = text.find("BASE")) != std::string::npos;) text.replace(at, 4, base_);
    return write(name, text);
  }
  // The one-line ConfigError that reading and planning `yaml` gives; "" (and a failure) if none.
  std::string error_of(const std::string& yaml) {
    const std::string path = experiment(yaml);
    try {
      plan_experiment(read_experiment(path), (dir_ / "out").string());
    } catch (const ConfigError& e) {
      std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      const std::string prefix = path + ":";
      EXPECT_EQ(m.rfind(prefix, 0), 0u) << "not located in the experiment file: " << m;
      return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
    }
    ADD_FAILURE() << "accepted: " << yaml;
    return "";
  }

  std::string base_;
};

struct Command {
  int code = -1;
  std::string out, err;
};

// Runs `heed ARGS` (each argument single-quoted) in `dir`, with `env` (e.g.
// "HEED_TEST_KILL_AT=x ") before it.
inline Command run_heed(const std::vector<std::string>& args, const std::string& dir,
                        const std::string& env = "") {
  std::string cmd = "cd '" + dir + "' && " + env + "'" HEED_CLI_PATH "'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  const std::string out = dir + "/heed.out", err = dir + "/heed.err";
  const int status = std::system((cmd + " >'" + out + "' 2>'" + err + "'").c_str());
  Command c;
  c.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  c.out = read_file(out);
  c.err = read_file(err);
  return c;
}

// results.csv without the columns whose names end in _s or _mb: what must not depend on --jobs.
inline std::string csv_without_timing(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line, out;
  std::vector<bool> keep;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = split(line, ',');
    if (keep.empty())
      for (const std::string& f : fields) keep.push_back(!f.ends_with("_s") && !f.ends_with("_mb"));
    EXPECT_EQ(fields.size(), keep.size()) << line;
    for (std::size_t i = 0; i < fields.size() && i < keep.size(); ++i)
      if (keep[i]) out += fields[i] + ",";
    out += "\n";
  }
  return out;
}

}  // namespace heed::testing
