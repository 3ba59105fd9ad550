#include <filesystem>

#include "train/report/chart.h"
#include "train/report/report.h"

namespace heed {
namespace {

const Rgb kBlue = series_color(0), kOrange = series_color(1), kGreen = series_color(2);

Series eval_series(const MetricsHistory& h, const std::string& name, const std::string& metric,
                   Rgb color) {
  Series s{name, color, {}, {}, /*markers=*/true};
  for (const EvalPoint& e : h.evals) {
    s.x.push_back(static_cast<double>(e.step));
    s.y.push_back(e.get("eval", metric));
  }
  return s;
}

}  // namespace

std::vector<std::string> write_curves(const std::string& run_dir, const MetricsHistory& h) {
  const std::filesystem::path dir = std::filesystem::path(run_dir) / "plots";
  std::filesystem::create_directories(dir);

  ChartSpec loss;
  loss.title = "loss";
  loss.x_label = "step";
  loss.y_label = "cross-entropy per target token";
  loss.series.push_back({"train", kBlue, h.steps, h.losses});
  if (!h.evals.empty()) loss.series.push_back(eval_series(h, "eval", "loss", kOrange));
  loss.y_min = 0;  // losses are >= 0; an axis from 0 shows how far training has come
  write_png((dir / "loss.png").string(), draw_chart(loss));

  ChartSpec acc;
  acc.title = "accuracy (held-out)";
  acc.x_label = "step";
  acc.y_label = "accuracy";
  acc.series.push_back(eval_series(h, "token", "token_acc", kGreen));
  acc.series.push_back(eval_series(h, "exact sequence", "exact_seq_acc", kBlue));
  acc.y_min = 0;
  acc.y_max = 1;
  write_png((dir / "accuracy.png").string(), draw_chart(acc));
  return {"plots/loss.png", "plots/accuracy.png"};
}

}  // namespace heed
