// `heed data`: a generated task's examples as a file, one `source<TAB>target` a line, in the
// format task `file` reads back: S-expressions and class names for the tree tasks (format tree),
// token ids for the others. The examples are exactly those a run of the config draws: split
// train is stream 0 (batch k holds examples k·batch_size onwards), valid the evaluation stream,
// test the stream of `heed eval --test`.
#pragma once

#include <string>
#include <vector>

namespace heed {

struct DataArgs {
  std::string config;  // YAML config ("": the embedded default)
  std::vector<std::string> overrides;
  std::string split = "train";  // train | valid | test
  int64_t first = 0, examples = 1000;
};
int run_data(const DataArgs& args);

}  // namespace heed
