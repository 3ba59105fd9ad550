#include "train/experiment/experiment_command.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "datasets/task_registry.h"
#include "framework/dist.h"
#include "framework/io/atomic_file.h"
#include "train/experiment/child_process.h"
#include "train/experiment/estimate.h"
#include "train/experiment/results.h"
#include "train/experiment/results_html.h"
#include "train/experiment/results_plots.h"
#include "train/experiment/results_table.h"
#include "train/experiment/runner.h"
#include "train/stop_signal.h"

namespace heed {
namespace {
namespace fs = std::filesystem;

// The numbered runs with their status and, given `estimates` (one per run), each unfinished
// run's estimated time and the total with `jobs`.
void print_plan(const ExperimentPlan& plan, const std::vector<double>& estimates, int64_t jobs,
                std::FILE* out) {
  const ExperimentFile& f = plan.file;
  std::size_t cells = 1;
  for (const GridAxis& a : f.grid) cells *= a.values.size();
  std::fprintf(out, "%zu runs (%zu variants x %zu grid cells x %zu seeds) in %s/runs:\n",
               plan.runs.size(), f.variants.size(), cells, std::max<std::size_t>(1, f.seeds.size()),
               plan.out_dir.c_str());
  std::vector<double> left;  // the unfinished runs' estimates, in run order
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& r = plan.runs[i];
    const RunStatus status = run_state(plan, r).status;
    std::string estimate;
    if (!estimates.empty() && status != RunStatus::kFinished) {
      left.push_back(estimates[i]);
      estimate = format_duration(estimates[i]);
    }
    std::fprintf(out, "%4lld  %-40s %-12s %s%s\n", static_cast<long long>(r.number), r.name.c_str(),
                 status_name(status), estimate.empty() ? "" : "~", estimate.c_str());
  }
  if (estimates.empty()) {
    std::fprintf(out, "(no time estimate: --no-probe)\n");
    return;
  }
  std::fprintf(out,
               "estimated time: ~%s for the %zu unfinished runs with --jobs %lld (an estimate "
               "from the probes above, each run timed alone: runs sharing cores take longer)\n",
               format_duration(schedule_s(left, jobs)).c_str(), left.size(),
               static_cast<long long>(jobs));
}

// A warning when the runs at once would ask for more threads than the machine has cores.
void warn_oversubscription(const ExperimentPlan& plan, int64_t jobs) {
  const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  int64_t threads = 1;
  for (const PlannedRun& r : plan.runs)
    threads = std::max(threads, r.config.threads == 0 ? cores : r.config.threads);
  const int64_t at_once = std::min<int64_t>(jobs, static_cast<int64_t>(plan.runs.size()));
  if (at_once * threads > cores)
    std::fprintf(stderr,
                 "heed: warning: --jobs %lld x %lld threads a run is more than the %ld cores; runs "
                 "will be slower than alone (set threads: 1 in the experiment's set)\n",
                 static_cast<long long>(jobs), static_cast<long long>(threads), cores);
}

// results.csv, results.md, plots/ and report.html, each written atomically; the number of
// failed runs.
int64_t write_results(const ExperimentPlan& plan, std::FILE* out) {
  const std::vector<RunResult> results = collect_results(plan);
  const fs::path dir(plan.out_dir);
  const std::string md = results_markdown(plan, results);
  write_file_atomically((dir / "results.csv").string(), results_csv(plan, results));
  write_file_atomically((dir / "results.md").string(), md);
  const std::vector<std::string> plots = write_results_plots(plan, results);
  write_file_atomically((dir / "report.html").string(),
                        results_html(fs::path(plan.file.path).filename().string(), md, plots));
  int64_t failed = 0;
  for (const RunResult& r : results) failed += r.status == RunStatus::kFailed;
  const char* d = plan.out_dir.c_str();
  std::fprintf(out, "results: %s/results.csv, %s/results.md, %s/report.html, %s/plots/\n", d, d, d,
               d);
  return failed;
}

// select.by must be a metric every run reports: an evaluation length it evaluates, the test
// stream of a generated task.
void check_select(const ExperimentPlan& plan) {
  if (!plan.file.select) return;
  const ExperimentSelect& sel = *plan.file.select;
  const std::string source = sel.by.substr(0, sel.by.find('.'));
  for (const PlannedRun& r : plan.runs) {
    const std::string run = "run " + std::to_string(r.number) + " (" + r.name + ")";
    if (source.rfind("eval_length_", 0) == 0) {
      const int64_t len = std::stoll(source.substr(12));
      const std::vector<int64_t>& lengths = r.config.task.eval_lengths;
      if (std::find(lengths.begin(), lengths.end(), len) == lengths.end())
        throw ConfigError(sel.where + ": select.by: " + run + " does not evaluate at length " +
                          std::to_string(len) + " (add it to task.eval_lengths)");
    }
    const Config& c = r.config;
    const TaskSetup setup =
        task_setup(c.task.name, c.task.options, c.task.min_len, c.task.max_len, c.train.bucketing);
    if (sel.by.ends_with(".accuracy") && task_capabilities(setup).targets != TargetKind::kClass)
      throw ConfigError(sel.where + ": select.by: " + run + " writes sequences: it reports " +
                        "exact_seq_acc, accuracy is a classifier's");
    if (source == "test" && !scores_test_stream(r.config))
      throw ConfigError(sel.where + ": select.by: " + run + "'s task reads files: it has no " +
                        "test stream");
  }
}

bool all_ended(const ExperimentPlan& plan) {
  return std::all_of(plan.runs.begin(), plan.runs.end(), [&](const PlannedRun& r) {
    const RunStatus s = run_state(plan, r).status;
    return s == RunStatus::kFinished || s == RunStatus::kFailed;
  });
}

}  // namespace

std::string default_experiment_dir(const std::string& path) {
  return (fs::path("runs") / fs::path(path).stem()).string();
}

int run_experiment(const ExperimentArgs& args) {
  const ExperimentFile file = read_experiment(args.path);
  const ExperimentPlan plan =
      plan_experiment(file, args.out.empty() ? default_experiment_dir(args.path) : args.out);
  check_select(plan);
  const auto n = static_cast<int64_t>(plan.runs.size());
  if (args.only < 0 || args.only > n)
    throw ConfigError("--only " + std::to_string(args.only) + ": the experiment has runs 1 to " +
                      std::to_string(n) + " (heed experiment --dry-run lists them)");
  if (args.jobs < 1) throw ConfigError("--jobs " + std::to_string(args.jobs) + ": must be >= 1");
  const bool ranked = dist::size() > 1;  // mpirun: each rank trains its share of the runs
  if (ranked && (args.only != 0 || args.dry_run))
    throw ConfigError(std::string(args.only ? "--only" : "--dry-run") +
                      " is one process's work: start it without mpirun");
  if (dist::is_root()) warn_oversubscription(plan, args.jobs);
  const std::string executable = args.executable.empty() ? self_executable() : args.executable;
  if (args.dry_run) {
    const StopSignals signals;  // Ctrl-C during a probe: no probe directory is left behind
    const std::vector<double> estimates =
        args.no_probe ? std::vector<double>{} : estimate_runs(plan, executable, args.out_stream);
    if (stop_requested()) return stop_exit_code();
    print_plan(plan, estimates, args.jobs, args.out_stream);
    return 0;
  }
  const StopSignals signals;  // held until the results: a rank done early still sees a stop
  fs::create_directories(plan.out_dir);
  if (dist::is_root())
    write_file_atomically((fs::path(plan.out_dir) / "experiment.yaml").string(),
                          read_file(args.path));
  dist::barrier();  // the directory exists before any rank writes in it
  RunnerOptions opts;
  opts.rank = dist::rank();
  opts.ranks = dist::size();
  opts.executable = executable;
  opts.jobs = args.jobs;
  opts.only = args.only;
  opts.retry_failed = args.retry_failed;
  opts.progress = args.out_stream;
  const RunnerOutcome outcome = execute_plan(plan, opts);
  if (outcome.stop_signal != 0) {
    if (dist::is_root())
      std::fprintf(stderr, "heed: experiment stopped; the same command continues it\n");
    return 128 + outcome.stop_signal;
  }
  if (ranked) {  // the results once every rank's share has ended; rank 0 writes them
    // A stop while waiting (mpirun passes Ctrl-C and SIGTERM to every rank) ends this rank too.
    if (!dist::barrier(/*timeout=*/false, [] { return stop_requested(); })) return stop_exit_code();
    if (!dist::is_root()) return 0;
  }
  // 0 when every run this call was asked for (all, or --only's) is finished.
  const bool done = std::all_of(plan.runs.begin(), plan.runs.end(), [&](const PlannedRun& r) {
    return (args.only != 0 && r.number != args.only) ||
           run_state(plan, r).status == RunStatus::kFinished;
  });
  if (!all_ended(plan)) {  // --only, or runs another process trains
    std::fprintf(args.out_stream,
                 "results are written once every run has finished or failed (heed experiment "
                 "--dry-run shows each run's status)\n");
    return done ? 0 : 1;
  }
  const int64_t failed = write_results(plan, args.out_stream);
  if (failed > 0)
    std::fprintf(stderr,
                 "heed: %lld of %lld runs failed (heed experiment --retry-failed reruns "
                 "them; DIR/runs/NAME.log has each one's output)\n",
                 static_cast<long long>(failed), static_cast<long long>(n));
  return done ? 0 : 1;
}

}  // namespace heed
