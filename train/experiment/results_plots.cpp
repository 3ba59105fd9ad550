#include "train/experiment/results_plots.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "train/report/chart.h"
#include "train/report/metrics_history.h"

namespace heed {
namespace {
namespace fs = std::filesystem;

// The accuracy a run reports: a classifier's, else exact-sequence.
std::string accuracy_name(const RunResult& r) {
  return r.metrics.count("eval.accuracy") ? "accuracy" : "exact_seq_acc";
}

// The lengths a run is plotted at: its training max_len, then task.eval_lengths in order.
std::vector<int64_t> lengths_of(const PlannedRun& run) {
  std::vector<int64_t> xs = run.config.task.eval_lengths;
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  std::erase(xs, run.config.task.max_len);
  xs.insert(xs.begin(), run.config.task.max_len);
  return xs;
}

// The mean of ys at x, with min-max whiskers when `spread`.
void add_point(Series& s, double x, const std::vector<double>& ys, bool spread) {
  if (ys.empty()) return;
  double mean = 0;
  for (double y : ys) mean += y / static_cast<double>(ys.size());
  s.x.push_back(x);
  s.y.push_back(mean);
  if (!spread) return;
  s.lo.push_back(*std::min_element(ys.begin(), ys.end()));
  s.hi.push_back(*std::max_element(ys.begin(), ys.end()));
}

// One cell's line of accuracy against length, over its finished runs.
Series length_series(const ResultCell& cell, Rgb color) {
  Series s{cell.label(), color, {}, {}, /*markers=*/true};
  const std::vector<int64_t> xs = lengths_of(*cell.runs.front()->run);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    std::vector<double> ys;
    for (const RunResult* r : cell.runs) {
      const std::string group = i == 0 ? "eval" : "eval_length_" + std::to_string(xs[i]);
      auto it = r->metrics.find(group + "." + accuracy_name(*r));
      if (r->status == RunStatus::kFinished && it != r->metrics.end()) ys.push_back(it->second);
    }
    add_point(s, static_cast<double>(xs[i]), ys, true);
  }
  return s;
}

// One cell's mean validation accuracy at each evaluation step of its finished runs.
Series curve_series(const ExperimentPlan& plan, const ResultCell& cell, Rgb color) {
  std::map<int64_t, std::vector<double>> at;
  for (const RunResult* r : cell.runs) {
    if (r->status != RunStatus::kFinished) continue;
    const std::string dir = run_dir(plan, *r->run), metric = accuracy_name(*r);
    std::map<int64_t, double> last;  // a resumed run may repeat an evaluation: keep the last
    for (const EvalPoint& e : read_metrics_history(dir + "/metrics.jsonl").evals)
      last[e.step] = e.get("eval", metric);
    for (const auto& [step, v] : last) at[step].push_back(v);
  }
  Series s{cell.label(), color, {}, {}, /*markers=*/false};
  for (const auto& [step, ys] : at)  // no spread: whiskers at every evaluation hide the lines
    add_point(s, static_cast<double>(step), ys, false);
  return s;
}

ChartSpec accuracy_chart(const std::string& title, const std::string& x_label) {
  ChartSpec spec;
  spec.title = title;
  spec.x_label = x_label;
  spec.y_label = "exact-sequence accuracy (classifiers: accuracy)";
  spec.y_min = 0;
  spec.y_max = 1;
  spec.integer_x = true;  // lengths and steps
  spec.width = 900;
  spec.height = 480;
  return spec;
}

}  // namespace

std::vector<ResultsPlot> results_plots(const ExperimentPlan& plan,
                                       const std::vector<RunResult>& results) {
  const std::vector<ResultCell> cells = result_cells(results);
  std::vector<ResultsPlot> plots;
  const std::string length_label = "length (first point: validation up to the training max_len)";
  const bool same_lengths = std::all_of(results.begin(), results.end(), [&](const RunResult& r) {
    return lengths_of(*r.run) == lengths_of(*results.front().run);
  });
  if (same_lengths) {
    ChartSpec spec = accuracy_chart("accuracy by length (mean, min-max over seeds)", length_label);
    for (std::size_t i = 0; i < cells.size(); ++i)
      spec.series.push_back(length_series(cells[i], series_color(i)));
    plots.push_back({"plots/length.png", spec});
  } else {
    for (const ExperimentVariant& v : plan.file.variants) {
      ChartSpec spec = accuracy_chart(v.name + ": accuracy by length", length_label);
      for (std::size_t i = 0; i < cells.size(); ++i)
        if (cells[i].variant == v.name)
          spec.series.push_back(length_series(cells[i], series_color(i)));
      plots.push_back({"plots/length-" + v.name + ".png", spec});
    }
  }
  ChartSpec curves =
      accuracy_chart("validation accuracy during training (mean over seeds)", "step");
  for (std::size_t i = 0; i < cells.size(); ++i)
    curves.series.push_back(curve_series(plan, cells[i], series_color(i)));
  plots.push_back({"plots/curves.png", curves});
  return plots;
}

std::vector<std::string> write_results_plots(const ExperimentPlan& plan,
                                             const std::vector<RunResult>& results) {
  fs::create_directories(fs::path(plan.out_dir) / "plots");
  std::vector<std::string> written;
  for (const ResultsPlot& p : results_plots(plan, results)) {
    write_png((fs::path(plan.out_dir) / p.file).string(), draw_chart(p.spec));
    written.push_back(p.file);
  }
  return written;
}

}  // namespace heed
