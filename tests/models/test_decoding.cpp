// Decoding: greedy, sampling and beam search through StepModel, over Seq2Seq, DecoderLM and
// RnnAttention (small untrained models) and over a hand-made model with known probabilities.
// Incremental (cached) and recomputing steppers must agree on tokens and on logits within 1e-5,
// and both must agree with the models' own teacher-forced forward.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "framework/nn/init.h"
#include "framework/ops.h"
#include "models/decoding.h"
#include "models/rnn_stepper.h"
#include "models/seq2seq_stepper.h"
#include "tests/models/model_test_util.h"
#include "tests/test_util.h"

namespace heed {
namespace {

constexpr int64_t V = 10, B = 3, S = 5;

float max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  std::vector<float> x = a.to_vector(), y = b.to_vector();
  float m = 0;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

enum class Kind { kSeq2Seq, kDecoderLM, kRnn };
const char* kind_name(Kind k) {
  return k == Kind::kSeq2Seq ? "Seq2Seq" : k == Kind::kDecoderLM ? "DecoderLM" : "RnnAttention";
}
void PrintTo(Kind k, std::ostream* os) {
  *os << kind_name(k);
}

// Three tiny untrained models, built with dropout and left in training mode: the steppers must
// switch them to eval mode (else cached and recomputed logits would differ by dropout).
struct Zoo {
  std::shared_ptr<Seq2Seq> seq2seq;
  std::shared_ptr<DecoderLM> lm;
  std::shared_ptr<RnnAttention> rnn;
  Tensor src = Tensor::from_ints({5, 6, 7, 8, 9, 3, 4, 5, 0, 0, 9, 8, 7, 3, 0}, {B, S});
  Tensor src_padding = Tensor::from_ints({0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1}, {B, S});
  Tensor prompt = Tensor::from_ints({1, 5, 7, 1, 4, 4, 1, 9, 3}, {B, 3});

  Zoo() {
    auto c = testing::sized<TransformerConfig>(
        V, {.d_model = 16, .heads = 2, .d_ff = 32, .dropout = 0.1f});
    c.encoder_layers = c.decoder_layers = 2;
    seed_init(3);
    seq2seq = std::make_shared<Seq2Seq>(c);
    lm = std::make_shared<DecoderLM>(c);
    RnnAttentionConfig r;
    r.vocab = V;
    r.embed_dim = 8;
    r.hidden = 12;
    r.encoder_layers = r.decoder_layers = 2;  // stacked: beam search reorders every layer's state
    r.bidirectional = true;
    r.dropout = 0.1f;
    rnn = std::make_shared<RnnAttention>(r);
  }

  std::unique_ptr<StepModel> stepper(Kind k, bool incremental = true) {
    switch (k) {
      case Kind::kSeq2Seq:
        return std::make_unique<Seq2SeqStepper>(*seq2seq, src, src_padding, incremental);
      case Kind::kDecoderLM:
        return std::make_unique<DecoderLMStepper>(*lm, incremental);
      default:
        return std::make_unique<RnnAttentionStepper>(*rnn, src, src_padding, incremental);
    }
  }
  Tensor prefix(Kind k) const { return k == Kind::kDecoderLM ? prompt : bos_prefix(B); }
  // Teacher-forced logits (R, T, V) in eval mode for the original rows `rows`: their prefix
  // followed by `more` (R, n).
  Tensor teacher_forced(Kind k, const std::vector<int64_t>& rows, const Tensor& more) {
    NoGradGuard no_grad;
    Tensor idx = Tensor::from_ints(rows, {static_cast<int64_t>(rows.size())});
    Tensor s = index_select(src, 0, idx), pad = index_select(src_padding, 0, idx);
    Tensor ids = concat({index_select(prefix(k), 0, idx), more}, 1);
    if (k == Kind::kSeq2Seq) {
      EvalModeScope e(*seq2seq);
      return seq2seq->forward(s, ids, pad);
    }
    if (k == Kind::kDecoderLM) {
      EvalModeScope e(*lm);
      return lm->forward(ids);
    }
    EvalModeScope e(*rnn);
    return rnn->forward(s, ids, pad);
  }
};

Zoo& zoo() {
  static Zoo z;
  return z;
}

// Every hypothesis is well formed, and its log_prob is what its own logits say.
void expect_valid(const std::vector<Hypothesis>& hs, const DecodeOptions& o) {
  ASSERT_EQ(static_cast<int64_t>(hs.size()), B);
  for (const Hypothesis& h : hs) {
    const int64_t n = static_cast<int64_t>(h.tokens.size());
    EXPECT_LE(n + (h.finished ? 1 : 0), o.max_len);
    if (!h.finished) {
      EXPECT_EQ(n, o.max_len);
    }
    for (int64_t t : h.tokens) {
      EXPECT_GE(t, 0);
      EXPECT_LT(t, V);
      EXPECT_NE(t, o.eos);
    }
    EXPECT_TRUE(std::isfinite(h.log_prob));
    EXPECT_LE(h.log_prob, 0.0);
    ASSERT_TRUE(h.logits.defined());
    ASSERT_EQ(h.logits.shape(), (Shape{n + (h.finished ? 1 : 0), V}));
    Tensor lp = log_softmax(h.logits);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += lp.at({i, h.tokens[i]});
    if (h.finished) sum += lp.at({n, o.eos});
    EXPECT_NEAR(sum, h.log_prob, 1e-4);
  }
}

class DecodingTest : public ::testing::TestWithParam<Kind> {};

TEST_P(DecodingTest, GreedySamplingAndBeamGiveValidSequences) {
  DecodeOptions o;
  o.max_len = 7;
  o.keep_logits = true;
  for (const char* strategy : {"greedy", "sample", "beam"}) {
    SCOPED_TRACE(strategy);
    o.strategy = strategy;
    o.temperature = 1.5f;
    o.beam_width = 3;
    auto s = zoo().stepper(GetParam());
    expect_valid(decode(*s, zoo().prefix(GetParam()), o), o);
  }
}

TEST_P(DecodingTest, SteppersPutTheModelInEvalModeAndRestoreIt) {
  Zoo& z = zoo();
  Module& m = GetParam() == Kind::kSeq2Seq     ? static_cast<Module&>(*z.seq2seq)
              : GetParam() == Kind::kDecoderLM ? static_cast<Module&>(*z.lm)
                                               : static_cast<Module&>(*z.rnn);
  m.train();
  {
    auto s = z.stepper(GetParam());
    EXPECT_FALSE(m.is_training());
  }
  EXPECT_TRUE(m.is_training());
}

// Feeds the same tokens to a caching and a recomputing stepper, reordering rows in between as a
// beam search would (repeating one row, dropping another), and compares every step's logits
// with each other and with the teacher-forced forward over the same (reordered) tokens.
TEST_P(DecodingTest, IncrementalMatchesRecomputationAndTeacherForcing) {
  const Kind k = GetParam();
  auto inc = zoo().stepper(k, true);
  auto full = zoo().stepper(k, false);
  const Tensor prefix = zoo().prefix(k);
  const int64_t P = prefix.size(1);
  inc->start(B);
  full->start(B);
  const std::vector<std::vector<int64_t>> steps = {{4, 7, 3}, {9, 9, 5}, {3, 8, 6}, {5, 5, 7}};
  std::vector<int64_t> rows = {0, 1, 2};  // original row of each current row
  std::vector<std::vector<int64_t>> fed(B);
  Tensor a = inc->next_logits(prefix, 0), b = full->next_logits(prefix, 0);
  EXPECT_LT(max_abs_diff(a, b), 1e-5);
  for (std::size_t t = 0; t < steps.size(); ++t) {
    if (t == 2) {  // row 2 twice, row 1 dropped
      const std::vector<int64_t> order = {2, 0, 2};
      inc->reorder(order);
      full->reorder(order);
      std::vector<int64_t> r2;
      std::vector<std::vector<int64_t>> f2;
      for (int64_t i : order) {
        r2.push_back(rows[i]);
        f2.push_back(fed[i]);
      }
      rows = r2;
      fed = f2;
    }
    for (int64_t r = 0; r < B; ++r) fed[r].push_back(steps[t][r]);
    Tensor tok = Tensor::from_ints(steps[t], {B, 1});
    a = inc->next_logits(tok, P + static_cast<int64_t>(t));
    b = full->next_logits(tok, P + static_cast<int64_t>(t));
    EXPECT_LT(max_abs_diff(a, b), 1e-5) << "step " << t;
  }
  // Teacher forcing over each final row's whole history, from its original source/prompt.
  std::vector<int64_t> hist;
  for (int64_t r = 0; r < B; ++r) hist.insert(hist.end(), fed[r].begin(), fed[r].end());
  Tensor more = Tensor::from_ints(hist, {B, static_cast<int64_t>(steps.size())});
  Tensor tf = zoo().teacher_forced(k, rows, more);  // (B, P + steps, V)
  EXPECT_LT(max_abs_diff(a, select(tf, 1, -1)), 1e-5);
  EXPECT_LT(max_abs_diff(b, select(tf, 1, -1)), 1e-5);
}

// a and b hold the same B rows: tokens, whether finished, and log-probabilities within `tol`.
void expect_same_hypotheses(const std::vector<Hypothesis>& a, const std::vector<Hypothesis>& b,
                            double tol) {
  ASSERT_EQ(a.size(), static_cast<std::size_t>(B));
  ASSERT_EQ(b.size(), static_cast<std::size_t>(B));
  for (int64_t r = 0; r < B; ++r) {
    EXPECT_EQ(a[r].tokens, b[r].tokens) << "row " << r;
    EXPECT_EQ(a[r].finished, b[r].finished) << "row " << r;
    EXPECT_NEAR(a[r].log_prob, b[r].log_prob, tol) << "row " << r;
  }
}

TEST_P(DecodingTest, IncrementalAndRecomputedDecodingAgree) {
  DecodeOptions o;
  o.max_len = 8;
  o.keep_logits = true;
  o.beam_width = 3;
  for (const char* strategy : {"greedy", "beam"}) {
    SCOPED_TRACE(strategy);
    o.strategy = strategy;
    auto inc = zoo().stepper(GetParam(), true);
    auto full = zoo().stepper(GetParam(), false);
    auto a = decode(*inc, zoo().prefix(GetParam()), o);
    auto b = decode(*full, zoo().prefix(GetParam()), o);
    expect_same_hypotheses(a, b, 1e-5);
    for (int64_t r = 0; r < B; ++r) EXPECT_LT(max_abs_diff(a[r].logits, b[r].logits), 1e-5);
  }
}

TEST_P(DecodingTest, BeamWidthOneEqualsGreedy) {
  DecodeOptions o;
  o.max_len = 8;
  o.beam_width = 1;
  auto s = zoo().stepper(GetParam());
  auto greedy = greedy_decode(*s, zoo().prefix(GetParam()), o);
  auto beam = beam_search(*s, zoo().prefix(GetParam()), o);
  expect_same_hypotheses(beam, greedy, 1e-9);
}

TEST_P(DecodingTest, SamplingRepeatsWithItsSeed) {
  DecodeOptions o;
  o.max_len = 8;
  o.temperature = 2.0f;
  o.seed = 7;
  auto s = zoo().stepper(GetParam());
  auto a = sample_decode(*s, zoo().prefix(GetParam()), o);
  auto b = sample_decode(*s, zoo().prefix(GetParam()), o);
  o.seed = 8;
  auto c = sample_decode(*s, zoo().prefix(GetParam()), o);
  bool any_differs = false;
  for (int64_t r = 0; r < B; ++r) {
    EXPECT_EQ(a[r].tokens, b[r].tokens);
    EXPECT_EQ(a[r].log_prob, b[r].log_prob);
    any_differs |= a[r].tokens != c[r].tokens;
  }
  EXPECT_TRUE(any_differs) << "seeds 7 and 8 drew the same tokens for every row";
}

TEST_P(DecodingTest, ColdOrTopOneSamplingEqualsGreedy) {
  DecodeOptions o;
  o.max_len = 8;
  auto s = zoo().stepper(GetParam());
  auto greedy = greedy_decode(*s, zoo().prefix(GetParam()), o);
  for (auto [temperature, top_k] : {std::pair{0.0f, 0}, {1e-4f, 0}, {1.0f, 1}, {3.0f, 1}}) {
    o.temperature = temperature;
    o.top_k = top_k;
    auto sampled = sample_decode(*s, zoo().prefix(GetParam()), o);
    for (int64_t r = 0; r < B; ++r) {
      EXPECT_EQ(sampled[r].tokens, greedy[r].tokens)
          << "temperature " << temperature << " top_k " << top_k;
      EXPECT_EQ(sampled[r].log_prob, greedy[r].log_prob);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, DecodingTest,
                         ::testing::Values(Kind::kSeq2Seq, Kind::kDecoderLM, Kind::kRnn),
                         [](const ::testing::TestParamInfo<Kind>& i) {
                           return kind_name(i.param);
                         });

// ---- a model with known probabilities ----

constexpr int64_t A = 3, Bt = 4, kFakeVocab = 5;  // tokens A and B; 0 pad, 1 bos, 2 eos

// Next-token probabilities over (pad, bos, eos, A, B) as a function of the tokens generated so
// far; the first prefix token picks the table, so rows of one batch can follow different ones.
using Table = std::map<std::vector<int64_t>, std::vector<double>>;

class FakeModel final : public StepModel {
 public:
  explicit FakeModel(std::map<int64_t, Table> tables) : tables_(std::move(tables)) {}
  void start(int64_t batch) override { rows_.assign(batch, {}); }
  Tensor next_logits(const Tensor& tokens, int64_t offset) override {
    ++calls;
    EXPECT_EQ(tokens.size(0), static_cast<int64_t>(rows_.size()));
    EXPECT_EQ(offset, static_cast<int64_t>(rows_.empty() ? 0 : rows_[0].size()));
    std::vector<int64_t> ids = tokens.to_ints();
    const int64_t n = tokens.size(1);
    std::vector<float> logits;
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      rows_[r].insert(rows_[r].end(), ids.begin() + r * n, ids.begin() + (r + 1) * n);
      const Table& table = tables_.at(rows_[r][0]);
      // Generated tokens: everything after the 1-token prefix.
      std::vector<int64_t> generated(rows_[r].begin() + 1, rows_[r].end());
      auto it = table.find(generated);
      std::vector<double> p = it != table.end() ? it->second : std::vector<double>{0, 0, 1, 0, 0};
      for (double q : p) logits.push_back(std::log(static_cast<float>(q)));
    }
    return Tensor::from_vector(logits, {static_cast<int64_t>(rows_.size()), kFakeVocab});
  }
  void reorder(const std::vector<int64_t>& rows) override {
    std::vector<std::vector<int64_t>> next;
    for (int64_t r : rows) next.push_back(rows_.at(r));
    rows_ = next;
  }
  int calls = 0;

 private:
  std::map<int64_t, Table> tables_;
  std::vector<std::vector<int64_t>> rows_;
};

// Greedy takes A (0.5), then A (0.36), then EOS: p = 0.18. B then EOS has p = 0.4 · 0.9 = 0.36.
const Table kGreedyMisses = {
    {{}, {0, 0, 0.1, 0.5, 0.4}},
    {{A}, {0, 0, 0.30, 0.36, 0.34}},
    {{Bt}, {0, 0, 0.9, 0.05, 0.05}},
};
// EOS at once has p = 0.45, the best sum; A A EOS has p = 0.36 but the best mean log-prob.
const Table kShortVsLong = {
    {{}, {0, 0, 0.45, 0.5, 0.05}},
    {{A}, {0, 0, 0.1, 0.8, 0.1}},
    {{A, A}, {0, 0, 0.9, 0.05, 0.05}},
    {{A, Bt}, {0, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0}},
    {{Bt}, {0, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0}},
};

TEST(BeamSearch, FindsTheSequenceGreedyMisses) {
  FakeModel m({{1, kGreedyMisses}});
  DecodeOptions o;
  o.max_len = 5;
  auto greedy = greedy_decode(m, bos_prefix(1), o);
  EXPECT_EQ(greedy[0].tokens, (std::vector<int64_t>{A, A}));
  EXPECT_NEAR(greedy[0].log_prob, std::log(0.18), 1e-6);
  o.beam_width = 2;
  auto beam = beam_search(m, bos_prefix(1), o);
  EXPECT_EQ(beam[0].tokens, (std::vector<int64_t>{Bt}));
  EXPECT_TRUE(beam[0].finished);
  EXPECT_NEAR(beam[0].log_prob, std::log(0.36), 1e-6);
  EXPECT_EQ(beam[0].score, beam[0].log_prob);
}

TEST(BeamSearch, LengthPenaltyChoosesBetweenShortAndLong) {
  DecodeOptions o;
  o.max_len = 5;
  o.beam_width = 2;
  FakeModel m({{1, kShortVsLong}});
  // Plain sum: the empty output found at the first step is kept while the search goes on for a
  // second step (where A A at 0.4 can no longer beat 0.45), and returned.
  auto plain = beam_search(m, bos_prefix(1), o);
  EXPECT_EQ(m.calls, 2);
  EXPECT_TRUE(plain[0].tokens.empty());
  EXPECT_TRUE(plain[0].finished);
  EXPECT_NEAR(plain[0].log_prob, std::log(0.45), 1e-6);
  o.length_penalty = 1.0f;
  auto mean = beam_search(m, bos_prefix(1), o);
  EXPECT_EQ(mean[0].tokens, (std::vector<int64_t>{A, A}));
  EXPECT_NEAR(mean[0].log_prob, std::log(0.36), 1e-6);
  EXPECT_NEAR(mean[0].score, std::log(0.36) / 3, 1e-6);
}

TEST(BeamSearch, RowsOfABatchSearchIndependently) {
  FakeModel m({{5, kGreedyMisses}, {6, kShortVsLong}});
  DecodeOptions o;
  o.max_len = 5;
  o.beam_width = 2;
  o.keep_logits = true;
  auto out = beam_search(m, Tensor::from_ints({5, 6, 5}, {3, 1}), o);
  EXPECT_EQ(out[0].tokens, (std::vector<int64_t>{Bt}));
  EXPECT_TRUE(out[1].tokens.empty());
  EXPECT_EQ(out[2].tokens, (std::vector<int64_t>{Bt}));
  EXPECT_EQ(out[0].logits.shape(), (Shape{2, kFakeVocab}));
  EXPECT_NEAR(out[0].logits.at({1, kEos}), std::log(0.9f), 1e-6);  // the logits of B's step
}

TEST(BeamSearch, StopsAtMaxLenWithTheBestUnfinishedHypothesis) {
  // Nothing reaches EOS within two steps: A A (0.30) beats B A and B B (0.20 each).
  FakeModel m(
      {{1,
        {{{}, {0, 0, 0.1, 0.5, 0.4}}, {{A}, {0, 0, 0.1, 0.6, 0.3}}, {{Bt}, {0, 0, 0, 0.5, 0.5}}}}});
  DecodeOptions o;
  o.max_len = 2;
  o.beam_width = 2;
  auto out = beam_search(m, bos_prefix(1), o);
  EXPECT_EQ(out[0].tokens, (std::vector<int64_t>{A, A}));
  EXPECT_FALSE(out[0].finished);
  EXPECT_NEAR(out[0].log_prob, std::log(0.3), 1e-6);
}

TEST(Sampling, FollowsTemperatureAndTopK) {
  FakeModel m({{1, kGreedyMisses}});
  const int64_t n = 4000;
  DecodeOptions o;
  o.max_len = 1;
  auto freq = [&](float temperature, int64_t top_k) {
    o.temperature = temperature;
    o.top_k = top_k;
    o.seed = 11;
    std::vector<double> f(kFakeVocab, 0.0);
    for (const Hypothesis& h : sample_decode(m, bos_prefix(n), o))
      f[h.finished ? kEos : h.tokens[0]] += 1.0 / n;
    return f;
  };
  auto f = freq(1.0f, 0);  // p = (eos 0.1, A 0.5, B 0.4)
  EXPECT_NEAR(f[kEos], 0.1, 0.02);
  EXPECT_NEAR(f[A], 0.5, 0.03);
  EXPECT_NEAR(f[Bt], 0.4, 0.03);
  f = freq(1.0f, 2);  // EOS cut: A 5/9, B 4/9
  EXPECT_EQ(f[kEos], 0.0);
  EXPECT_NEAR(f[A], 5.0 / 9, 0.03);
  f = freq(0.5f, 0);  // p² normalized: 0.01, 0.25, 0.16 over 0.42
  EXPECT_NEAR(f[kEos], 0.01 / 0.42, 0.015);
  EXPECT_NEAR(f[A], 0.25 / 0.42, 0.03);
  EXPECT_NEAR(f[Bt], 0.16 / 0.42, 0.03);
}

TEST(Decoding, RejectsMisuse) {
  FakeModel m({{1, kGreedyMisses}});
  DecodeOptions o;
  o.max_len = 0;
  EXPECT_THROW(greedy_decode(m, bos_prefix(1), o), Error);
  o = {};
  EXPECT_THROW(greedy_decode(m, Tensor::zeros({1, 1}), o), Error);  // float prefix
  o.strategy = "nucleus";
  EXPECT_THROW(decode(m, bos_prefix(1), o), Error);
  o = {};
  o.beam_width = 0;
  EXPECT_THROW(beam_search(m, bos_prefix(1), o), Error);
  Seq2SeqStepper s(*zoo().seq2seq, zoo().src, zoo().src_padding);
  EXPECT_THROW(s.start(B + 1), Error);
  s.start(B);
  EXPECT_THROW(s.next_logits(bos_prefix(B), 3), Error);  // offset must be the positions fed
}

}  // namespace
}  // namespace heed
