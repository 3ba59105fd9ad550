// `heed export`: a checkpoint's parameters as one safetensors file (train/commands.h's
// run_export).
#include <memory>

#include "train/cli/commands.h"
#include "train/commands.h"

namespace heed {
namespace {

struct ExportArgs {
  std::string path, to;
};

}  // namespace

Command add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a checkpoint's parameters as one safetensors file (loads in PyTorch)");
  cmd->add_option("path", args->path, "Run directory or checkpoint directory")->required();
  cmd->add_option("--to", args->to, "Output file, e.g. model.safetensors")->required();
  return {cmd, [args](const std::string&) { return run_export(args->path, args->to); }};
}

}  // namespace heed
