// `heed config show` (the resolved config) and `heed config keys` (the reference of every key).
#include <cstdio>
#include <memory>
#include <vector>

#include "train/cli/commands.h"
#include "train/config.h"

namespace heed {
namespace {

struct ShowArgs {
  std::string path;
  std::vector<std::string> overrides;
};

}  // namespace

Command add_config_command(CLI::App& app) {
  CLI::App* config_cmd = app.add_subcommand("config", "Work with configs");
  config_cmd->require_subcommand(1);
  auto args = std::make_shared<ShowArgs>();
  CLI::App* show =
      config_cmd->add_subcommand("show", "Print the resolved config, defaults filled in");
  show->add_option("config", args->path, "YAML config file (omit for the default)");
  show->add_option("--set", args->overrides, "Override a key (repeatable)");
  CLI::App* keys = config_cmd->add_subcommand(
      "keys", "Print every config key with its default and meaning (Markdown)");
  return {config_cmd, [args, show, keys](const std::string&) {
            if (*show) {
              std::fputs(config_to_yaml(load_config(args->path, args->overrides)).c_str(), stdout);
              return 0;
            }
            if (*keys) std::fputs(config_reference().c_str(), stdout);
            return 0;
          }};
}

}  // namespace heed
