// `heed list [KIND]`.
#include <memory>

#include "framework/text.h"
#include "train/cli/commands.h"
#include "train/list_command.h"

namespace heed {

Command add_list_command(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  CLI::App* list = app.add_subcommand(
      "list",
      "List every name a config can use: tasks, attention variants, models, positions, ...");
  list->add_option("kind", *what, "One kind to list (default: all): " + join(list_kinds(), " | "))
      ->check(CLI::IsMember(list_kinds()));
  return {list, [what](const std::string&) { return run_list(*what); }};
}

}  // namespace heed
