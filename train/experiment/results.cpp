#include "train/experiment/results.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "framework/io/atomic_file.h"

namespace heed {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

// The numbers of one group of scores ({"loss": .., "exact_seq_acc": ..}) as `prefix`.NAME.
void add_scores(const std::string& prefix, const json& scores, std::map<std::string, double>& out) {
  if (!scores.is_object()) return;
  for (const auto& [k, v] : scores.items())
    if (v.is_number() && k != "examples") out[prefix + "." + k] = v.get<double>();
}

// The last evaluation line of metrics.jsonl: eval.* and eval_length_N.*; and the last step.
void read_metrics(const std::string& path, RunResult& r, bool finished) {
  std::ifstream in(path);
  std::string line;
  json last_eval;
  while (std::getline(in, line)) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // a torn last line
    if (j.contains("step") && j["step"].is_number_integer()) r.steps = j["step"].get<int64_t>();
    if (j.contains("eval")) last_eval = j;
  }
  if (!finished || last_eval.is_null()) return;
  for (const auto& [k, v] : last_eval.items())
    if (k == "eval" || k.rfind("eval_length_", 0) == 0) add_scores(k, v, r.metrics);
}

json read_json(const std::string& path) {
  const json j = json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(path + ": not a JSON object");
  return j;
}

std::tuple<int, long long, std::string> column_order(const std::string& name) {
  const std::string group = name.substr(0, name.find('.')), metric = name.substr(group.size());
  if (group == "eval") return {0, 0, metric};
  if (group.rfind("eval_length_", 0) == 0) return {1, std::stoll(group.substr(12)), metric};
  if (group == "test") return {2, 0, metric};
  return {3, 0, name};
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

bool lower_is_better(const std::string& metric) {
  return metric.size() >= 4 && metric.compare(metric.size() - 4, 4, "loss") == 0;
}

std::string format_metric(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::vector<RunResult> collect_results(const ExperimentPlan& plan) {
  std::vector<RunResult> out;
  for (const PlannedRun& run : plan.runs) {
    RunResult r;
    r.run = &run;
    r.status = run_state(plan, run).status;
    const bool finished = r.status == RunStatus::kFinished;
    const fs::path dir = run_dir(plan, run);
    read_metrics((dir / "metrics.jsonl").string(), r, finished);
    if (finished) {
      r.steps = read_json((dir / "final.json").string()).value("steps", int64_t{0});
      const std::string test = run_file(plan, run, "test.json");
      if (fs::exists(test)) add_scores("test", read_json(test)["test"], r.metrics);
    }
    r.usage = read_usage(plan, run);
    out.push_back(r);
  }
  return out;
}

std::string ResultCell::label() const {
  const std::string& name = runs.front()->run->name;
  const std::size_t seed = name.rfind("-s");
  return seed == std::string::npos ? variant : name.substr(0, seed);
}

std::vector<ResultCell> result_cells(const std::vector<RunResult>& results) {
  std::vector<ResultCell> cells;
  for (const RunResult& r : results) {
    if (cells.empty() || cells.back().variant != r.run->variant ||
        cells.back().values != r.run->cell)
      cells.push_back({r.run->variant, r.run->cell, {}, 0});
    cells.back().runs.push_back(&r);
    if (r.status == RunStatus::kFinished) ++cells.back().finished;
  }
  return cells;
}

std::vector<std::string> metric_columns(const std::vector<RunResult>& results) {
  std::vector<std::string> names;
  for (const RunResult& r : results)
    for (const auto& [k, v] : r.metrics)
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return column_order(a) < column_order(b);
  });
  return names;
}

std::string results_csv(const ExperimentPlan& plan, const std::vector<RunResult>& results) {
  const std::vector<std::string> metrics = metric_columns(results);
  std::vector<std::string> header = {"variant"};
  for (const GridAxis& a : plan.file.grid) header.push_back(a.key);
  header.insert(header.end(), {"seed", "status", "steps"});
  header.insert(header.end(), metrics.begin(), metrics.end());
  header.insert(header.end(), {"wall_s", "peak_rss_mb"});
  std::string csv;
  auto row = [&csv](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) csv += ',';
      csv += csv_field(fields[i]);
    }
    csv += "\n";
  };
  row(header);
  for (const RunResult& r : results) {
    std::vector<std::string> f = {r.run->variant};
    f.insert(f.end(), r.run->cell.begin(), r.run->cell.end());
    f.insert(f.end(), {std::to_string(r.run->seed), status_name(r.status),
                       r.steps ? std::to_string(*r.steps) : ""});
    for (const std::string& m : metrics) {
      auto it = r.metrics.find(m);
      f.push_back(it == r.metrics.end() ? "" : format_metric(it->second));
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", r.usage.wall_s);
    f.push_back(buf);
    std::snprintf(buf, sizeof buf, "%.1f", r.usage.peak_rss_mb);
    f.push_back(buf);
    row(f);
  }
  return csv;
}

}  // namespace heed
