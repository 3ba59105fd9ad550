// `heed experiment` end to end on the tiny copy config: the runs are child processes of the real
// binary, and their results must not depend on --jobs, on --only, or on failures retried.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "tests/train/experiment_test_util.h"
#include "tests/train/png_test_util.h"
#include "train/run_lock.h"

namespace heed {
namespace {
namespace fs = std::filesystem;

using testing::csv_without_timing;
using testing::run_heed;

class ExperimentRun : public testing::ExperimentTest {
 protected:
  testing::Command heed(const std::vector<std::string>& args, const std::string& env = "") {
    return run_heed(args, dir_.string(), env);
  }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }
  static int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  }
};

TEST_F(ExperimentRun, GridGivesTheSameResultsWithOneJobOrTwo) {
  const std::string exp = experiment(R"(base: BASE
set: {task.eval_lengths: [8]}
grid:
  model.attention.type: [mha, alibi]
  train.optimizer.lr: [3.0e-3, 0.01]
seeds: [0, 1]
select: {key: train.optimizer.lr, by: eval.exact_seq_acc}
)");
  const testing::Command one = heed({"experiment", exp, "--out", out("a"), "--jobs", "1"});
  ASSERT_EQ(one.code, 0) << one.err;
  const testing::Command two = heed({"experiment", exp, "--out", out("b"), "--jobs", "2"});
  ASSERT_EQ(two.code, 0) << two.err;
  const std::string csv = csv_without_timing(out("a") + "/results.csv");
  EXPECT_EQ(csv, csv_without_timing(out("b") + "/results.csv"));
  const std::vector<std::string> lines = split(csv, '\n');
  ASSERT_EQ(lines.size(), 10u) << csv;
  EXPECT_EQ(
      lines[0].rfind("variant,model.attention.type,train.optimizer.lr,seed,status,steps,"
                     "eval.exact_seq_acc,eval.loss,eval.token_acc,eval_length_8.exact_seq_acc,"
                     "eval_length_8.loss,eval_length_8.token_acc,test.exact_seq_acc,"
                     "test.loss,test.token_acc,",
                     0),
      0u)
      << lines[0];
  for (std::size_t i = 1; i < 9; ++i)
    EXPECT_NE(lines[i].find(",finished,6,"), std::string::npos) << lines[i];
  EXPECT_EQ(lines[8].rfind("base,alibi,0.01,1,", 0), 0u) << lines[8];
  EXPECT_NE(read_file(out("a") + "/results.md").find("## train.optimizer.lr selected by"),
            std::string::npos);
  // The plots are PNGs, the same bytes whatever --jobs; report.html shows them and the tables.
  for (const std::string plot : {"plots/length.png", "plots/curves.png"}) {
    EXPECT_GT(testing::decode(out("a/" + plot)).width, 0) << plot;
    EXPECT_EQ(read_file(out("a/" + plot)), read_file(out("b/" + plot))) << plot;
  }
  const std::string html = read_file(out("a/report.html"));
  EXPECT_NE(html.find("<img src=\"plots/length.png\""), std::string::npos) << html;
  EXPECT_NE(html.find("<img src=\"plots/curves.png\""), std::string::npos) << html;
  EXPECT_NE(html.find("<h2>train.optimizer.lr selected by"), std::string::npos) << html;
  // Each run is an ordinary run directory.
  EXPECT_EQ(heed({"eval", out("a") + "/runs/alibi-lr0.01-s1"}).code, 0);
  // Started again, a finished experiment runs nothing and writes the same results.
  const testing::Command again = heed({"experiment", exp, "--out", out("a"), "--jobs", "2"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(count(again.out, ": training ("), 0) << again.out;
  EXPECT_EQ(csv_without_timing(out("a") + "/results.csv"), csv);
}

TEST_F(ExperimentRun, OnlyRunsOneRunAndALaterCallCollects) {
  const std::string exp = experiment("base: BASE\nseeds: [0, 1]\n");
  const testing::Command only = heed({"experiment", exp, "--only", "2"});
  ASSERT_EQ(only.code, 0) << only.err;
  EXPECT_TRUE(fs::exists(out("runs/exp/runs/s1/final.json")));
  EXPECT_FALSE(fs::exists(out("runs/exp/runs/s0")));
  EXPECT_FALSE(fs::exists(out("runs/exp/results.csv"))) << "not every run has ended";
  EXPECT_EQ(heed({"experiment", exp, "--only", "3"}).code, 2);
  const testing::Command all = heed({"experiment", exp});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(count(all.out, ": training ("), 1) << "run 2 is not trained again: " << all.out;
  const std::vector<std::string> lines = split(read_file(out("runs/exp/results.csv")), '\n');
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1].rfind("base,0,finished,6,", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("base,1,finished,6,", 0), 0u) << lines[2];
}

TEST_F(ExperimentRun, KilledRunsFailAndRetryResumesThemToTheSameResults) {
  const std::string exp = experiment("base: BASE\nseeds: [0, 1]\n");
  // Every child SIGKILLs itself after step 4 (its checkpoint of step 3 is on disk).
  const testing::Command killed = heed({"experiment", exp, "--out", out("k"), "--jobs", "2"},
                                       "HEED_TEST_KILL_AT=after_step:4 ");
  EXPECT_EQ(killed.code, 1);
  EXPECT_EQ(read_file(out("k/runs/s0.failed")), "killed by signal 9 (Killed)\n");
  EXPECT_NE(read_file(out("k/results.csv")).find("base,1,failed,4,"), std::string::npos);
  const testing::Command retried = heed({"experiment", exp, "--out", out("k"), "--retry-failed"});
  ASSERT_EQ(retried.code, 0) << retried.err;
  EXPECT_EQ(count(retried.out, "resuming"), 2) << retried.out;
  EXPECT_FALSE(fs::exists(out("k/runs/s0.failed")));
  ASSERT_EQ(heed({"experiment", exp, "--out", out("ref")}).code, 0);
  EXPECT_EQ(csv_without_timing(out("k/results.csv")), csv_without_timing(out("ref/results.csv")));
}

TEST_F(ExperimentRun, FailedRunKeepsItsReasonAndOnlyItIsRetried) {
  const std::string exp = experiment("base: BASE\ngrid: {train.optimizer.lr: [3.0e-3, 1.0e6]}\n");
  const testing::Command first = heed({"experiment", exp, "--out", out("d")});
  EXPECT_EQ(first.code, 1);
  EXPECT_NE(first.err.find("heed: 1 of 2 runs failed"), std::string::npos) << first.err;
  const std::string reason = read_file(out("d/runs/lr1.0e6-s0.failed"));
  EXPECT_EQ(reason.rfind("training diverged at step ", 0), 0u) << reason;
  EXPECT_NE(reason.find("(exit code 2)"), std::string::npos) << reason;
  const std::string csv = read_file(out("d/results.csv"));
  EXPECT_NE(csv.find("base,3.0e-3,0,finished,6,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("base,1.0e6,0,failed,"), std::string::npos) << csv;
  const testing::Command skipped = heed({"experiment", exp, "--out", out("d")});
  EXPECT_EQ(skipped.code, 1);
  EXPECT_EQ(count(skipped.out, ": training ("), 0) << skipped.out;
  EXPECT_EQ(count(skipped.out, "failed before: training diverged"), 1) << skipped.out;
  const testing::Command retried = heed({"experiment", exp, "--out", out("d"), "--retry-failed"});
  EXPECT_EQ(retried.code, 1);
  EXPECT_EQ(count(retried.out, ": training ("), 1) << retried.out;
  EXPECT_NE(retried.out.find("lr1.0e6-s0: training"), std::string::npos) << retried.out;
}

TEST_F(ExperimentRun, DryRunListsTheNumberedRunsAndRunsNothing) {
  const std::string exp = experiment("base: BASE\ngrid: {model.dropout: [0, 0.1]}\nseeds: [3]\n");
  const testing::Command c = heed({"experiment", exp, "--dry-run", "--no-probe"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("2 runs (1 variants x 2 grid cells x 1 seeds)"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("   1  dropout0-s3"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("   2  dropout0.1-s3"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("(no time estimate: --no-probe)"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(out("runs"))) << "a dry run writes nothing";
  EXPECT_EQ(c.err, "");
}

TEST_F(ExperimentRun, DryRunEstimatesTheTimeFromAProbePerDistinctConfig) {
  // Two seeds of one config: one probe. Another dropout: another.
  const std::string exp =
      experiment("base: BASE\ngrid: {model.dropout: [0, 0.1]}\nseeds: [0, 1]\n");
  const testing::Command c = heed({"experiment", exp, "--dry-run", "--jobs", "2"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(count(c.out, "probe of run "), 2) << c.out;
  EXPECT_NE(c.out.find("probe of run 1 (dropout0-s0): "), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("probe of run 3 (dropout0.1-s0): "), std::string::npos) << c.out;
  EXPECT_NE(c.out.find(" s a step, "), std::string::npos) << c.out;
  EXPECT_EQ(count(c.out, "pending      ~"), 4) << c.out;
  EXPECT_NE(c.out.find("estimated time: ~"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("for the 4 unfinished runs with --jobs 2 (an estimate"), std::string::npos)
      << c.out;
  EXPECT_FALSE(fs::exists(out("runs"))) << "the probe trains in a temporary directory";
  EXPECT_EQ(c.err, "");
  EXPECT_EQ(heed({"experiment", exp, "--no-probe"}).code, 2) << "--no-probe needs --dry-run";
}

TEST_F(ExperimentRun, DryRunStoppedDuringAProbeLeavesNoProbeDirectory) {
  // Evaluations of 20000 examples: the probe is still running when Ctrl-C comes.
  const std::string exp = experiment("base: BASE\nset: {train.eval_examples: 20000}\n");
  fs::create_directories(out("tmp"));
  const std::string script = "cd '" + dir_.string() + "' || exit 1; TMPDIR='" + out("tmp") + "' '" +
                             HEED_CLI_PATH + "' experiment '" + exp +
                             "' --dry-run >dry.out 2>dry.err & pid=$!; sleep 1; "
                             "ls tmp >probing; kill -INT $pid; wait $pid; echo $? >code";
  ASSERT_EQ(std::system(script.c_str()), 0);
  EXPECT_NE(read_file(out("probing")).find("heed-probe-"), std::string::npos)
      << "no probe was running at the signal";
  EXPECT_EQ(read_file(out("code")), "130\n") << read_file(out("dry.err"));
  EXPECT_TRUE(fs::is_empty(out("tmp"))) << "the probe's directory is removed";
  EXPECT_EQ(read_file(out("dry.out")).find("estimated time"), std::string::npos);
}

TEST_F(ExperimentRun, SelectByAMetricNoRunReportsIsBadInput) {
  const std::string exp = experiment(
      "base: BASE\ngrid: {model.dropout: [0, 0.1]}\n"
      "select: {key: model.dropout, by: eval_length_64.loss}\n");
  const testing::Command c = heed({"experiment", exp, "--dry-run"});
  EXPECT_EQ(c.code, 2);
  EXPECT_EQ(c.err, "heed: " + exp + ":3:34: select.by: run 1 (dropout0-s0) does not evaluate at " +
                       "length 64 (add it to task.eval_lengths)\n");
  const std::string acc = experiment(
      "base: BASE\ngrid: {model.dropout: [0, 0.1]}\n"
      "select: {key: model.dropout, by: test.accuracy}\n");
  EXPECT_NE(heed({"experiment", acc, "--dry-run"}).err.find("accuracy is a classifier's"),
            std::string::npos);
}

TEST_F(ExperimentRun, MoreThreadsThanCoresIsAWarning) {
  // threads 0 is every core: two such runs at once are too many anywhere.
  const std::string exp = experiment("base: BASE\nset: {threads: 0}\nseeds: [0, 1]\n");
  const testing::Command c = heed({"experiment", exp, "--dry-run", "--jobs", "2"});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.err.rfind("heed: warning: --jobs 2 x ", 0), 0u) << c.err;
  EXPECT_EQ(heed({"experiment", exp, "--dry-run", "--jobs", "1"}).err, "");
}

TEST_F(ExperimentRun, ARunAnotherProcessTrainsIsLeftToIt) {
  const std::string exp = experiment("base: BASE\nseeds: [0, 1]\n");
  std::optional<RunLock> other(std::in_place, out("runs/exp/runs/s0"));  // "another trainer"
  const testing::Command c = heed({"experiment", exp});
  EXPECT_EQ(c.code, 1) << "run 1 is not finished: " << c.err;
  EXPECT_NE(c.out.find("s0: another process is training it"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(out("runs/exp/runs/s0.failed"))) << "not a failure of the run";
  EXPECT_FALSE(fs::exists(out("runs/exp/results.csv"))) << "run 1 has not ended";
  EXPECT_TRUE(fs::exists(out("runs/exp/runs/s1/final.json")));
  other.reset();
  ASSERT_EQ(heed({"experiment", exp}).code, 0);
  EXPECT_TRUE(fs::exists(out("runs/exp/results.csv")));
}

}  // namespace
}  // namespace heed
