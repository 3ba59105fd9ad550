// What an experiment knows of each run, read from disk every time, so that an experiment killed
// at any moment and started again picks up where it stopped. Besides the run directory
// (DIR/runs/NAME/, whose final.json says the training is finished, train/run_directory.h), the
// experiment keeps, each written atomically:
//
//   DIR/runs/NAME.log        the children's stdout and stderr, appended attempt after attempt
//   DIR/runs/NAME.test.json  the held-out test stream's scores ({"test": {...}}, heed eval --test)
//   DIR/runs/NAME.failed     one line: why the run failed (absent once it is retried)
//   DIR/runs/NAME.usage.json wall_s (summed over its children) and peak_rss_mb (their maximum)
#pragma once

#include <string>

#include "train/experiment/run_plan.h"

namespace heed {

enum class RunStatus { kPending, kInterrupted, kFinished, kFailed };
const char* status_name(RunStatus s);  // "pending", "interrupted", "finished", "failed"

// The next thing a run needs: nothing, its training (fresh, or resumed from its checkpoint), or
// the scoring of its test stream after a finished training.
enum class RunAction { kNone, kTrain, kResume, kTest };

struct RunState {
  RunStatus status = RunStatus::kPending;
  RunAction next = RunAction::kTrain;  // kNone for a failed run (unless retried) or a finished one
  std::string failure;                 // a failed run's reason
};

RunState run_state(const ExperimentPlan& plan, const PlannedRun& run);

// Whether a run's results include the test stream (generated tasks: heed eval --test).
bool scores_test_stream(const Config& config);

void record_failure(const ExperimentPlan& plan, const PlannedRun& run, const std::string& reason);
void clear_failure(const ExperimentPlan& plan, const PlannedRun& run);

struct RunUsage {
  double wall_s = 0, peak_rss_mb = 0;
};
RunUsage read_usage(const ExperimentPlan& plan, const PlannedRun& run);
// Adds one child's wall time and peak memory to the run's.
void add_usage(const ExperimentPlan& plan, const PlannedRun& run, double wall_s,
               double peak_rss_mb);

}  // namespace heed
