#include "train/run_directory.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "framework/io/atomic_file.h"
#include "framework/runtime.h"
#include "train/build_info.h"
#include "train/task_state.h"

namespace heed {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Keeps the metrics lines at or before `step` (a resume cuts what came after the checkpoint).
void cut_metrics(const fs::path& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("step")) continue;  // a torn last line from a crash
    if (!j["step"].is_number_integer())  // not heed's: an edited file; get<> would throw
      throw Error(path.string() + ": a line's \"step\" is not an integer: " + line.substr(0, 80));
    if (j["step"].get<int64_t>() <= step) kept += line + "\n";
  }
  write_file_atomically(path.string(), kept);
}

}  // namespace

void create_run_directory(const Config& config, const std::string& config_yaml, const Task& task,
                          const std::string& command_line) {
  const fs::path out(config.out_dir);
  // The error_code form: a bad out_dir (a path through a file, /dev/full) is bad input, which
  // must reach the user as one heed::Error naming the key, not as a filesystem_error.
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec)
    throw ConfigError("out_dir " + config.out_dir + ": cannot create the run directory (" +
                      ec.message() + ")");
  fs::remove(out / "final.json", ec);  // a run trained here before
  write_file_atomically((out / "config.yaml").string(), config_yaml);
  BuildInfo b = build_info();
  json run = {{"heed_version", b.version},    {"git_commit", b.git_commit},
              {"build_type", b.build_type},   {"compiler", b.compiler},
              {"onednn", b.onednn},           {"threads", num_threads()},
              {"command_line", command_line}, {"start_time", now_iso()}};
  write_file_atomically((out / "run.json").string(), run.dump(2) + "\n");
  write_task_files(task, out.string());
  write_file_atomically((out / "metrics.jsonl").string(), "");
}

void reopen_run_directory(const std::string& out_dir, const std::string& config_yaml,
                          int64_t step) {
  const fs::path out(out_dir);
  cut_metrics(out / "metrics.jsonl", step);  // first: it refuses a metrics file not heed's
  fs::remove(out / "final.json");            // the run continues: finished again when it ends
  write_file_atomically((out / "config.yaml").string(), config_yaml);
}

void write_final_marker(const std::string& out_dir, const json& final) {
  write_file_atomically((fs::path(out_dir) / "final.json").string(), final.dump(2) + "\n");
}

Config run_config(const std::string& run_dir, const std::vector<std::string>& overrides) {
  fs::path p = fs::path(run_dir) / "config.yaml";
  if (!fs::exists(p)) throw ConfigError(run_dir + ": not a heed run directory (no config.yaml)");
  Config c = load_config(p.string(), overrides);
  c.out_dir = run_dir;
  return c;
}

MetricsLog::MetricsLog(const std::string& run_dir) {
  const fs::path path = fs::path(run_dir) / "metrics.jsonl";
  out_.open(path, std::ios::app);
  if (!out_)
    throw Error(path.string() + ": cannot open for appending (" + std::strerror(errno) + ")");
}

void MetricsLog::write(const json& line) {
  out_ << line.dump() << "\n";
  out_.flush();
}

}  // namespace heed
