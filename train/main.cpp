// heed's command line. Exit codes: 0 success, 2 bad input (usage, files, configs, checkpoints),
// 1 internal failure, 130 / 143 interrupted by SIGINT / SIGTERM (a checkpoint was written).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "datasets/tasks.h"
#include "datasets/tree_tasks.h"
#include "framework/io/checkpoint.h"
#include "framework/text.h"
#include "models/attention/attention.h"
#include "train/bench.h"
#include "train/build_info.h"
#include "train/commands.h"
#include "train/config.h"
#include "train/data_command.h"
#include "train/gradcheck_command.h"
#include "train/kill_point.h"
#include "train/list_command.h"
#include "train/progress.h"
#include "train/stop_signal.h"
#include "train/trainer.h"

namespace heed {
namespace {

int run_info() {
  BuildInfo b = build_info();
  std::cout << "heed " << b.version << " (commit " << b.git_commit << ", " << b.build_type << ")\n"
            << "compiler: " << b.compiler << "\n"
            << "oneDNN:   " << b.onednn << "\n"
            << "threads:  " << b.threads << "\n";
  return 0;
}

int run_train(const std::string& config_path, const std::vector<std::string>& overrides,
              const std::string& resume, const std::string& command_line) {
  install_kill_point_from_env();  // crash tests only; unset in normal use
  TrainOptions opts;
  opts.command_line = command_line;
  opts.terminal = stderr_is_terminal();
  Config config;
  if (!resume.empty()) {
    if (!config_path.empty())
      throw ConfigError("--resume takes the run's own config; drop " + config_path);
    config = run_config(resume, overrides);
    opts.resume = true;
    opts.config_source = resume + "/config.yaml";
  } else {
    config = load_config(config_path, overrides);
    opts.config_source = config_path.empty() ? "<default copy config>" : config_path;
  }
  TrainSummary s = train(config, opts);
  std::printf("%s after %lld steps (%.1f s): ", s.stop_reason.c_str(),
              static_cast<long long>(s.steps), s.train_seconds);
  for (const auto& [k, v] : s.eval) std::printf("%s %.4f  ", k.c_str(), v);
  if (s.skipped_steps > 0)
    std::printf("(%lld steps skipped: non-finite)", static_cast<long long>(s.skipped_steps));
  std::printf("\nrun directory: %s\n", s.out_dir.c_str());
  if (s.stop_reason == "interrupted") {
    std::fprintf(stderr,
                 "heed: interrupted; checkpoint written. Continue with: heed train --resume %s\n",
                 s.out_dir.c_str());
    return stop_exit_code();  // 130 for SIGINT, 143 for SIGTERM
  }
  return 0;
}

}  // namespace
}  // namespace heed

int main(int argc, char** argv) {
  using namespace heed;
  CLI::App app{"heed: a small, fast C++ framework for training transformers"};
  app.set_version_flag("--version", std::string("heed ") + build_info().version);
  app.require_subcommand(1);

  CLI::App* info =
      app.add_subcommand("info", "Show the build: version, commit, compiler, oneDNN ISA, threads");

  CLI::App* train_cmd = app.add_subcommand(
      "train", "Train a model from a YAML config (default: the embedded copy task)");
  std::string config_path, resume;
  std::vector<std::string> overrides;
  train_cmd->add_option("config", config_path,
                        "YAML config file (omit for the embedded copy-task default)");
  train_cmd->add_option("--set", overrides, "Override a key: --set model.d_model=64 (repeatable)");
  train_cmd->add_option("--resume", resume,
                        "Continue the run in this directory from its latest checkpoint");

  CLI::App* config_cmd = app.add_subcommand("config", "Work with configs");
  config_cmd->require_subcommand(1);
  CLI::App* show =
      config_cmd->add_subcommand("show", "Print the resolved config, defaults filled in");
  std::string show_path;
  std::vector<std::string> show_overrides;
  show->add_option("config", show_path, "YAML config file (omit for the default)");
  show->add_option("--set", show_overrides, "Override a key (repeatable)");
  CLI::App* keys = config_cmd->add_subcommand(
      "keys", "Print every config key with its default and meaning (Markdown)");

  CLI::App* list = app.add_subcommand(
      "list",
      "List every name a config can use: tasks, attention variants, models, positions, ...");
  std::string what;
  list->add_option("kind", what, "One kind to list (default: all): " + join(list_kinds(), " | "))
      ->check(CLI::IsMember(list_kinds()));

  EvalArgs eval_args;
  CLI::App* eval_cmd =
      app.add_subcommand("eval", "Evaluate a run directory or checkpoint on fresh held-out data");
  eval_cmd
      ->add_option("path", eval_args.path,
                   "Run directory (uses its best checkpoint) or checkpoint directory")
      ->required();
  eval_cmd->add_option("--lengths", eval_args.lengths,
                       "Also evaluate at these source lengths (length generalization)");
  eval_cmd
      ->add_option("--examples", eval_args.examples,
                   "Examples per evaluation (default: the config's)")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  eval_cmd->add_flag("--json", eval_args.json, "Print one JSON object");
  CLI::Option* test_flag =
      eval_cmd->add_flag("--test", eval_args.test,
                         "Score a seeded test set disjoint from training and validation data "
                         "(generated tasks)");
  eval_cmd
      ->add_option(
          "--data", eval_args.data,
          "Score this file of source<TAB>target lines instead (tasks reading files; tasks over "
          "trees: S-expression<TAB>target)")
      ->excludes(test_flag);

  PredictArgs predict_args;
  CLI::App* predict_cmd = app.add_subcommand("predict", "Decode one input with a trained model");
  predict_cmd->add_option("path", predict_args.path, "Run directory or checkpoint directory")
      ->required();
  predict_cmd
      ->add_option("input", predict_args.input,
                   "Source token ids, e.g. \"3 7 1 9\"; for tree tasks an S-expression, "
                   "e.g. \"[MAX 2 9 [MIN 4 7 ] 0 ]\"")
      ->required();
  predict_cmd->add_option("--strategy", predict_args.strategy, "greedy | sample | beam")
      ->check(CLI::IsMember({"greedy", "sample", "beam"}));
  predict_cmd->add_option("--beam", predict_args.beam, "Beam width")
      ->check(CLI::Range(int64_t{1}, int64_t{256}));
  predict_cmd->add_option("--temperature", predict_args.temperature, "Sampling temperature")
      ->check(CLI::Range(0.0f, 100.0f));
  predict_cmd
      ->add_option("--top-k", predict_args.top_k, "Sample among the k likeliest tokens (0: all)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  predict_cmd->add_option("--seed", predict_args.seed, "Sampling seed");
  predict_cmd->add_option("--max-len", predict_args.max_len, "Longest output (default: the task's)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16));
  predict_cmd->add_flag("--attention", predict_args.attention,
                        "Also print the attention maps: the encoder's self-attention, then "
                        "the decoder's attention over the source while it wrote the output");

  DataArgs data_args;
  CLI::App* data_cmd = app.add_subcommand(
      "data",
      "Print a generated task's examples as a file (source<TAB>target) for a task reading files");
  data_cmd->add_option("config", data_args.config, "YAML config file (omit for the default)");
  data_cmd->add_option("--set", data_args.overrides, "Override a key (repeatable)");
  data_cmd->add_option("--split", data_args.split, "train | valid | test (heed eval --test's)")
      ->capture_default_str()
      ->check(CLI::IsMember({"train", "valid", "test"}));
  data_cmd->add_option("--first", data_args.first, "Index of the first example")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  data_cmd->add_option("--examples", data_args.examples, "How many")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));

  std::string export_path, export_to;
  CLI::App* export_cmd = app.add_subcommand(
      "export", "Write a checkpoint's parameters as one safetensors file (loads in PyTorch)");
  export_cmd->add_option("path", export_path, "Run directory or checkpoint directory")->required();
  export_cmd->add_option("--to", export_to, "Output file, e.g. model.safetensors")->required();

  CLI::App* bench_cmd = app.add_subcommand(
      "bench",
      "Time training steps of a PyTorch-reference workload (benchmarks/torch_reference.py)");
  std::string bench_workload;
  BenchOptions bench_opts;
  bool bench_as_json = false;
  bench_cmd->add_option("--workload", bench_workload, "copy-tiny | sort-small | long-lm")
      ->required()
      ->check(CLI::IsMember(bench_workload_names()));
  bench_cmd->add_option("--steps", bench_opts.steps, "Timed steps after warm-up")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  bench_cmd->add_option("--warmup", bench_opts.warmup, "Untimed warm-up steps run first")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  bench_cmd->add_option("--threads", bench_opts.threads, "Threads for every kernel")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  bench_cmd->add_option("--seed", bench_opts.seed, "Seed for initialization, dropout and data")
      ->capture_default_str();
  bench_cmd->add_flag("--json", bench_as_json, "Print one JSON line (what compare.sh reads)");

  GradcheckArgs gradcheck_args;
  CLI::App* gradcheck_cmd = app.add_subcommand(
      "gradcheck", "Check an attention variant's gradients against finite differences");
  gradcheck_cmd
      ->add_option("--attention", gradcheck_args.attention,
                   "A registered variant (heed list attention), or all")
      ->required();
  gradcheck_cmd->add_option("--option", gradcheck_args.options,
                            "A variant option KEY=VALUE, e.g. --option width=2 (repeatable)");
  gradcheck_cmd->add_option("--seed", gradcheck_args.seed, "Seed of inputs and parameters")
      ->capture_default_str();

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
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  try {
    if (*info) return run_info();
    if (*list) return run_list(what);
    if (*show) {
      std::fputs(config_to_yaml(load_config(show_path, show_overrides)).c_str(), stdout);
      return 0;
    }
    if (*keys) {
      std::fputs(config_reference().c_str(), stdout);
      return 0;
    }
    if (*train_cmd) return run_train(config_path, overrides, resume, command_line);
    if (*bench_cmd) return run_bench_command(bench_workload, bench_opts, bench_as_json);
    if (*eval_cmd) return run_eval(eval_args);
    if (*predict_cmd) return run_predict(predict_args);
    if (*export_cmd) return run_export(export_path, export_to);
    if (*data_cmd) return run_data(data_args);
    if (*gradcheck_cmd) return run_gradcheck(gradcheck_args);
  } catch (const Error& e) {  // ConfigError, checkpoint and file errors: bad input
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::fprintf(stderr, "heed: %s\n", msg.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heed: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
