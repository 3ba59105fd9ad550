// `heed bench`: the reference workloads' table, their data, and the timing loop on tiny variants
// (the real workloads take seconds per step; these run the same code path in milliseconds).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "train/bench.h"
#include "train/config.h"

namespace heed {
namespace {

BenchWorkload tiny(const std::string& kind, const std::string& task) {
  // name, kind, task, vocab, seq_len, d_model, heads, encoder_layers, decoder_layers, d_ff, batch
  return {"tiny-" + task, kind, task, 9, 6, 16, 2, 1, 1, 32, 3};
}

// Two timed steps after one warm-up, on 1 thread: the timing loop in milliseconds.
BenchOptions two_steps() {
  BenchOptions o;
  o.steps = 2;
  o.warmup = 1;
  o.threads = 1;
  return o;
}

const BenchWorkload& named(const std::string& name) {
  for (const BenchWorkload& w : bench_workloads())
    if (w.name == name) return w;
  throw Error("no workload " + name);
}

TEST(Bench, WorkloadsAreTheReferenceTable) {
  EXPECT_EQ(bench_workload_names(),
            (std::vector<std::string>{"copy-tiny", "sort-small", "long-lm"}));
  const BenchWorkload& c = named("copy-tiny");
  EXPECT_EQ(std::vector<int64_t>({c.vocab, c.seq_len, c.d_model, c.heads, c.encoder_layers,
                                  c.decoder_layers, c.d_ff, c.batch}),
            std::vector<int64_t>({16, 32, 128, 4, 2, 2, 512, 64}));
  const BenchWorkload& s = named("sort-small");
  EXPECT_EQ(std::vector<int64_t>({s.vocab, s.seq_len, s.d_model, s.heads, s.encoder_layers,
                                  s.decoder_layers, s.d_ff, s.batch}),
            std::vector<int64_t>({64, 64, 256, 8, 4, 4, 1024, 32}));
  const BenchWorkload& l = named("long-lm");
  EXPECT_EQ(l.kind, "lm");
  EXPECT_EQ(std::vector<int64_t>(
                {l.vocab, l.seq_len, l.d_model, l.heads, l.decoder_layers, l.d_ff, l.batch}),
            std::vector<int64_t>({64, 512, 128, 4, 2, 512, 8}));
}

TEST(Bench, SortBatchIsTeacherForcedSortedSource) {
  BenchWorkload w = tiny("seq2seq", "sort");
  Rng rng(7);
  BenchBatch b = bench_batch(w, rng);
  ASSERT_EQ(b.src.shape(), (Shape{w.batch, w.seq_len}));
  ASSERT_EQ(b.dec_in.shape(), b.src.shape());
  ASSERT_EQ(b.labels.shape(), b.src.shape());
  std::vector<int64_t> src = b.src.to_ints(), dec = b.dec_in.to_ints(), lab = b.labels.to_ints();
  const int64_t L = w.seq_len;
  for (int64_t r = 0; r < w.batch; ++r) {
    std::vector<int64_t> row(src.begin() + r * L, src.begin() + (r + 1) * L);
    for (int64_t t : row) EXPECT_TRUE(t >= 3 && t < w.vocab) << t;
    std::sort(row.begin(), row.end());
    EXPECT_EQ(row, std::vector<int64_t>(lab.begin() + r * L, lab.begin() + (r + 1) * L));
    EXPECT_EQ(dec[r * L], 1);  // BOS
    for (int64_t i = 1; i < L; ++i) EXPECT_EQ(dec[r * L + i], lab[r * L + i - 1]);
  }
}

TEST(Bench, LmBatchRepeatsItsFirstHalf) {
  BenchWorkload w = tiny("lm", "half-copy");
  Rng rng(3);
  BenchBatch b = bench_batch(w, rng);
  EXPECT_FALSE(b.src.defined());
  std::vector<int64_t> dec = b.dec_in.to_ints(), lab = b.labels.to_ints();
  const int64_t L = w.seq_len;
  for (int64_t r = 0; r < w.batch; ++r) {
    for (int64_t i = 0; i < L / 2; ++i) {
      EXPECT_TRUE(lab[r * L + i] >= 3 && lab[r * L + i] < w.vocab);
      EXPECT_EQ(lab[r * L + i], lab[r * L + i + L / 2]);
    }
    EXPECT_EQ(dec[r * L], 1);
    for (int64_t i = 1; i < L; ++i) EXPECT_EQ(dec[r * L + i], lab[r * L + i - 1]);
  }
}

TEST(Bench, RunsTimedStepsAndReportsTheContractFields) {
  for (const BenchWorkload& w : {tiny("seq2seq", "copy"), tiny("lm", "half-copy")}) {
    BenchOptions o = two_steps();
    BenchResult r = run_bench(w, o);
    EXPECT_EQ(r.step_s.size(), 2u);
    EXPECT_GT(r.min_step_s, 0);
    EXPECT_LE(r.min_step_s, r.median_step_s);
    EXPECT_DOUBLE_EQ(r.tokens_per_s, w.batch * w.seq_len / r.median_step_s);
    // Near log(vocab) at the start: a random model over 9 classes.
    EXPECT_TRUE(std::isfinite(r.final_loss));
    EXPECT_NEAR(r.final_loss, std::log(9.0), 1.0);
    EXPECT_GT(r.params, 0);
    EXPECT_GT(r.peak_rss_mb, 1.0);

    nlohmann::json j = bench_json(r);
    for (const char* key :
         {"workload", "threads", "median_step_s", "min_step_s", "tokens_per_s", "final_loss",
          "peak_rss_mb", "params", "steps", "warmup", "onednn", "heed_commit"})
      EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j["workload"], w.name);
    EXPECT_EQ(j["threads"], 1);
    EXPECT_EQ(j["steps"], 2);

    // Same seed, same run: initialization, dropout and data all come from the seed.
    BenchResult again = run_bench(w, o);
    EXPECT_EQ(again.final_loss, r.final_loss);
  }
}

TEST(Bench, ReportsFlopsMfuAndWithProfileTheTimePerOp) {
  const BenchWorkload w = tiny("seq2seq", "copy");
  BenchOptions o = two_steps();
  BenchResult r = run_bench(w, o);
  EXPECT_TRUE(r.profile.empty());
  EXPECT_FALSE(bench_json(r).contains("profile"));
  EXPECT_GT(r.gflop_per_step, 0);
  EXPECT_GT(r.matmul_gflops, 0);
  EXPECT_DOUBLE_EQ(r.achieved_gflops, r.gflop_per_step / r.median_step_s);
  EXPECT_DOUBLE_EQ(r.mfu, r.achieved_gflops / r.matmul_gflops);
  for (const char* key : {"gflop_per_step", "achieved_gflops", "matmul_gflops", "mfu"})
    EXPECT_TRUE(bench_json(r).contains(key)) << key;

  o.profile = true;
  BenchResult p = run_bench(w, o);
  EXPECT_EQ(p.gflop_per_step, r.gflop_per_step);  // the same products, profiled or not
  double ops_s = 0, step_s = 0, ops_flops = 0;
  bool linear = false;
  for (const OpTime& op : p.profile) {
    ops_s += op.forward_s + op.backward_s;
    ops_flops += op.flops;
    if (op.name == "linear") linear = op.calls > 0 && op.backward_s > 0 && op.flops > 0;
  }
  // Every product of the timed steps is some op's.
  EXPECT_NEAR(ops_flops / 1e9 / static_cast<double>(o.steps), p.gflop_per_step,
              1e-9 * p.gflop_per_step);
  for (double s : p.step_s) step_s += s;
  EXPECT_TRUE(linear);
  EXPECT_GT(ops_s, 0.5 * step_s);  // the ops account for most of the step, never more than it
  EXPECT_LE(ops_s, step_s);
  ASSERT_TRUE(bench_json(p).contains("profile"));
  EXPECT_TRUE(bench_json(p)["profile"][0].contains("backward_ms"));
  EXPECT_TRUE(bench_json(p)["profile"][0].contains("gflop"));
}

TEST(Bench, PrecisionBf16RunsTheStepsWithBf16ProductsAndRestoresFp32) {
  const BenchWorkload w = tiny("seq2seq", "copy");
  BenchOptions o = two_steps();
  const BenchResult fp32 = run_bench(w, o);
  o.precision = Precision::kBf16;
  const BenchResult bf16 = run_bench(w, o);
  EXPECT_EQ(matmul_precision(), Precision::kFp32) << "set for the bench only";
  EXPECT_EQ(bench_json(fp32)["precision"], "fp32");
  EXPECT_EQ(bench_json(bf16)["precision"], "bf16");
  EXPECT_NE(bf16.final_loss, fp32.final_loss);  // same seed: only the products differ
  EXPECT_NEAR(bf16.final_loss, fp32.final_loss, 0.05);
  EXPECT_EQ(bf16.gflop_per_step, fp32.gflop_per_step);
}

TEST(Bench, SeqLenReplacesTheWorkloadsLength) {
  BenchOptions o;
  o.seq_len = 6;
  const BenchWorkload w = bench_workload("long-lm", o);
  EXPECT_EQ(w.seq_len, 6);
  EXPECT_EQ(bench_workload("long-lm", BenchOptions{}).seq_len, 512);
  o.steps = 1;
  o.warmup = 0;
  o.threads = 1;
  const BenchResult r = run_bench(w, o);
  EXPECT_EQ(r.seq_len, 6);
  EXPECT_EQ(r.tokens_per_step, 8 * 6);
  o.seq_len = 7;  // the lm repeats its first half: odd lengths are refused, naming the length
  try {
    run_bench(bench_workload("long-lm", o), o);
    FAIL() << "accepted an odd length";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("even sequence length (got 7)"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(bench_workload("no-such", o), ConfigError);
}

TEST(Bench, RejectsBadOptions) {
  BenchOptions o;
  o.steps = 0;
  EXPECT_THROW(run_bench(tiny("seq2seq", "copy"), o), Error);
}

}  // namespace
}  // namespace heed
