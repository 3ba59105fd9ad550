// heed's subcommands, one file each in train/cli/. A command adds its CLI11 subcommand (its
// options, help texts and defaults) to the app and returns what runs it once the command line is
// parsed; main.cpp adds every command, parses, runs the one given and maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace heed {

struct Command {
  CLI::App* app;  // the subcommand: true (*app) when it is the one given
  // Runs it with the options parsed; `command_line` is the whole invocation (for run.json).
  // Returns the exit code.
  std::function<int(const std::string& command_line)> run;
  // Whether it runs as an MPI job of several processes (mpirun -np N heed ...); the others
  // refuse to.
  bool distributed = false;
};

Command add_info_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_experiment_command(CLI::App& app);
Command add_config_command(CLI::App& app);
Command add_list_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_predict_command(CLI::App& app);
Command add_data_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_gradcheck_command(CLI::App& app);

}  // namespace heed
