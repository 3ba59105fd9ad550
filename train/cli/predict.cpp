// `heed predict`: one input decoded by a trained model (train/commands.h's run_predict).
#include <memory>

#include "train/cli/commands.h"
#include "train/commands.h"

namespace heed {

Command add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Decode one input with a trained model");
  cmd->add_option("path", args->path, "Run directory or checkpoint directory")->required();
  cmd->add_option("input", args->input,
                  "Source token ids, e.g. \"3 7 1 9\"; for tree tasks an S-expression, "
                  "e.g. \"[MAX 2 9 [MIN 4 7 ] 0 ]\"")
      ->required();
  cmd->add_option("--strategy", args->strategy, "greedy | sample | beam")
      ->check(CLI::IsMember({"greedy", "sample", "beam"}));
  cmd->add_option("--beam", args->beam, "Beam width")->check(CLI::Range(int64_t{1}, int64_t{256}));
  cmd->add_option("--temperature", args->temperature, "Sampling temperature")
      ->check(CLI::Range(0.0f, 100.0f));
  cmd->add_option("--top-k", args->top_k, "Sample among the k likeliest tokens (0: all)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  cmd->add_option("--seed", args->seed, "Sampling seed");
  cmd->add_option("--max-len", args->max_len, "Longest output (default: the task's)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16));
  cmd->add_flag("--attention", args->attention,
                "Also print the attention maps: the encoder's self-attention, then "
                "the decoder's attention over the source while it wrote the output");
  return {cmd, [args](const std::string&) { return run_predict(*args); }};
}

}  // namespace heed
