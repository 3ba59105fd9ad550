#include "train/experiment/run_state.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

#include "datasets/task_registry.h"
#include "framework/io/atomic_file.h"
#include "train/run_loader.h"

namespace heed {
namespace fs = std::filesystem;
using json = nlohmann::json;

const char* status_name(RunStatus s) {
  switch (s) {
    case RunStatus::kPending:
      return "pending";
    case RunStatus::kInterrupted:
      return "interrupted";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kFailed:
      return "failed";
  }
  return "?";
}

bool scores_test_stream(const Config& c) {
  const TaskSetup setup =
      task_setup(c.task.name, c.task.options, c.task.min_len, c.task.max_len, c.train.bucketing);
  return !task_capabilities(setup).reads_files;
}

RunState run_state(const ExperimentPlan& plan, const PlannedRun& run) {
  RunState s;
  const std::string failed = run_file(plan, run, "failed");
  if (fs::exists(failed)) {
    s.status = RunStatus::kFailed;
    s.next = RunAction::kNone;
    s.failure = read_file(failed);
    while (!s.failure.empty() && s.failure.back() == '\n') s.failure.pop_back();
    return s;
  }
  const std::string dir = run_dir(plan, run);
  if (fs::exists(fs::path(dir) / "final.json")) {
    const bool tested =
        !scores_test_stream(run.config) || fs::exists(run_file(plan, run, "test.json"));
    s.status = tested ? RunStatus::kFinished : RunStatus::kInterrupted;
    s.next = tested ? RunAction::kNone : RunAction::kTest;
    return s;
  }
  if (!latest_checkpoint(dir).empty()) {
    s.status = RunStatus::kInterrupted;
    s.next = RunAction::kResume;
  }
  return s;
}

void record_failure(const ExperimentPlan& plan, const PlannedRun& run, const std::string& reason) {
  write_file_atomically(run_file(plan, run, "failed"), reason + "\n");
}

void clear_failure(const ExperimentPlan& plan, const PlannedRun& run) {
  fs::remove(run_file(plan, run, "failed"));
}

RunUsage read_usage(const ExperimentPlan& plan, const PlannedRun& run) {
  const std::string path = run_file(plan, run, "usage.json");
  RunUsage u;
  if (!fs::exists(path)) return u;
  const json j = json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(path + ": not a usage record (JSON)");
  u.wall_s = j.value("wall_s", 0.0);
  u.peak_rss_mb = j.value("peak_rss_mb", 0.0);
  return u;
}

void add_usage(const ExperimentPlan& plan, const PlannedRun& run, double wall_s,
               double peak_rss_mb) {
  RunUsage u = read_usage(plan, run);
  u.wall_s += wall_s;
  u.peak_rss_mb = std::max(u.peak_rss_mb, peak_rss_mb);
  write_file_atomically(run_file(plan, run, "usage.json"),
                        json{{"wall_s", u.wall_s}, {"peak_rss_mb", u.peak_rss_mb}}.dump() + "\n");
}

}  // namespace heed
