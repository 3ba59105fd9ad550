#include "train/experiment/results_table.h"

#include <cmath>
#include <optional>

namespace heed {
namespace {

using Cell = ResultCell;

struct Stat {
  double mean = 0, std = 0;
  int64_t n = 0;
};

std::optional<Stat> stat_of(const Cell& cell, const std::string& metric) {
  std::vector<double> xs;
  for (const RunResult* r : cell.runs)
    if (auto it = r->metrics.find(metric); it != r->metrics.end()) xs.push_back(it->second);
  if (xs.empty()) return std::nullopt;
  Stat s;
  s.n = static_cast<int64_t>(xs.size());
  for (double x : xs) s.mean += x / static_cast<double>(s.n);
  if (s.n > 1) {
    double sq = 0;
    for (double x : xs) sq += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(sq / static_cast<double>(s.n - 1));
  }
  return s;
}

// "mean ± std" (metrics with 4 decimals, timing and memory with 1), bold when `best`.
std::string cell_text(const std::optional<Stat>& s, bool timing, bool best) {
  if (!s) return "";
  const int digits = timing ? 1 : 4;
  char buf[64];
  if (s->n > 1)
    std::snprintf(buf, sizeof buf, "%.*f ± %.*f", digits, s->mean, digits, s->std);
  else
    std::snprintf(buf, sizeof buf, "%.*f", digits, s->mean);
  return best ? "**" + std::string(buf) + "**" : std::string(buf);
}

bool better(const std::string& metric, double a, double b) {
  return lower_is_better(metric) ? a < b : a > b;
}

// The table of `cells`, the best mean of each metric column in bold.
std::string table(const ExperimentPlan& plan, const std::vector<Cell>& cells,
                  const std::vector<std::string>& metrics) {
  std::string md = "| variant |";
  for (const GridAxis& a : plan.file.grid) md += " " + a.key + " |";
  md += " runs |";
  for (const std::string& m : metrics) md += " " + m + " |";
  md += "\n|";
  for (std::size_t i = 0; i < plan.file.grid.size() + metrics.size() + 2; ++i) md += "---|";
  md += "\n";
  std::vector<std::optional<double>> best(metrics.size());
  for (const Cell& c : cells)
    for (std::size_t i = 0; i < metrics.size(); ++i)
      if (auto s = stat_of(c, metrics[i]); s && (!best[i] || better(metrics[i], s->mean, *best[i])))
        best[i] = s->mean;
  for (const Cell& c : cells) {
    std::vector<std::string> row = {c.variant};
    row.insert(row.end(), c.values.begin(), c.values.end());
    row.push_back(std::to_string(c.finished) + "/" + std::to_string(c.runs.size()));
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      const std::optional<Stat> s = stat_of(c, metrics[i]);
      const bool timing = metrics[i].ends_with("_s") || metrics[i].ends_with("_mb");
      row.push_back(cell_text(s, timing, s && !timing && s->mean == *best[i]));
    }
    md += '|';
    for (const std::string& field : row) md.append(" ").append(field).append(" |");
    md += "\n";
  }
  return md;
}

// Per variant and values of the other grid keys: the cell whose mean `by` is best.
std::vector<Cell> selected_cells(const ExperimentPlan& plan, const std::vector<Cell>& cells) {
  const ExperimentSelect& sel = *plan.file.select;
  std::size_t key = 0;
  while (plan.file.grid[key].key != sel.key) ++key;
  std::vector<Cell> chosen;
  std::vector<std::vector<std::string>> groups;  // variant + the other values, per chosen cell
  for (const Cell& c : cells) {
    std::vector<std::string> group = c.values;
    group.erase(group.begin() + static_cast<std::ptrdiff_t>(key));
    group.insert(group.begin(), c.variant);
    const std::optional<Stat> s = stat_of(c, sel.by);
    std::size_t g = 0;
    while (g < groups.size() && groups[g] != group) ++g;
    if (g == groups.size()) {
      groups.push_back(group);
      chosen.push_back(c);
      continue;
    }
    const std::optional<Stat> held = stat_of(chosen[g], sel.by);
    if (s && (!held || better(sel.by, s->mean, held->mean))) chosen[g] = c;
  }
  return chosen;
}

}  // namespace

std::string results_markdown(const ExperimentPlan& plan, const std::vector<RunResult>& results) {
  std::vector<std::string> metrics = metric_columns(results);
  metrics.insert(metrics.end(), {"wall_s", "peak_rss_mb"});
  std::vector<RunResult> with_usage = results;  // usage as metrics, to average them alike
  for (RunResult& r : with_usage)
    if (r.status == RunStatus::kFinished) {
      r.metrics["wall_s"] = r.usage.wall_s;
      r.metrics["peak_rss_mb"] = r.usage.peak_rss_mb;
    }
  const std::vector<Cell> cells = result_cells(with_usage);
  int64_t finished = 0, failed = 0;
  for (const RunResult& r : results) {
    finished += r.status == RunStatus::kFinished;
    failed += r.status == RunStatus::kFailed;
  }
  std::string md = "# " + plan.file.path + "\n\n" + std::to_string(results.size()) + " runs, " +
                   std::to_string(finished) + " finished, " + std::to_string(failed) +
                   " failed (results.csv has every run). Mean ± sample standard deviation over "
                   "the seeds of each cell's finished runs; the best mean of each metric in "
                   "bold (the lowest for losses).\n\n" +
                   table(plan, cells, metrics);
  if (plan.file.select) {
    const ExperimentSelect& sel = *plan.file.select;
    md += "\n## " + sel.key + " selected by " + sel.by + "\n\nFor each variant and values of " +
          "the other grid keys, the " + sel.key + " whose mean " + sel.by + " is " +
          (lower_is_better(sel.by) ? "lowest" : "highest") + ".\n\n" +
          table(plan, selected_cells(plan, cells), metrics);
  }
  return md;
}

}  // namespace heed
