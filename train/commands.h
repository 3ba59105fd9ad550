// The CLI commands that work on a trained model: eval, predict, export.
#pragma once

#include <string>
#include <vector>

namespace heed {

struct EvalArgs {
  std::string path;              // run directory or checkpoint
  std::vector<int64_t> lengths;  // evaluate at these source lengths too
  int64_t examples = 0;          // 0: the config's train.eval_examples (all of --data's lines)
  std::string data;              // a file task's run: score this source<TAB>target file instead
  bool test = false;             // score the test stream (kTestStream) instead of validation's
  bool json = false;
};
int run_eval(const EvalArgs& args);

struct PredictArgs {
  std::string path;
  std::string input;  // token ids, e.g. "3 7 1 9"; words for a file task's run
  std::string strategy = "greedy";
  int64_t beam = 4;
  float temperature = 1.0f;
  int64_t top_k = 0;
  uint64_t seed = 0;
  int64_t max_len = 0;  // 0: the task's limit for this input
  bool attention = false;
};
int run_predict(const PredictArgs& args);

// Writes the checkpoint's parameters, verified, to a parameters-only safetensors file.
int run_export(const std::string& path, const std::string& to);

}  // namespace heed
