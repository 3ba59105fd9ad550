// What `heed experiment` relies on in every run directory: one process trains it at a time
// (train.lock), and final.json appears when, and only when, its training is finished, even when
// the run was killed right after the checkpoint that finished it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/train/experiment_test_util.h"
#include "train/run_lock.h"

namespace heed {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

class RunEnd : public testing::ExperimentTest {
 protected:
  testing::Command heed(const std::vector<std::string>& args, const std::string& env = "") {
    return testing::run_heed(args, dir_.string(), env);
  }
  std::string run(const std::string& name) const { return (dir_ / name).string(); }
  // metrics.jsonl without the fields that measure time.
  static std::string metrics(const std::string& run_dir) {
    std::string out;
    for (const std::string& line : split(read_file(run_dir + "/metrics.jsonl"), '\n')) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded()) continue;
      j.erase("elapsed_s");
      j.erase("tokens_per_s");
      out += j.dump() + "\n";
    }
    return out;
  }
};

TEST_F(RunEnd, ARunDirectoryIsTrainedByOneProcessAtATime) {
  const std::string dir = run("locked");
  RunLock held(dir);
  EXPECT_THROW(RunLock{dir}, ConfigError);  // a second open file description: refused too
  const testing::Command c = heed({"train", base_, "--set", "out_dir=" + dir});
  EXPECT_EQ(c.code, 2);
  EXPECT_EQ(c.err, "heed: " + dir +
                       ": another heed process is training this run directory (it "
                       "holds " +
                       dir + "/train.lock); wait for it or stop it first\n");
  EXPECT_FALSE(fs::exists(dir + "/config.yaml")) << "refused before writing anything";
}

TEST_F(RunEnd, FinalJsonMarksAFinishedTrainingOnly) {
  const std::string dir = run("r");
  ASSERT_EQ(heed({"train", base_, "--set", "out_dir=" + dir}).code, 0);
  const json final = json::parse(read_file(dir + "/final.json"));
  EXPECT_EQ(final["stop_reason"], "steps");
  EXPECT_EQ(final["steps"], 6);
  // Continued with more steps: not finished until it ends again; killed on the way, no marker.
  EXPECT_NE(
      heed({"train", "--resume", dir, "--set", "train.steps=12"}, "HEED_TEST_KILL_AT=after_step:2 ")
          .code,
      0);
  EXPECT_FALSE(fs::exists(dir + "/final.json"));
  ASSERT_EQ(heed({"train", "--resume", dir, "--set", "train.steps=12"}).code, 0);
  EXPECT_EQ(json::parse(read_file(dir + "/final.json"))["steps"], 12);
}

TEST_F(RunEnd, KilledAfterTheCheckpointThatMetStopAtResumesAsFinished) {
  // stop_at is met at the first evaluation (step 3); the kill comes in its report, after the
  // checkpoint of step 3 and before final.json.
  const std::vector<std::string> stop = {"--set", "train.stop_at={token_acc: 0.0}"};
  std::vector<std::string> ref = {"train", base_, "--set", "out_dir=" + run("ref")};
  ref.insert(ref.end(), stop.begin(), stop.end());
  ASSERT_EQ(heed(ref).code, 0);
  EXPECT_EQ(json::parse(read_file(run("ref") + "/final.json"))["steps"], 3);
  std::vector<std::string> killed = {"train", base_, "--set", "out_dir=" + run("k")};
  killed.insert(killed.end(), stop.begin(), stop.end());
  const int code = heed(killed, "HEED_TEST_KILL_AT=report:1 ").code;
  EXPECT_TRUE(code == 128 + 9 || code == -1) << "not SIGKILLed: exit code " << code;
  EXPECT_FALSE(fs::exists(run("k") + "/final.json"));
  const testing::Command resumed = heed({"train", "--resume", run("k")});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("stop_at after 3 steps"), std::string::npos) << resumed.out;
  EXPECT_EQ(json::parse(read_file(run("k") + "/final.json")),
            json::parse(read_file(run("ref") + "/final.json")));
  EXPECT_EQ(metrics(run("k")), metrics(run("ref")));
  // Other targets are another rule: that resume goes on training.
  const testing::Command other =
      heed({"train", "--resume", run("k"), "--set", "train.stop_at={token_acc: 1.0}"});
  ASSERT_EQ(other.code, 0) << other.err;
  EXPECT_EQ(json::parse(read_file(run("k") + "/final.json"))["steps"], 6);
}

}  // namespace
}  // namespace heed
