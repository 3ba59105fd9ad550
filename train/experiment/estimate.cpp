#include "train/experiment/estimate.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "framework/io/atomic_file.h"
#include "framework/text.h"
#include "train/experiment/child_process.h"
#include "train/experiment/run_state.h"
#include "train/stop_signal.h"

namespace heed {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

// A fresh directory under the system's temporary one, removed with this object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "heed-probe-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw Error(pattern + ": cannot create a directory");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The probe's config: `config` trained kProbeSteps steps, every step logged, an evaluation
// half-way and at the end, nothing that stops it early.
Config probe_config(Config config, const fs::path& dir) {
  config.out_dir = (dir / "run").string();
  config.train.steps = kProbeSteps;
  config.train.log_every = 1;
  config.train.eval_every = kProbeSteps / 2;
  config.train.checkpoint_every = kProbeSteps;
  config.train.stop_at.clear();
  config.train.max_minutes = 0;
  return config;
}

// What makes two runs time alike: their config apart from seed and out_dir.
std::string timing_key(Config config) {
  config.seed = 0;
  config.out_dir.clear();
  return config_to_yaml(config);
}

}  // namespace

ProbeTiming probe_timing(const std::string& metrics_jsonl, double wall_s) {
  ProbeTiming t;
  t.wall_s = wall_s;
  std::map<int64_t, double> elapsed;  // step -> elapsed_s
  for (const std::string& line : split(metrics_jsonl, '\n')) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("step") && j["step"].is_number_integer() &&
        j.contains("elapsed_s") && j["elapsed_s"].is_number())
      elapsed[j["step"].get<int64_t>()] = j["elapsed_s"].get<double>();
  }
  const int64_t eval_step = kProbeSteps / 2;
  std::vector<double> steps;
  for (int64_t k = 2; k <= kProbeSteps; ++k)
    if (k != eval_step + 1 && elapsed.count(k) && elapsed.count(k - 1))
      steps.push_back(elapsed[k] - elapsed[k - 1]);
  if (steps.size() < 3 || !elapsed.count(eval_step) || !elapsed.count(eval_step + 1)) {
    t.error = "the probe logged too few steps";
    return t;
  }
  std::nth_element(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2),
                   steps.end());
  t.step_s = steps[steps.size() / 2];
  t.eval_s = std::max(0.0, elapsed[eval_step + 1] - elapsed[eval_step] - t.step_s);
  t.start_end_s =
      std::max(0.0, wall_s - static_cast<double>(kProbeSteps) * t.step_s - 2 * t.eval_s);
  return t;
}

ProbeTiming run_probe(const Config& config, const std::string& executable) {
  const TempDir tmp;
  const Config probe = probe_config(config, tmp.path());
  const std::string yaml = (tmp.path() / "config.yaml").string();
  const std::string log = (tmp.path() / "probe.log").string();
  write_file_atomically(yaml, config_to_yaml(probe));
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = start_child({{executable, "train", yaml}, log, ""});
  std::optional<ChildExit> exit;
  bool killed = false;
  while (!(exit = reap_child()) || exit->pid != pid) {
    if (stop_requested() && !killed) killed = ::kill(pid, SIGKILL) == 0;  // then reaped
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (killed) return {0, 0, 0, 0, "interrupted"};
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (exit_code(exit->status) != 0) {
    ProbeTiming t;
    const std::string reason = last_heed_line(log);
    t.error = "the probe failed: " + (reason.empty() ? describe_exit(exit->status) : reason);
    return t;
  }
  return probe_timing(read_file(probe.out_dir + "/metrics.jsonl"), wall);
}

double estimate_run_s(const Config& config, const ProbeTiming& p) {
  if (!p.error.empty()) return std::numeric_limits<double>::quiet_NaN();
  const TrainConfig& tc = config.train;
  const int64_t evals = tc.steps / tc.eval_every + (tc.steps % tc.eval_every != 0 ? 1 : 0);
  double s = static_cast<double>(tc.steps) * p.step_s + static_cast<double>(evals) * p.eval_s +
             p.start_end_s;
  if (scores_test_stream(config)) s += p.eval_s + p.start_end_s;
  return s;
}

double schedule_s(const std::vector<double>& durations, int64_t jobs) {
  std::vector<double> ends(static_cast<std::size_t>(std::max<int64_t>(1, jobs)), 0.0);
  for (double d : durations) {
    auto first_free = std::min_element(ends.begin(), ends.end());
    *first_free += d;
  }
  return *std::max_element(ends.begin(), ends.end());
}

std::vector<double> estimate_runs(const ExperimentPlan& plan, const std::string& executable,
                                  std::FILE* out) {
  std::map<std::string, ProbeTiming> probes;
  std::vector<double> estimates;
  for (const PlannedRun& r : plan.runs) {
    if (stop_requested()) break;
    if (run_state(plan, r).status == RunStatus::kFinished) {  // nothing left to time
      estimates.push_back(0);
      continue;
    }
    const std::string key = timing_key(r.config);
    if (!probes.count(key)) {
      const ProbeTiming& p = probes[key] = run_probe(r.config, executable);
      if (p.error.empty())
        std::fprintf(out,
                     "probe of run %lld (%s): %.4g s a step, %.3g s an evaluation, %.3g s start "
                     "and end (%lld steps in %.3g s)\n",
                     static_cast<long long>(r.number), r.name.c_str(), p.step_s, p.eval_s,
                     p.start_end_s, static_cast<long long>(kProbeSteps), p.wall_s);
      else
        std::fprintf(out, "probe of run %lld (%s): no estimate: %s\n",
                     static_cast<long long>(r.number), r.name.c_str(), p.error.c_str());
      std::fflush(out);
    }
    estimates.push_back(estimate_run_s(r.config, probes[key]));
  }
  return estimates;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  char buf[48];
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s < 90)
    std::snprintf(buf, sizeof buf, "%lld s", s);
  else if (s < 5400)
    std::snprintf(buf, sizeof buf, "%lld min", (s + 30) / 60);
  else
    std::snprintf(buf, sizeof buf, "%lld h %lld min", s / 3600, (s % 3600 + 30) / 60);
  return buf;
}

}  // namespace heed
