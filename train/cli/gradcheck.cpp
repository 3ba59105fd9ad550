// `heed gradcheck`: an attention variant's gradients against finite differences
// (train/gradcheck_command.h's run_gradcheck).
#include <memory>

#include "train/cli/commands.h"
#include "train/gradcheck_command.h"

namespace heed {

Command add_gradcheck_command(CLI::App& app) {
  auto args = std::make_shared<GradcheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "gradcheck", "Check an attention variant's gradients against finite differences");
  cmd->add_option("--attention", args->attention,
                  "A registered variant (heed list attention), or all")
      ->required();
  cmd->add_option("--option", args->options,
                  "A variant option KEY=VALUE, e.g. --option width=2 (repeatable)");
  cmd->add_option("--seed", args->seed, "Seed of inputs and parameters")->capture_default_str();
  return {cmd, [args](const std::string&) { return run_gradcheck(*args); }};
}

}  // namespace heed
