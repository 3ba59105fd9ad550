// `heed eval`: a trained model scored on fresh held-out data (train/commands.h's run_eval).
#include <memory>

#include "train/cli/commands.h"
#include "train/commands.h"

namespace heed {

Command add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd =
      app.add_subcommand("eval", "Evaluate a run directory or checkpoint on fresh held-out data");
  cmd->add_option("path", args->path,
                  "Run directory (uses its best checkpoint) or checkpoint directory")
      ->required();
  cmd->add_option("--lengths", args->lengths,
                  "Also evaluate at these source lengths (length generalization)");
  cmd->add_option("--examples", args->examples, "Examples per evaluation (default: the config's)")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  cmd->add_flag("--json", args->json, "Print one JSON object");
  CLI::Option* test_flag =
      cmd->add_flag("--test", args->test,
                    "Score a seeded test set disjoint from training and validation data "
                    "(generated tasks)");
  cmd->add_option(
         "--data", args->data,
         "Score this file of source<TAB>target lines instead (tasks reading files; tasks over "
         "trees: S-expression<TAB>target)")
      ->excludes(test_flag);
  return {cmd, [args](const std::string&) { return run_eval(*args); }};
}

}  // namespace heed
