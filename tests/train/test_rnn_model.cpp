// model.type rnn from YAML: the config's keys and their one-line errors, the task model's loss,
// decoding and cross-attention maps, and a short run through the trainer that then evaluates at
// other lengths, predicts (greedy and beam, with --attention), exports and resumes bit for bit.
// Also `heed predict --attention` on a seq2seq run: its decoder's cross-attention follows the
// encoder's maps.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "framework/io/atomic_file.h"
#include "framework/io/safetensors.h"
#include "framework/nn/init.h"
#include "tests/test_util.h"
#include "tests/train/train_test_util.h"
#include "train/commands.h"
#include "train/config.h"
#include "train/run_loader.h"
#include "train/task_model.h"
#include "train/task_state.h"
#include "train/trainer.h"

namespace heed {
namespace {
namespace fs = std::filesystem;
using testing::config_error_of;
using testing::expect_cross_maps;

void expect_error(const std::string& yaml, const std::string& where, const std::string& what) {
  const std::string m = config_error_of(yaml, {}, "r.yaml");
  EXPECT_NE(m.find(where), std::string::npos) << m;
  EXPECT_NE(m.find(what), std::string::npos) << m;
}

TEST(RnnConfig, LoadsWithAdditiveAttentionUnlessItNamesAnother) {
  Config c = parse_config(
      "model: {type: rnn, d_model: 30, encoder_layers: 3, decoder_layers: 2, dropout: 0.2}\n",
      "r.yaml");
  EXPECT_EQ(c.model.type, "rnn");
  EXPECT_EQ(c.model.attention.type, "additive");  // d_model 30 and 4 heads: heads is not read
  const std::string shown = config_to_yaml(c);
  EXPECT_NE(shown.find("attention: {type: additive}"), std::string::npos) << shown;
  EXPECT_EQ(config_to_yaml(parse_config(shown, "shown.yaml")), shown);  // what resume reads
  EXPECT_EQ(parse_config("model: {type: rnn, attention: alibi}", "r.yaml").model.attention.type,
            "alibi");
  EXPECT_EQ(parse_config("model: {type: rnn}", "r.yaml", {"model.attention.type=mha"})
                .model.attention.type,
            "mha");
  // Other models keep their default.
  EXPECT_EQ(parse_config("model: {type: seq2seq}", "r.yaml").model.attention.type, "mha");
  // The task model it builds: d_model wide GRUs, embeddings of d_model, 3 + 2 layers.
  seed_init(1);
  std::unique_ptr<TaskModel> m = make_task_model(c, 16);
  EXPECT_EQ(m->module().parameter("encoder.weight_hh_l2").shape(), (Shape{90, 30}));
  EXPECT_EQ(m->module().parameter("decoder.weight_ih_l0").shape(), (Shape{90, 60}));
  EXPECT_EQ(m->module().parameter("bridge.weight").shape(), (Shape{60, 30}));
  EXPECT_THROW(m->module().parameter("decoder.weight_ih_l2"), Error);
}

TEST(RnnConfig, KeysItDoesNotReadAndBadAttentionAreOneLineErrors) {
  const std::string does_not_read = "model.type rnn does not read it";
  expect_error("model: {type: rnn, heads: 2}", "r.yaml:1:27: model.heads", does_not_read);
  expect_error("model: {type: rnn, d_ff: 64}", "model.d_ff", does_not_read);
  expect_error("model:\n  type: rnn\n  position: learned\n", "r.yaml:3:13: model.position",
               does_not_read);
  expect_error("model: {type: rnn, max_len: 64}", "model.max_len", does_not_read);
  expect_error("model: {type: rnn, pooling: first}", "model.pooling", does_not_read);
  expect_error("model: {type: rnn, max_depth: 3}", "model.max_depth", does_not_read);
  expect_error("model: {type: rnn, encoder_layers: 0}", "model.encoder_layers",
               "rnn needs at least 1");
  expect_error("model: {type: rnn, attention: {type: window, width: 2}}", "model.attention.type",
               "'window' has no capability cross");
  expect_error("model: {type: rnn, attention: tree_mask}", "model.attention",
               "has no capability cross");
  expect_error("model: {type: rnn, attention: {type: additive, sparkle: 1}}", "model.attention",
               "sparkle");
  expect_error("model: {type: rnn, composition: child_attention}", "model.composition",
               does_not_read);
  expect_error("task: {name: listops}\nmodel: {type: rnn}", "model.type", "classification");
  EXPECT_NE(config_error_of("", {"model.type=rnn", "model.heads=8"}).find("--set model.heads=8"),
            std::string::npos);
}

Config tiny_rnn(const std::string& out_dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> o = {"out_dir=" + out_dir};
  o.insert(o.end(), extra.begin(), extra.end());
  return parse_config(
      "task: {name: copy, vocab: 10, min_len: 1, max_len: 6}\n"
      "model: {type: rnn, d_model: 24, encoder_layers: 2, decoder_layers: 2, dropout: 0.1}\n"
      "train: {steps: 40, batch_size: 16, optimizer: {type: adamw, lr: 3.0e-3}, eval_every: 20, "
      "eval_examples: 40, log_every: 20, checkpoint_every: 20}\n"
      "seed: 2\nthreads: 1\n",
      "tiny_rnn.yaml", o);
}

TEST(RnnTaskModel, LossDecodingAndOneCrossAttentionMap) {
  Config c = tiny_rnn("unused");
  seed_init(3);
  std::unique_ptr<Task> task = make_config_task(c);
  std::unique_ptr<TaskModel> m = make_task_model(c, *task);
  std::vector<Example> batch = task->train_batch(c.seed, 0, 8, 1, 6);
  int64_t tokens = 0;
  Tensor loss = m->loss(batch, 0.0f, &tokens);
  EXPECT_TRUE(std::isfinite(loss.item()));
  EXPECT_GT(tokens, 8);
  DecodeOptions o;
  o.max_len = 8;
  for (const char* strategy : {"greedy", "beam"}) {
    o.strategy = strategy;
    std::vector<Hypothesis> hs = m->generate(batch, o);
    ASSERT_EQ(hs.size(), batch.size());
    for (const Hypothesis& h : hs) EXPECT_LE(h.tokens.size(), 8u);
  }
  EXPECT_TRUE(m->attention_maps(batch[0]).empty());  // a GRU encoder has no self-attention
  Example e = batch[0];
  e.target = m->generate({e}, o).at(0).tokens;  // as the report and predict do
  expect_cross_maps(m->cross_attention_maps(e), e, 1, 1);
  EXPECT_TRUE(m->module().is_training());  // the maps leave the mode as it was
}

// What predict --attention printed after the encoder's maps: per layer and head, a header, the
// source tokens, then one row per output step whose weights sum to 1 (up to rounding).
void expect_printed_cross_attention(const std::string& out, int64_t layers, int64_t heads,
                                    std::size_t output_tokens) {
  std::istringstream lines(out);
  std::string line;
  int64_t blocks = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("cross-attention layer", 0) != 0) continue;
    ++blocks;
    std::string header;
    ASSERT_TRUE(std::getline(lines, header));
    std::istringstream cols(header);
    std::size_t sources = 0;
    for (std::string w; cols >> w;) ++sources;
    EXPECT_GE(sources, 1u);
    for (std::size_t r = 0; r <= output_tokens; ++r) {
      ASSERT_TRUE(std::getline(lines, line));
      std::istringstream row(line);
      std::string label;
      row >> label;
      EXPECT_EQ(label == "$", r == output_tokens) << line;
      double sum = 0, v = 0;
      std::size_t n = 0;
      for (; row >> v; ++n) sum += v;
      EXPECT_EQ(n, sources) << line;
      EXPECT_NEAR(sum, 1.0, 0.006 * sources) << line;
    }
  }
  EXPECT_EQ(blocks, layers * heads) << out;
}

struct Predicted {
  std::string out;
  std::size_t output_tokens = 0;
};

Predicted predict_with_attention(const std::string& run, const std::string& strategy) {
  PredictArgs p;
  p.path = run;
  p.input = "3 7 4 5";
  p.strategy = strategy;
  p.attention = true;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_predict(p), 0);
  ::testing::internal::GetCapturedStderr();
  Predicted r{::testing::internal::GetCapturedStdout(), 0};
  std::istringstream first(r.out.substr(0, r.out.find('\n')));
  for (std::string t; first >> t;) ++r.output_tokens;
  return r;
}

class RnnTraining : public testing::TempDirTest {};

TEST_F(RnnTraining, TrainsEvaluatesPredictsExportsAndResumes) {
  const fs::path run = dir_ / "rnn";
  TrainSummary s = train(tiny_rnn(run.string(), {"task.eval_lengths=[8]"}), {});
  ASSERT_EQ(s.steps, 40);
  EXPECT_TRUE(s.eval.count("exact_seq_acc"));
  // The report: the one attention map, labelled, under its own heading; no self-attention.
  EXPECT_TRUE(fs::exists(run / "attention" / "cross_layer0_head0.png"));
  EXPECT_FALSE(fs::exists(run / "attention" / "cross_layer1_head0.png"));
  EXPECT_FALSE(fs::exists(run / "attention" / "layer0_head0.png"));
  const std::string html = read_file((run / "report.html").string());
  EXPECT_NE(html.find("<h2>Cross-attention</h2>"), std::string::npos);
  EXPECT_NE(html.find("attention (additive)"), std::string::npos);
  EXPECT_NE(html.find("no self-attention"), std::string::npos);

  // eval at another length, predict greedy and beam with --attention, export.
  EvalArgs ea;
  ea.path = run.string();
  ea.lengths = {9};
  ea.examples = 20;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_eval(ea), 0);
  const std::string eval_out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(eval_out.find("length_9"), std::string::npos) << eval_out;
  for (const char* strategy : {"greedy", "beam"}) {
    SCOPED_TRACE(strategy);
    Predicted p = predict_with_attention(run.string(), strategy);
    expect_printed_cross_attention(p.out, 1, 1, p.output_tokens);
  }
  const fs::path exported = dir_ / "rnn.safetensors";
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_export(run.string(), exported.string()), 0);
  ::testing::internal::GetCapturedStdout();
  std::set<std::string> names;
  for (const auto& [name, t] : load_safetensors(exported.string()).tensors) names.insert(name);
  for (const char* name : {"src_embed.weight", "encoder.weight_hh_l1", "attention.score_weight",
                           "decoder.weight_ih_l1", "out.bias"})
    EXPECT_EQ(names.count(name), 1u) << name;

  // Stopped at step 20 and resumed: the parameters of the uninterrupted run, byte for byte.
  const fs::path half = dir_ / "half";
  train(tiny_rnn(half.string(), {"task.eval_lengths=[8]", "train.steps=20"}), {});
  TrainOptions resume;
  resume.resume = true;
  train(run_config(half.string(), {"train.steps=40"}), resume);
  const std::string last = "checkpoints/step_00000040/model.safetensors";
  EXPECT_EQ(read_file((run / last).string()), read_file((half / last).string()));
}

// seq2seq: predict --attention prints the encoder's self-attention, then per decoder layer and
// head the cross-attention over the source.
TEST_F(RnnTraining, Seq2SeqPredictPrintsCrossAttentionAfterTheEncoderMaps) {
  const fs::path run = dir_ / "s2s";
  train(tiny_rnn(run.string(), {"model.type=seq2seq", "model.attention.type=mha", "model.heads=2",
                                "model.d_ff=32", "train.steps=10", "train.eval_every=10"}),
        {});
  EXPECT_TRUE(fs::exists(run / "attention" / "layer1_head1.png"));
  EXPECT_TRUE(fs::exists(run / "attention" / "cross_layer1_head1.png"));
  Predicted p = predict_with_attention(run.string(), "greedy");
  expect_printed_cross_attention(p.out, 2, 2, p.output_tokens);
  const std::size_t self = p.out.find("layer 1 head 1 (rows: queries"),
                    cross = p.out.find("cross-attention layer 0 head 0");
  ASSERT_NE(self, std::string::npos) << p.out;
  EXPECT_LT(self, cross);
}

}  // namespace
}  // namespace heed
