// An experiment's plots and report.html from run results: which PNGs, their lines (means over
// the finished seeds, min-max whiskers), that they decode, that the same results give the same
// bytes, and that the page shows results.md's tables and the plots.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/train/experiment_test_util.h"
#include "tests/train/png_test_util.h"
#include "train/experiment/results_html.h"
#include "train/experiment/results_plots.h"
#include "train/experiment/results_table.h"
#include "train/report/chart.h"

namespace heed {
namespace {
namespace fs = std::filesystem;

class ExperimentPlots : public testing::ExperimentTest {
 protected:
  // The runs of `yaml`, finished, each with accuracy `acc` at every length and evaluations at
  // steps 3 and 6 in its metrics.jsonl.
  std::vector<RunResult> results(const std::string& yaml, double acc = 0.5) {
    plan_ = plan_experiment(read_experiment(experiment(yaml)), (dir_ / "out").string());
    std::vector<RunResult> out;
    for (std::size_t i = 0; i < plan_.runs.size(); ++i) {
      RunResult r;
      r.run = &plan_.runs[i];
      r.status = RunStatus::kFinished;
      const double a = acc * static_cast<double>(i + 1) / static_cast<double>(plan_.runs.size());
      r.metrics = {{"eval.exact_seq_acc", a},
                   {"eval_length_8.exact_seq_acc", a / 2},
                   {"eval_length_12.exact_seq_acc", a / 4}};
      const fs::path dir = run_dir(plan_, plan_.runs[i]);
      fs::create_directories(dir);
      write_file_atomically((dir / "metrics.jsonl").string(),
                            "{\"step\":3,\"eval\":{\"exact_seq_acc\":" + std::to_string(a / 3) +
                                "}}\n{\"step\":6,\"eval\":{\"exact_seq_acc\":" + std::to_string(a) +
                                "}}\n");
      out.push_back(r);
    }
    return out;
  }
  std::string bytes(const std::string& plot) const {
    return read_file((fs::path(plan_.out_dir) / plot).string());
  }
  ExperimentPlan plan_;
};

constexpr const char* kGrid = R"(base: BASE
set: {task.eval_lengths: [8, 12]}
grid: {model.attention.type: [mha, alibi, rotary]}
seeds: [0, 1]
)";

TEST_F(ExperimentPlots, OneLengthPlotAndOneCurvePlotThatDecodeAndRepeatByteForByte) {
  const std::vector<RunResult> r = results(kGrid);
  const std::vector<std::string> plots = write_results_plots(plan_, r);
  ASSERT_EQ(plots, (std::vector<std::string>{"plots/length.png", "plots/curves.png"}));
  std::vector<std::string> first;
  for (const std::string& p : plots) {
    const testing::Decoded img = testing::decode(fs::path(plan_.out_dir) / p);
    EXPECT_EQ(img.width, 900) << p;
    for (std::size_t cell = 0; cell < 3; ++cell)
      EXPECT_TRUE(img.has(series_color(cell))) << p << ": no line of cell " << cell;
    EXPECT_FALSE(img.has(series_color(3))) << p << ": three cells, three colors";
    first.push_back(bytes(p));
  }
  EXPECT_EQ(write_results_plots(plan_, r), plots);
  for (std::size_t i = 0; i < plots.size(); ++i) EXPECT_EQ(bytes(plots[i]), first[i]) << plots[i];
  // Other results, other pictures.
  write_results_plots(plan_, results(kGrid, 0.9));
  for (std::size_t i = 0; i < plots.size(); ++i) EXPECT_NE(bytes(plots[i]), first[i]) << plots[i];
}

TEST_F(ExperimentPlots, LengthLinesAreMeansOverSeedsWithMinMaxWhiskers) {
  std::vector<RunResult> r = results(kGrid);  // mha's seeds: accuracy 1/12 and 2/12
  std::vector<ResultsPlot> plots = results_plots(plan_, r);
  ASSERT_EQ(plots.size(), 2u);
  const Series& mha = plots[0].spec.series[0];
  EXPECT_EQ(mha.name, "mha");
  EXPECT_EQ(mha.x, (std::vector<double>{6, 8, 12})) << "max_len, then task.eval_lengths";
  EXPECT_NEAR(mha.y[0], 1.5 / 12, 1e-12);
  EXPECT_NEAR(mha.lo[0], 1.0 / 12, 1e-12);
  EXPECT_NEAR(mha.hi[0], 2.0 / 12, 1e-12);
  EXPECT_NEAR(mha.y[1], 1.5 / 24, 1e-12);  // eval_length_8
  EXPECT_NEAR(mha.y[2], 1.5 / 48, 1e-12);  // eval_length_12
  // Learning curves: the mean at each evaluation step, no whiskers.
  const Series& curve = plots[1].spec.series[0];
  EXPECT_EQ(curve.x, (std::vector<double>{3, 6}));
  EXPECT_NEAR(curve.y[1], 1.5 / 12, 1e-6);
  EXPECT_TRUE(curve.lo.empty());
  // A failed seed is left out of both; a classifier's line is its accuracy.
  r[1].status = RunStatus::kFailed;
  for (RunResult* x : {&r[4], &r[5]}) x->metrics["eval.accuracy"] = 0.75;
  plots = results_plots(plan_, r);
  EXPECT_NEAR(plots[0].spec.series[0].y[0], 1.0 / 12, 1e-12);
  EXPECT_EQ(plots[0].spec.series[0].lo[0], plots[0].spec.series[0].hi[0]);
  EXPECT_NEAR(plots[1].spec.series[0].y[1], 1.0 / 12, 1e-6);
  EXPECT_EQ(plots[0].spec.series[2].name, "rotary");
  EXPECT_EQ(plots[0].spec.series[2].y[0], 0.75);
}

TEST_F(ExperimentPlots, VariantsThatEvaluateDifferentLengthsGetALengthPlotEach) {
  const std::vector<RunResult> r = results(R"(base: BASE
variants:
  short: {set: {task.eval_lengths: [8]}}
  long: {set: {task.eval_lengths: [8, 12]}}
)");
  EXPECT_EQ(write_results_plots(plan_, r),
            (std::vector<std::string>{"plots/length-short.png", "plots/length-long.png",
                                      "plots/curves.png"}));
  EXPECT_TRUE(
      testing::decode(fs::path(plan_.out_dir) / "plots/length-long.png").has(series_color(1)));
  EXPECT_FALSE(
      testing::decode(fs::path(plan_.out_dir) / "plots/length-long.png").has(series_color(0)))
      << "only its own variant's cells";
}

TEST_F(ExperimentPlots, ReportPageShowsTheTablesAndLinksThePlots) {
  const std::vector<RunResult> r = results(kGrid);
  const std::string md = results_markdown(plan_, r);
  const std::string html = results_html("exp.yaml", md, {"plots/length.png", "plots/curves.png"});
  EXPECT_NE(html.find("<title>heed experiment exp.yaml</title>"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>variant</th><th>model.attention.type</th><th>runs</th>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr><td>base</td><td>rotary</td><td>2/2</td><td><b>0.4583 ± 0.0589</b>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("|"), std::string::npos) << "every table line became a row";
  EXPECT_EQ(html.find("**"), std::string::npos);
  EXPECT_NE(html.find("<img src=\"plots/length.png\""), std::string::npos);
  EXPECT_NE(html.find("<img src=\"plots/curves.png\""), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "self-contained";
}

TEST(ExperimentReportHtml, TextIsEscaped) {
  const std::string html = results_html("a<b", "# x<y\n\n| k |\n|---|\n| a&b |\n", {});
  EXPECT_NE(html.find("<h1>x&lt;y</h1>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>a&amp;b</td>"), std::string::npos) << html;
}

}  // namespace
}  // namespace heed
