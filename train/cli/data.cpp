// `heed data`: a generated task's examples as a file (train/data_command.h's run_data).
#include <memory>

#include "train/cli/commands.h"
#include "train/data_command.h"

namespace heed {

Command add_data_command(CLI::App& app) {
  auto args = std::make_shared<DataArgs>();
  CLI::App* cmd = app.add_subcommand(
      "data",
      "Print a generated task's examples as a file (source<TAB>target) for a task reading files");
  cmd->add_option("config", args->config, "YAML config file (omit for the default)");
  cmd->add_option("--set", args->overrides, "Override a key (repeatable)");
  cmd->add_option("--split", args->split, "train | valid | test (heed eval --test's)")
      ->capture_default_str()
      ->check(CLI::IsMember({"train", "valid", "test"}));
  cmd->add_option("--first", args->first, "Index of the first example")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_option("--examples", args->examples, "How many")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  return {cmd, [args](const std::string&) { return run_data(*args); }};
}

}  // namespace heed
