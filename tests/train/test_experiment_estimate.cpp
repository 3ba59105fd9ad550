// --dry-run's estimate: the probe's timing read from its metrics, a run's estimate from it, and
// the total with --jobs.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/train/experiment_test_util.h"
#include "train/experiment/estimate.h"

namespace heed {
namespace {

// A probe's metrics.jsonl: step k logged at k * step_s, plus eval_s after step 5's evaluation.
std::string probe_metrics(double step_s, double eval_s) {
  std::string text;
  for (int64_t k = 1; k <= kProbeSteps; ++k) {
    const double t = static_cast<double>(k) * step_s + (k > kProbeSteps / 2 ? eval_s : 0);
    text +=
        "{\"step\":" + std::to_string(k) + ",\"loss\":1,\"elapsed_s\":" + std::to_string(t) + "}\n";
    if (k % (kProbeSteps / 2) == 0) text += "{\"step\":" + std::to_string(k) + ",\"eval\":{}}\n";
  }
  return text;
}

TEST(ExperimentEstimate, ProbeTimingSeparatesStepsEvaluationsAndStartAndEnd) {
  const ProbeTiming t = probe_timing(probe_metrics(0.1, 2.0), 10.0);
  EXPECT_EQ(t.error, "");
  EXPECT_NEAR(t.step_s, 0.1, 1e-6);
  EXPECT_NEAR(t.eval_s, 2.0, 1e-6);
  EXPECT_NEAR(t.start_end_s, 10.0 - 1.0 - 4.0, 1e-6);  // wall - 10 steps - 2 evaluations
}

TEST(ExperimentEstimate, ProbeWithTooFewStepsHasNoTiming) {
  EXPECT_NE(probe_timing("{\"step\":1,\"elapsed_s\":0.1}\n", 1.0).error, "");
  EXPECT_NE(probe_timing("", 1.0).error, "");
}

TEST(ExperimentEstimate, RunEstimateCountsStepsEvaluationsAndTheTestStream) {
  ProbeTiming t;
  t.step_s = 0.1;
  t.eval_s = 2;
  t.start_end_s = 1;
  Config c = parse_config(testing::kTinyConfig, "tiny");
  c.train.steps = 1000;
  c.train.eval_every = 300;  // evaluations at 300, 600, 900 and the end
  // 1000 steps + 4 evaluations + start and end, then the test stream: an evaluation and a start.
  EXPECT_NEAR(estimate_run_s(c, t), 100 + 8 + 1 + 2 + 1, 1e-9);
  t.error = "the probe failed";
  EXPECT_TRUE(std::isnan(estimate_run_s(c, t)));
}

TEST(ExperimentEstimate, ScheduleStartsRunsInOrderAsSlotsFree) {
  EXPECT_EQ(schedule_s({3, 1, 1, 1}, 1), 6);
  EXPECT_EQ(schedule_s({3, 1, 1, 1}, 2), 3);  // 3 | 1+1+1
  EXPECT_EQ(schedule_s({1, 1, 4}, 2), 5);     // 1 then 4 | 1
  EXPECT_EQ(schedule_s({}, 4), 0);
}

TEST(ExperimentEstimate, DurationsReadAsAPersonWouldSayThem) {
  EXPECT_EQ(format_duration(42.4), "42 s");
  EXPECT_EQ(format_duration(720), "12 min");
  EXPECT_EQ(format_duration(3 * 3600 + 20 * 60), "3 h 20 min");
  EXPECT_EQ(format_duration(std::nan("")), "?");
}

}  // namespace
}  // namespace heed
