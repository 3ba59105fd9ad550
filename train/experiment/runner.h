// Runs an experiment's plan: each run is a child process of the heed binary (child_process.h),
// `heed train DIR/configs/NAME.yaml` for a new run, `heed train --resume DIR/runs/NAME` for an
// interrupted one, then `heed eval DIR/runs/NAME --test --json` for a generated task; finished
// runs are skipped and failed ones too unless retried (run_state.h). `jobs` children run at once,
// started in run order. A child that fails marks its run failed with the last "heed: " line of
// its output, and the others go on. SIGINT / SIGTERM are passed on to the running children, which
// checkpoint and stop; no new child starts after one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "train/experiment/run_plan.h"

namespace heed {

struct RunnerOptions {
  std::string executable;  // the heed binary the children run
  int64_t jobs = 1;
  int64_t only = 0;  // > 0: just this run (its number)
  // A share of the runs, for the ranks of `mpirun heed experiment`: runs numbered
  // rank + 1, rank + 1 + ranks, ...
  int rank = 0, ranks = 1;
  bool retry_failed = false;
  std::FILE* progress = stdout;  // a line as each child starts and ends
};

struct RunnerOutcome {
  int stop_signal = 0;  // the SIGINT / SIGTERM that stopped the experiment, or 0
  int64_t failed = 0;   // runs that failed in this call
};

RunnerOutcome execute_plan(const ExperimentPlan& plan, const RunnerOptions& options);

}  // namespace heed
