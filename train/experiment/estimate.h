// `heed experiment --dry-run`'s time estimate. A timed probe trains the first unfinished run of
// each distinct config (the runs' configs apart from seed and out_dir) for kProbeSteps steps with
// an evaluation half-way, as a child `heed train` in a temporary directory that is removed after,
// and reads back from its metrics.jsonl the time of a training step (the median step) and of an
// evaluation; the rest of the child's wall time is its start and end. A run's estimate is then
//
//   steps x step + evaluations x evaluation + start and end (+ an evaluation and a start for
//   the test stream's scores)
//
// measured alone: runs at once (--jobs) that share cores are slower. The total is the time the
// unfinished runs take when started in run order, --jobs at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "train/experiment/run_plan.h"

namespace heed {

inline constexpr int64_t kProbeSteps = 10;

struct ProbeTiming {
  double step_s = 0, eval_s = 0, start_end_s = 0;
  double wall_s = 0;  // the probe's own time
  std::string error;  // why the probe has no timing ("" when it has)
};

// The timing from a probe's metrics.jsonl text (step lines with elapsed_s, an evaluation after
// step kProbeSteps / 2) and its child's wall time.
ProbeTiming probe_timing(const std::string& metrics_jsonl, double wall_s);

// Runs the probe of `config` with `executable` (the heed binary). A stop requested meanwhile
// (stop_signal.h) kills it: no timing, and its temporary directory is removed all the same.
ProbeTiming run_probe(const Config& config, const std::string& executable);

// One run's estimated seconds from its config's probe.
double estimate_run_s(const Config& config, const ProbeTiming& probe);

// The time `durations` take started in order, `jobs` at a time (each as soon as one ends).
double schedule_s(const std::vector<double>& durations, int64_t jobs);

// Probes the distinct configs of the plan's unfinished runs, a line on `out` for each, and
// returns every run's estimated seconds (0 for a finished run, NaN where its config's probe
// failed); after a stop request, fewer.
std::vector<double> estimate_runs(const ExperimentPlan& plan, const std::string& executable,
                                  std::FILE* out);

// "45 s", "12 min", "3 h 20 min".
std::string format_duration(double seconds);

}  // namespace heed
