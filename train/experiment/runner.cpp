#include "train/experiment/runner.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <ios>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "framework/io/atomic_file.h"
#include "train/experiment/child_process.h"
#include "train/experiment/run_state.h"
#include "train/run_lock.h"
#include "train/stop_signal.h"

namespace heed {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::streamoff file_size(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::streamoff>(n);
}

// One child at work for one run.
struct Slot {
  pid_t pid = 0;
  const PlannedRun* run = nullptr;
  RunAction action = RunAction::kNone;
  Clock::time_point start;
  std::streamoff log_offset = 0;  // where this child's output begins in the run's log
};

class Runner {
 public:
  Runner(const ExperimentPlan& plan, const RunnerOptions& options) : plan_(plan), opts_(options) {}
  RunnerOutcome run();

 private:
  bool start(const PlannedRun& run, RunAction action);
  void finished(const Slot& slot, const ChildExit& exit);
  void fail(const PlannedRun& run, const std::string& reason);
  bool keep_test_scores(const PlannedRun& run);
  void say(const PlannedRun& run, const std::string& what) {
    std::fprintf(opts_.progress, "[%lld/%zu] %s: %s\n", static_cast<long long>(run.number),
                 plan_.runs.size(), run.name.c_str(), what.c_str());
    std::fflush(opts_.progress);
  }

  const ExperimentPlan& plan_;
  const RunnerOptions& opts_;
  std::vector<Slot> slots_;
  RunnerOutcome outcome_;
};

bool Runner::start(const PlannedRun& run, RunAction action) {
  const std::string dir = run_dir(plan_, run), log = run_file(plan_, run, "log");
  std::vector<std::string> argv = {opts_.executable};
  ChildSpec spec{{}, log, ""};
  if (action == RunAction::kTrain) {
    const std::string config =
        (fs::path(plan_.out_dir) / "configs" / (run.name + ".yaml")).string();
    write_file_atomically(config, config_to_yaml(run.config));
    argv.insert(argv.end(), {"train", config});
  } else if (action == RunAction::kResume) {
    argv.insert(argv.end(), {"train", "--resume", dir});
  } else {
    spec.stdout_path = run_file(plan_, run, "test.json.tmp");
    spec.stderr_path = log;
    fs::remove(spec.stdout_path);
    argv.insert(argv.end(), {"eval", dir, "--test", "--json"});
  }
  spec.argv = argv;
  Slot slot{0, &run, action, Clock::now(), file_size(log)};
  slot.pid = start_child(spec);
  slots_.push_back(slot);
  say(run, action == RunAction::kTrain    ? "training (log: " + log + ")"
           : action == RunAction::kResume ? "resuming (log: " + log + ")"
                                          : "scoring the test stream");
  return true;
}

// `heed eval --test --json`'s output becomes NAME.test.json; false (the run failed) without it.
bool Runner::keep_test_scores(const PlannedRun& run) {
  const std::string tmp = run_file(plan_, run, "test.json.tmp");
  const json j = json::parse(read_file(tmp), nullptr, false);
  fs::remove(tmp);
  if (j.is_discarded() || !j.contains("test")) {
    fail(run, "heed eval --test printed no scores");
    return false;
  }
  write_file_atomically(run_file(plan_, run, "test.json"),
                        json{{"test", j["test"]}}.dump(2) + "\n");
  return true;
}

void Runner::fail(const PlannedRun& run, const std::string& reason) {
  record_failure(plan_, run, reason);
  ++outcome_.failed;
  say(run, "failed: " + reason);
}

// A child ended: record its usage; then the run's next step, its failure, or its end.
void Runner::finished(const Slot& slot, const ChildExit& exit) {
  const PlannedRun& run = *slot.run;
  const double wall = std::chrono::duration<double>(Clock::now() - slot.start).count();
  add_usage(plan_, run, wall, exit.peak_rss_mb);
  const int code = exit_code(exit.status);
  const bool stopping = outcome_.stop_signal != 0;
  if (code == 130 || code == 143 || (stopping && code != 0))
    return say(run, "interrupted (" + describe_exit(exit.status) + "); a rerun resumes it");
  if (code != 0) {
    // heed's own failures (exit code 1 or 2) end with their one-line reason; a signal (the
    // kernel's OOM killer, say) leaves only the banner lines behind, which would mislead.
    const std::string how = describe_exit(exit.status);
    const std::string line =
        code == 1 || code == 2 ? last_heed_line(run_file(plan_, run, "log"), slot.log_offset) : "";
    return fail(run, line.empty() ? how : line + " (" + how + ")");
  }
  if (slot.action == RunAction::kTest && !keep_test_scores(run)) return;
  const RunState next = run_state(plan_, run);
  if (next.next == RunAction::kNone) return say(run, "finished");
  if (stopping) return;
  if (next.next == slot.action)  // the child succeeded without doing its part: never loop
    return fail(run, "no final.json after a successful heed train");
  start(run, next.next);
}

RunnerOutcome Runner::run() {
  StopSignals signals;  // Ctrl-C and SIGTERM are recorded, passed on, and end the loop
  std::size_t next = 0;
  bool forwarded = false;
  std::vector<const PlannedRun*> todo;
  for (const PlannedRun& r : plan_.runs)
    if ((opts_.only == 0 || r.number == opts_.only) && (r.number - 1) % opts_.ranks == opts_.rank)
      todo.push_back(&r);
  // After a stop signal, no run starts: the loop only waits for the running ones.
  while (!slots_.empty() || (stop_signal() == 0 && next < todo.size())) {
    outcome_.stop_signal = stop_signal();
    if (outcome_.stop_signal != 0 && !forwarded) {
      for (const Slot& s : slots_) ::kill(s.pid, outcome_.stop_signal);
      forwarded = true;
    }
    while (outcome_.stop_signal == 0 && next < todo.size() &&
           static_cast<int64_t>(slots_.size()) < opts_.jobs) {
      const PlannedRun& run = *todo[next++];
      if (opts_.retry_failed) clear_failure(plan_, run);
      const RunState state = run_state(plan_, run);
      if (state.status == RunStatus::kFailed)
        say(run, "failed before: " + state.failure + " (--retry-failed reruns it)");
      if (state.next != RunAction::kNone && run_directory_busy(run_dir(plan_, run)))
        say(run, "another process is training it (an experiment started twice?): left to it");
      else if (state.next != RunAction::kNone)
        start(run, state.next);
    }
    std::optional<ChildExit> exit = reap_child();
    if (!exit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].pid == exit->pid) {
        const Slot slot = slots_[i];
        slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
        finished(slot, *exit);
        break;
      }
  }
  outcome_.stop_signal = stop_signal();
  return outcome_;
}

}  // namespace

RunnerOutcome execute_plan(const ExperimentPlan& plan, const RunnerOptions& options) {
  fs::create_directories(fs::path(plan.out_dir) / "runs");
  fs::create_directories(fs::path(plan.out_dir) / "configs");
  return Runner(plan, options).run();
}

}  // namespace heed
