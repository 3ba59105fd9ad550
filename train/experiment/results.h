// An experiment's results, read back from its run directories (never from memory, so that a
// call that ran some runs and one that ran none write the same files):
//
//   results.csv: one header line, then one row per run in run order:
//     variant, every grid key, seed, status, steps, every metric, wall_s, peak_rss_mb
//   with the metrics under the names metrics.jsonl gives them: from the last evaluation of the
//   training, `eval.M` (the validation set) and `eval_length_N.M` (task.eval_lengths), and from
//   `heed eval RUN --test` (the run's best checkpoint), `test.M`; M is loss, token_acc,
//   exact_seq_acc and, for classifiers, accuracy. Metrics are given for finished runs only.
//   Timing and resource columns, and only those, end in `_s` or `_mb`: everything else is the
//   same whatever --jobs was and however often the experiment was stopped and resumed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "train/experiment/run_plan.h"
#include "train/experiment/run_state.h"

namespace heed {

struct RunResult {
  const PlannedRun* run = nullptr;
  RunStatus status = RunStatus::kPending;
  std::optional<int64_t> steps;
  std::map<std::string, double> metrics;
  RunUsage usage;
};

std::vector<RunResult> collect_results(const ExperimentPlan& plan);

// One cell's runs (its seeds): a variant and values of the grid, in run order.
struct ResultCell {
  std::string variant;
  std::vector<std::string> values;  // the grid's
  std::vector<const RunResult*> runs;
  int64_t finished = 0;
  // How tables and plots name it: the runs' name without the seed ("mha-lr0.001"), or the
  // variant when that is all.
  std::string label() const;
};

std::vector<ResultCell> result_cells(const std::vector<RunResult>& results);

// The metric columns of `results`, in a fixed order: eval.*, eval_length_N.* by N, test.*, each
// group's metrics alphabetically.
std::vector<std::string> metric_columns(const std::vector<RunResult>& results);

// Whether a lower value of `metric` is better (losses).
bool lower_is_better(const std::string& metric);

// A number as every results file writes it: "%.6g".
std::string format_metric(double value);

std::string results_csv(const ExperimentPlan& plan, const std::vector<RunResult>& results);

}  // namespace heed
