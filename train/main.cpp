// heed's command line. Exit codes: 0 success, 2 bad input (usage, files, configs, checkpoints),
// 1 internal failure, 130 / 143 interrupted by SIGINT / SIGTERM (a checkpoint was written).
// Each subcommand is one file of train/cli/ (commands.h); this file parses and dispatches.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

#include "framework/dist.h"
#include "framework/runtime.h"
#include "framework/tensor.h"
#include "train/build_info.h"
#include "train/cli/commands.h"

namespace heed {
namespace {

// Parses the command line; an exit code when that ends the program (help, version, bad usage).
std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    // CLI11 reports a misspelt command as "A subcommand is required", which hides the word at
    // fault; name it instead.
    if (app.get_subcommands().empty() && argc > 1 && argv[1][0] != '-')
      msg = "unknown command '" + std::string(argv[1]) + "'";
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::fprintf(stderr, "heed: %s (see heed --help)\n", msg.c_str());
    return 2;
  }
  return std::nullopt;
}

// Prints one line for a failure and returns `code`; in a job of several processes the whole job
// ends, since the other ranks would wait for this one forever.
int fail(std::string msg, int code) {
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  if (dist::size() > 1) dist::abort_job(msg, code);
  std::fprintf(stderr, "heed: %s\n", msg.c_str());
  return code;
}

// Runs the command given, mapping its errors to exit codes.
int run(const std::vector<Command>& commands, const std::string& command_line) {
  try {
    for (const Command& c : commands) {
      if (!*c.app) continue;
      if (dist::size() > 1 && !c.distributed)
        throw Error("heed " + c.app->get_name() +
                    " runs as one process; start it without mpirun (train and experiment run "
                    "under mpirun)");
      return c.run(command_line);
    }
  } catch (const Error& e) {  // ConfigError, checkpoint and file errors: bad input
    return fail(e.what(), 2);
  } catch (const std::exception& e) {
    return fail(std::string("internal error: ") + e.what(), 1);
  }
  return 0;
}

}  // namespace
}  // namespace heed

int main(int argc, char** argv) {
  using namespace heed;
  prefer_short_spins(argv);
  CLI::App app{"heed: a small, fast C++ framework for training transformers"};
  app.set_version_flag("--version", std::string("heed ") + build_info().version);
  app.require_subcommand(1);
  // In the order `heed --help` lists them.
  const std::vector<Command> commands = {
      add_info_command(app),    add_train_command(app),    add_experiment_command(app),
      add_config_command(app),  add_list_command(app),     add_eval_command(app),
      add_predict_command(app), add_data_command(app),     add_export_command(app),
      add_bench_command(app),   add_gradcheck_command(app)};
  if (std::optional<int> code = parse(app, argc, argv)) return *code;
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  dist::init(&argc, &argv);  // joins an MPI job when mpirun started this process
  const int code = run(commands, command_line);
  dist::finalize();
  return code;
}
