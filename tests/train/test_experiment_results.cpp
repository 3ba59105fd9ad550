// results.csv and results.md from run results: the columns and their order, mean ± std per cell,
// the best per column, and `select`.
#include <gtest/gtest.h>

#include "tests/train/experiment_test_util.h"
#include "train/experiment/results.h"
#include "train/experiment/results_table.h"

namespace heed {
namespace {

class ExperimentResults : public testing::ExperimentTest {
 protected:
  // 2 attention types x 2 learning rates x 2 seeds; accuracy `acc[run]`, loss 1 - acc.
  std::vector<RunResult> results(const std::vector<double>& acc) {
    plan_ = plan_experiment(read_experiment(experiment(R"(base: BASE
grid:
  model.attention.type: [mha, alibi]
  train.optimizer.lr: [1.0e-3, 0.01]
seeds: [0, 1]
select: {key: train.optimizer.lr, by: eval.exact_seq_acc}
)")),
                            "out");
    std::vector<RunResult> out;
    for (std::size_t i = 0; i < plan_.runs.size(); ++i) {
      RunResult r;
      r.run = &plan_.runs[i];
      r.status = RunStatus::kFinished;
      r.steps = 6;
      r.metrics = {{"eval.exact_seq_acc", acc[i]},
                   {"eval.loss", 1 - acc[i]},
                   {"test.exact_seq_acc", acc[i] / 2},
                   {"eval_length_10.loss", 3},
                   {"eval_length_8.loss", 2}};
      r.usage = {1.5, 100};
      out.push_back(r);
    }
    return out;
  }
  ExperimentPlan plan_;
};

TEST_F(ExperimentResults, CsvHasOneRowPerRunAndTimingColumnsLast) {
  std::vector<RunResult> r = results({0.5, 0.25, 1, 1, 0, 0, 0.125, 0.375});
  r[1].status = RunStatus::kFailed;
  r[1].metrics.clear();
  r[1].steps = 2;
  const std::string csv = results_csv(plan_, r);
  const std::vector<std::string> lines = split(csv, '\n');
  ASSERT_EQ(lines.size(), 10u);  // header, 8 rows, the final newline
  EXPECT_EQ(lines[0],
            "variant,model.attention.type,train.optimizer.lr,seed,status,steps,eval.exact_seq_acc,"
            "eval.loss,eval_length_8.loss,eval_length_10.loss,test.exact_seq_acc,wall_s,"
            "peak_rss_mb");
  EXPECT_EQ(lines[1], "base,mha,1.0e-3,0,finished,6,0.5,0.5,2,3,0.25,1.50,100.0");
  EXPECT_EQ(lines[2], "base,mha,1.0e-3,1,failed,2,,,,,,1.50,100.0");
  EXPECT_EQ(lines[8], "base,alibi,0.01,1,finished,6,0.375,0.625,2,3,0.1875,1.50,100.0");
}

TEST_F(ExperimentResults, MarkdownAveragesSeedsAndMarksTheBest) {
  const std::string md = results_markdown(plan_, results({0.5, 0.25, 1, 1, 0, 0, 0.125, 0.375}));
  EXPECT_NE(md.find("| base | mha | 1.0e-3 | 2/2 | 0.3750 ± 0.1768 | 0.6250 ± 0.1768 |"),
            std::string::npos)
      << md;
  // mha at 0.01 is best in accuracy (highest) and loss (lowest); seeds agree: no spread.
  EXPECT_NE(md.find("| base | mha | 0.01 | 2/2 | **1.0000 ± 0.0000** | **0.0000 ± 0.0000** |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 1.5 ± 0.0 | 100.0 ± 0.0 |\n"), std::string::npos) << md;
  EXPECT_EQ(md.find("**1.5"), std::string::npos) << "timing is never marked best";
}

TEST_F(ExperimentResults, SelectKeepsTheBestValuePerCell) {
  // mha: lr 0.01 is better (1.0 against 0.375); alibi: lr 0.01 (0.25 against 0.0).
  std::string md = results_markdown(plan_, results({0.5, 0.25, 1, 1, 0, 0, 0.125, 0.375}));
  std::string selected = md.substr(md.find("## train.optimizer.lr selected by eval.exact_seq_acc"));
  EXPECT_NE(selected.find("| base | mha | 0.01 | 2/2 |"), std::string::npos) << selected;
  EXPECT_NE(selected.find("| base | alibi | 0.01 | 2/2 | 0.2500 ± 0.1768 |"), std::string::npos)
      << selected;
  EXPECT_EQ(selected.find("1.0e-3"), std::string::npos) << selected;
  // alibi now better at 1e-3: the choice follows the means.
  md = results_markdown(plan_, results({0.5, 0.25, 1, 1, 0.9, 0.8, 0.125, 0.375}));
  selected = md.substr(md.find("## train.optimizer.lr selected"));
  EXPECT_NE(selected.find("| base | alibi | 1.0e-3 | 2/2 | 0.8500 ± 0.0707 |"), std::string::npos)
      << selected;
}

TEST_F(ExperimentResults, MetricColumnOrderAndFormat) {
  EXPECT_TRUE(lower_is_better("eval_length_8.loss"));
  EXPECT_FALSE(lower_is_better("test.accuracy"));
  EXPECT_EQ(format_metric(0.123456789), "0.123457");
  EXPECT_EQ(format_metric(1), "1");
}

}  // namespace
}  // namespace heed
