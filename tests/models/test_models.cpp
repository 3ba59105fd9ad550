// The model zoo: Seq2Seq, DecoderLM, Classifier and RnnAttention. Each overfits one fixed batch
// of 8 sequences of length 6 (vocabulary 10, dropout 0) to a cross-entropy below 0.05 within
// 400 AdamW steps, and the trained sequence models then decode that batch exactly; plus shapes,
// parameter names, padding invariance and gradchecks of the GRU cell and of the RNN model
// (stacked layers, both directions), the stacked GRU against its cells run by hand, and the RNN
// model with every attention variant that can attend across sequences.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"
#include "framework/random.h"
#include "models/attention/attention.h"
#include "models/classifier.h"
#include "models/decoding.h"
#include "models/rnn_stepper.h"
#include "models/seq2seq_stepper.h"
#include "tests/models/model_test_util.h"
#include "tests/test_util.h"

namespace heed {
namespace {

constexpr int64_t V = 10, N = 8, L = 6;
constexpr float kOverfitLoss = 0.05f;
constexpr int kMaxSteps = 400;

// 8 fixed sequences of data tokens (3..9).
std::vector<std::vector<int64_t>> sequences() {
  Rng rng(2024);
  std::vector<std::vector<int64_t>> s(N, std::vector<int64_t>(L));
  for (auto& row : s)
    for (int64_t& t : row) t = rng.randint(3, V);
  return s;
}

Tensor ids(const std::vector<std::vector<int64_t>>& rows) {
  std::vector<int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return Tensor::from_ints(
      flat, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())});
}

// The reverse task: src x, decoder input [bos, reversed x], target [reversed x, eos].
struct ReverseBatch {
  Tensor src, dec_in, target;
  std::vector<std::vector<int64_t>> reversed;
};
ReverseBatch reverse_batch() {
  ReverseBatch b;
  auto xs = sequences();
  std::vector<std::vector<int64_t>> in, out;
  for (const auto& x : xs) {
    std::vector<int64_t> r(x.rbegin(), x.rend());
    b.reversed.push_back(r);
    in.push_back(r);
    in.back().insert(in.back().begin(), kBos);
    out.push_back(r);
    out.back().push_back(kEos);
  }
  b.src = ids(xs);
  b.dec_in = ids(in);
  b.target = ids(out);
  return b;
}

// Trains with AdamW until the loss is below a tenth of the threshold or kMaxSteps, then returns
// the loss in eval mode.
float overfit(Module& m, const std::function<Tensor()>& loss_fn, double lr, const char* name) {
  const auto t0 = std::chrono::steady_clock::now();
  AdamW opt(m.named_parameters(), lr, 0.9, 0.999, 1e-8, 0.0);
  int steps = 0;
  for (; steps < kMaxSteps; ++steps) {
    opt.zero_grad();
    Tensor loss = loss_fn();
    loss.backward();
    if (loss.item() < kOverfitLoss / 10) break;
    opt.step();
  }
  m.eval();
  NoGradGuard no_grad;
  const float loss = loss_fn().item();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ overfit ] %s: loss %.4f after %d steps, %.2f s\n", name, loss, steps, secs);
  return loss;
}

TransformerConfig tiny_transformer() {
  auto c = testing::sized<TransformerConfig>(V, {.d_model = 32, .heads = 2, .d_ff = 64});
  c.encoder_layers = c.decoder_layers = 1;
  return c;
}

void expect_decodes(StepModel& stepper, const Tensor& prefix,
                    const std::vector<std::vector<int64_t>>& want) {
  DecodeOptions o;
  o.max_len = L + 2;
  for (const char* strategy : {"greedy", "beam"}) {
    o.strategy = strategy;
    auto out = decode(stepper, prefix, o);
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(out[i].tokens, want[i]) << strategy << " row " << i;
      EXPECT_TRUE(out[i].finished);
    }
  }
}

TEST(Seq2Seq, OverfitsReverseAndDecodesIt) {
  seed_init(1);
  Seq2Seq m(tiny_transformer());
  ReverseBatch b = reverse_batch();
  Tensor logits = m.forward(b.src, b.dec_in);
  EXPECT_EQ(logits.shape(), (Shape{N, L + 1, V}));
  auto loss = [&] { return cross_entropy(m.forward(b.src, b.dec_in), b.target); };
  EXPECT_LT(overfit(m, loss, 3e-3, "seq2seq"), kOverfitLoss);
  Seq2SeqStepper s(m, b.src);
  expect_decodes(s, bos_prefix(N), b.reversed);
}

// The LM copies: [bos, x, x] with the loss on the copy and the final eos only (the first x is
// not predictable).
TEST(DecoderLM, OverfitsCopyAndContinuesThePrompt) {
  seed_init(2);
  DecoderLM m(tiny_transformer());
  auto xs = sequences();
  std::vector<std::vector<int64_t>> in, target, prompt;
  for (const auto& x : xs) {
    std::vector<int64_t> seq = {kBos};
    seq.insert(seq.end(), x.begin(), x.end());
    prompt.push_back(seq);
    seq.insert(seq.end(), x.begin(), x.end());
    seq.push_back(kEos);
    in.emplace_back(seq.begin(), seq.end() - 1);
    std::vector<int64_t> t(seq.begin() + 1, seq.end());
    for (int64_t i = 0; i < L; ++i) t[i] = -100;
    target.push_back(t);
  }
  Tensor input = ids(in), tgt = ids(target);
  EXPECT_EQ(m.forward(input).shape(), (Shape{N, 2 * L + 1, V}));
  auto loss = [&] { return cross_entropy(m.forward(input), tgt); };
  EXPECT_LT(overfit(m, loss, 3e-3, "decoder_lm"), kOverfitLoss);
  DecoderLMStepper s(m);
  expect_decodes(s, ids(prompt), xs);
}

// ---- Classifier ----

ClassifierConfig tiny_classifier(const std::string& attention = "mha") {
  auto c = testing::sized<ClassifierConfig>(V, {.d_model = 32, .heads = 2, .d_ff = 64});
  c.num_classes = 3;
  c.layers = 1;
  c.attention = attention;
  return c;
}

// Rows of lengths 6, 6, 5, 4, 6, 3, 5, 6, right-padded; label = (sum of tokens) mod 3.
struct ClassBatch {
  Tensor ids, padding, labels;
};
ClassBatch class_batch() {
  const int64_t lengths[N] = {6, 6, 5, 4, 6, 3, 5, 6};
  auto xs = sequences();
  std::vector<int64_t> pad, labels;
  for (int64_t i = 0; i < N; ++i) {
    int64_t sum = 0;
    for (int64_t t = 0; t < L; ++t) {
      if (t >= lengths[i]) xs[i][t] = kPad;
      pad.push_back(t >= lengths[i]);
      sum += xs[i][t];
    }
    labels.push_back(sum % 3);
  }
  return {ids(xs), Tensor::from_ints(pad, {N, L}), Tensor::from_ints(labels, {N})};
}

TEST(Classifier, OverfitsAPaddedBatch) {
  seed_init(3);
  Classifier m(tiny_classifier());
  ClassBatch b = class_batch();
  EXPECT_EQ(m.forward(b.ids, b.padding).shape(), (Shape{N, 3}));
  auto loss = [&] { return cross_entropy(m.forward(b.ids, b.padding), b.labels); };
  EXPECT_LT(overfit(m, loss, 3e-3, "classifier"), kOverfitLoss);
}

TEST(Classifier, ParameterNames) {
  ClassifierConfig c = tiny_classifier();
  c.position = "learned";
  c.max_len = 16;
  Classifier m(c);
  NamedTensors p = m.named_parameters();
  ASSERT_GE(p.size(), 4u);
  EXPECT_EQ(p.front().first, "embed.embed.weight");
  EXPECT_EQ(p[1].first, "embed.pos.weight");
  EXPECT_EQ(p[2].first, "encoder.layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(p[p.size() - 4].first, "encoder.norm.weight");
  EXPECT_EQ(p[p.size() - 2].first, "head.weight");
  EXPECT_EQ(p[p.size() - 2].second.shape(), (Shape{3, 32}));
  EXPECT_EQ(p.back().first, "head.bias");
  EXPECT_THROW(
      [] {
        ClassifierConfig bad = tiny_classifier();
        bad.pooling = "max";
        Classifier x(bad);
      }(),
      Error);
}

// With every registered variant that needs no tree, and both poolings: tokens at padded
// positions change nothing (where the variant honours key padding).
TEST(Classifier, AnyVariantIgnoresPaddedTokens) {
  ClassBatch b = class_batch();
  std::vector<int64_t> other = b.ids.to_ints(), pad = b.padding.to_ints();
  for (std::size_t i = 0; i < other.size(); ++i)
    if (pad[i]) other[i] = 7;
  Tensor noisy = Tensor::from_ints(other, {N, L});
  for (const AttentionVariant& v : attention_variants()) {
    auto probe = v.create(AttentionConfig{32, 2, 0.0f, {}});
    if (probe->capabilities().needs_tree) continue;
    for (const char* pooling : {"mean", "first"}) {
      SCOPED_TRACE(v.name + " " + pooling);
      ClassifierConfig c = tiny_classifier(v.name);
      c.pooling = pooling;
      seed_init(4);
      Classifier m(c);
      m.eval();
      NoGradGuard no_grad;
      Tensor a = m.forward(b.ids, b.padding);
      EXPECT_EQ(a.shape(), (Shape{N, 3}));
      if (!probe->capabilities().key_padding) continue;
      testing::expect_values(m.forward(noisy, b.padding), a.to_vector(), 1e-5f);
    }
  }
}

// ---- GRU cell and RnnAttention ----

// torch.nn.GRUCell's equations written out in scalars.
std::vector<float> gru_reference(const GRUCell& cell, const Tensor& x, const Tensor& h) {
  auto p = cell.named_parameters();
  auto w_ih = p[0].second.to_vector(), w_hh = p[1].second.to_vector();
  auto b_ih = p[2].second.to_vector(), b_hh = p[3].second.to_vector();
  const int64_t Bn = x.size(0), I = x.size(1), H = h.size(1);
  auto xv = x.to_vector(), hv = h.to_vector();
  auto sig = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
  std::vector<float> out(Bn * H);
  for (int64_t b = 0; b < Bn; ++b)
    for (int64_t j = 0; j < H; ++j) {
      float gi[3], gh[3];
      for (int g = 0; g < 3; ++g) {
        const int64_t row = g * H + j;
        gi[g] = b_ih[row];
        gh[g] = b_hh[row];
        for (int64_t k = 0; k < I; ++k) gi[g] += w_ih[row * I + k] * xv[b * I + k];
        for (int64_t k = 0; k < H; ++k) gh[g] += w_hh[row * H + k] * hv[b * H + k];
      }
      const float r = sig(gi[0] + gh[0]), z = sig(gi[1] + gh[1]);
      const float n = std::tanh(gi[2] + r * gh[2]);
      out[b * H + j] = (1 - z) * n + z * hv[b * H + j];
    }
  return out;
}

TEST(GRUCell, MatchesTorchEquationsNamesAndInit) {
  seed_init(5);
  GRUCell cell(3, 4);
  NamedTensors p = cell.named_parameters();
  ASSERT_EQ(p.size(), 4u);
  const std::vector<std::pair<std::string, Shape>> want = {
      {"weight_ih", {12, 3}}, {"weight_hh", {12, 4}}, {"bias_ih", {12}}, {"bias_hh", {12}}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p[i].first, want[i].first);
    EXPECT_EQ(p[i].second.shape(), want[i].second);
    for (float v : p[i].second.to_vector()) EXPECT_LE(std::abs(v), 0.5f);  // 1/√4
  }
  Tensor x = Tensor::randn({2, 3}, 1), h = Tensor::randn({2, 4}, 2);
  testing::expect_values(cell.forward(x, h), gru_reference(cell, x, h), 1e-5f);
}

TEST(GRUCell, Gradcheck) {
  seed_init(6);
  GRUCell cell(3, 4);
  std::vector<Tensor> inputs = {testing::input({2, 3}, 1), testing::input({2, 4}, 2)};
  for (const Tensor& p : cell.parameters()) inputs.push_back(p);
  auto f = [&](const std::vector<Tensor>& in) { return cell.forward(in[0], in[1]); };
  EXPECT_TRUE(testing::passes_gradcheck(f, inputs));
}

// ---- the stacked GRU (torch.nn.GRU) ----

using NamedShapes = std::vector<std::pair<std::string, Shape>>;

void expect_names_and_shapes(const Module& m, const NamedShapes& want) {
  NamedTensors p = m.named_parameters();
  ASSERT_EQ(p.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(p[i].first, want[i].first) << "parameter " << i;
    EXPECT_EQ(p[i].second.shape(), want[i].second) << want[i].first;
  }
}

// torch.nn.GRU's names and order: per layer, per direction, w_ih, w_hh, b_ih, b_hh.
NamedShapes gru_names(const std::string& prefix, int64_t in, int64_t h, int64_t layers, bool bi) {
  NamedShapes out;
  for (int64_t k = 0; k < layers; ++k)
    for (const char* dir :
         bi ? std::vector<const char*>{"", "_reverse"} : std::vector<const char*>{""}) {
      const std::string s = "_l" + std::to_string(k) + dir;
      const int64_t i = k == 0 ? in : (bi ? 2 : 1) * h;
      out.push_back({prefix + "weight_ih" + s, {3 * h, i}});
      out.push_back({prefix + "weight_hh" + s, {3 * h, h}});
      out.push_back({prefix + "bias_ih" + s, {3 * h}});
      out.push_back({prefix + "bias_hh" + s, {3 * h}});
    }
  return out;
}

// GRU cells holding a GRU's weights for layer k and direction `suffix`.
std::unique_ptr<GRUCell> cell_of(const GRU& gru, int64_t k, const std::string& suffix) {
  auto cell = std::make_unique<GRUCell>(
      gru.parameter("weight_ih_l" + std::to_string(k) + suffix).size(1), gru.hidden_size());
  NamedTensors mine = cell->named_parameters();
  for (auto& [name, p] : mine) {
    Tensor src = gru.parameter(name + "_l" + std::to_string(k) + suffix);
    std::vector<float> v = src.to_vector();
    std::copy(v.begin(), v.end(), p.data<float>());
  }
  return cell;
}

TEST(GRU, NamesShapesAndInitAreTorchs) {
  seed_init(3);
  for (bool bi : {false, true}) {
    GRU gru(5, 4, 3, bi);
    expect_names_and_shapes(gru, gru_names("", 5, 4, 3, bi));
    for (const Tensor& p : gru.parameters())
      for (float v : p.to_vector()) EXPECT_LE(std::abs(v), 0.5f);  // 1/√4
  }
}

// A two-layer, two-way GRU is its cells run by hand: layer 1 reads [h→; h←] of layer 0, the
// reverse direction runs from the last position, and the final state is [h→ last; h← first].
TEST(GRU, StackedBidirectionalIsItsCellsByHand) {
  seed_init(4);
  GRU gru(3, 4, 2, true);
  gru.eval();
  NoGradGuard no_grad;
  const int64_t B = 2, S = 3;
  Tensor x = Tensor::randn({B, S, 3}, 5);
  GRU::Output out = gru.forward(x);
  ASSERT_EQ(out.outputs.shape(), (Shape{B, S, 8}));
  ASSERT_EQ(out.final.shape(), (Shape{B, 8}));
  Tensor in = x;
  std::vector<Tensor> fwd(S), bwd(S);
  for (int64_t k = 0; k < 2; ++k) {
    auto f = cell_of(gru, k, ""), r = cell_of(gru, k, "_reverse");
    Tensor hf = Tensor::zeros({B, 4}), hr = Tensor::zeros({B, 4});
    for (int64_t t = 0; t < S; ++t) fwd[t] = hf = f->forward(select(in, 1, t), hf);
    for (int64_t t = S - 1; t >= 0; --t) bwd[t] = hr = r->forward(select(in, 1, t), hr);
    in = concat({stack(fwd, 1), stack(bwd, 1)}, 2);
  }
  testing::expect_values(out.outputs, in.to_vector(), 1e-5f);
  testing::expect_values(out.final, concat({fwd[S - 1], bwd[0]}, 1).to_vector(), 1e-5f);
}

// step() over a one-way stack is forward() one position at a time.
TEST(GRU, StepEqualsForward) {
  seed_init(6);
  GRU gru(3, 4, 3);
  gru.eval();
  NoGradGuard no_grad;
  Tensor x = Tensor::randn({2, 4, 3}, 7);
  GRU::Output out = gru.forward(x);
  Tensor state = Tensor::zeros({2, 3, 4});
  for (int64_t t = 0; t < 4; ++t) {
    state = gru.step(select(x, 1, t), state);
    testing::expect_values(select(state, 1, -1), select(out.outputs, 1, t).to_vector(), 1e-5f);
  }
  EXPECT_THROW(gru.step(select(x, 1, 0), Tensor::zeros({2, 2, 4})), Error);
  EXPECT_THROW(GRU(3, 4, 2, true).step(select(x, 1, 0), Tensor::zeros({2, 2, 4})), Error);
}

// ---- RnnAttention ----

RnnAttentionConfig tiny_rnn(bool bidirectional, int64_t layers = 2) {
  RnnAttentionConfig c;
  c.vocab = V;
  c.embed_dim = 16;
  c.hidden = 32;
  c.encoder_layers = c.decoder_layers = layers;
  c.bidirectional = bidirectional;
  c.dropout = 0.0f;
  return c;
}

TEST(RnnAttention, ParameterNamesAndShapes) {
  for (bool bi : {false, true}) {
    SCOPED_TRACE(bi ? "bidirectional" : "unidirectional");
    RnnAttentionConfig c = tiny_rnn(bi);
    c.encoder_layers = 3;
    RnnAttention m(c);
    const int64_t E = 16, H = 32, L = 2;
    NamedShapes want = {{"src_embed.weight", {V, E}}, {"tgt_embed.weight", {V, E}}};
    for (auto w : gru_names("encoder.", E, bi ? H / 2 : H, 3, bi)) want.push_back(w);
    // The registered additive variant, one head of width H: v, then W (with bias), U, the
    // value and output projections.
    for (auto w : NamedShapes{{"bridge.weight", {L * H, H}},
                              {"bridge.bias", {L * H}},
                              {"attention.score_weight", {1, H}},
                              {"attention.query_proj.weight", {H, H}},
                              {"attention.query_proj.bias", {H}},
                              {"attention.key_proj.weight", {H, H}},
                              {"attention.value_proj.weight", {H, H}},
                              {"attention.value_proj.bias", {H}},
                              {"attention.out_proj.weight", {H, H}},
                              {"attention.out_proj.bias", {H}}})
      want.push_back(w);
    for (auto w : gru_names("decoder.", E + H, H, L, false)) want.push_back(w);
    want.push_back({"out.weight", {V, 2 * H + E}});
    want.push_back({"out.bias", {V}});
    expect_names_and_shapes(m, want);
  }
  RnnAttentionConfig odd = tiny_rnn(true);
  odd.hidden = 31;
  EXPECT_THROW(RnnAttention{odd}, Error);  // two halves of 31 units
  RnnAttentionConfig window = tiny_rnn(false);
  window.attention = "window";  // no capability cross
  EXPECT_THROW(RnnAttention{window}, Error);
}

TEST(RnnAttention, ShapesWeightsAndPadding) {
  for (bool bi : {false, true}) {
    SCOPED_TRACE(bi ? "bidirectional" : "unidirectional");
    seed_init(7);
    RnnAttention m(tiny_rnn(bi));
    m.eval();
    NoGradGuard no_grad;
    Tensor src = Tensor::from_ints({4, 5, 6, 7, 8, 9, 0, 0}, {2, 4});
    Tensor pad = Tensor::from_ints({0, 0, 0, 0, 0, 0, 1, 1}, {2, 4});
    Tensor dec = Tensor::from_ints({1, 3, 4, 1, 9, 9}, {2, 3});
    Tensor w;
    Tensor logits = m.forward(src, dec, pad, &w);
    EXPECT_EQ(logits.shape(), (Shape{2, 3, V}));
    ASSERT_EQ(w.shape(), (Shape{2, 3, 4}));
    for (int64_t t = 0; t < 3; ++t) {
      EXPECT_NEAR(w.at({0, t, 0}) + w.at({0, t, 1}) + w.at({0, t, 2}) + w.at({0, t, 3}), 1.0f,
                  1e-5);
      EXPECT_EQ(w.at({1, t, 2}), 0.0f);
      EXPECT_EQ(w.at({1, t, 3}), 0.0f);
    }
    // Tokens under padding change nothing, in either direction of the encoder.
    Tensor noisy = Tensor::from_ints({4, 5, 6, 7, 8, 9, 3, 5}, {2, 4});
    testing::expect_values(m.forward(noisy, dec, pad), logits.to_vector(), 1e-6f);
    // A padded row equals the same row alone and unpadded.
    Tensor alone = m.forward(Tensor::from_ints({8, 9}, {1, 2}), dec.slice(0, 1, 2));
    testing::expect_values(alone, logits.slice(0, 1, 2).to_vector(), 1e-5f);
  }
}

// A row's logits depend on nothing else in its batch: not on the other rows' tokens, nor on how
// long they are (which decides how much padding this row gets).
TEST(RnnAttention, RowsAreIndependentOfTheirBatch) {
  seed_init(10);
  RnnAttention m(tiny_rnn(true));
  m.eval();
  NoGradGuard no_grad;
  Tensor dec = Tensor::from_ints({1, 3, 4, 5, 1, 9, 8, 7}, {2, 4});
  Tensor first = m.forward(Tensor::from_ints({3, 4, 5}, {1, 3}), dec.slice(0, 0, 1));
  for (const std::vector<int64_t>& other :
       {std::vector<int64_t>{9, 9, 9, 0, 0, 0}, std::vector<int64_t>{6, 7, 8, 9, 3, 4}}) {
    std::vector<int64_t> src = {3, 4, 5, 0, 0, 0}, pad = {0, 0, 0, 1, 1, 1};
    src.insert(src.end(), other.begin(), other.end());
    for (int64_t t : other) pad.push_back(t == 0);
    Tensor both = m.forward(Tensor::from_ints(src, {2, 6}), dec, Tensor::from_ints(pad, {2, 6}));
    testing::expect_values(both.slice(0, 0, 1), first.to_vector(), 1e-5f);
  }
}

TEST(RnnAttention, GradcheckOfTheLossWrtEveryParameterWithStackedLayers) {
  RnnAttentionConfig c;
  c.vocab = 6;
  c.embed_dim = 3;
  c.hidden = 4;
  c.encoder_layers = 2;
  c.decoder_layers = 2;
  c.bidirectional = true;
  c.dropout = 0.0f;
  seed_init(8);
  RnnAttention m(c);
  Tensor src = Tensor::from_ints({3, 4, 5, 5, 3, 0}, {2, 3});
  Tensor pad = Tensor::from_ints({0, 0, 0, 0, 0, 1}, {2, 3});
  Tensor dec = Tensor::from_ints({1, 5, 4, 1, 3, 3}, {2, 3});
  Tensor target = Tensor::from_ints({5, 4, 2, 3, 3, 2}, {2, 3});
  std::vector<Tensor> params = m.parameters();
  EXPECT_GT(params.size(), 30u);  // both directions of two encoder layers, two decoder layers
  auto f = [&](const std::vector<Tensor>&) {
    return cross_entropy(m.forward(src, dec, pad), target);
  };
  EXPECT_TRUE(testing::passes_gradcheck(f, params));
}

// Any variant that can attend across sequences serves as the attention; the query sits at its
// output position (query_offset), so decoding step by step gives the teacher-forced logits even
// for the position-aware ones.
TEST(RnnAttention, EveryCrossVariantDecodesAsItIsTeacherForced) {
  int tried = 0;
  for (const AttentionVariant& v : attention_variants()) {
    AttentionConfig probe{8, 1, 0.0f, {}};
    AttentionCapabilities caps = make_attention(v.name, probe)->capabilities();
    if (!caps.cross) continue;
    SCOPED_TRACE(v.name);
    ++tried;
    RnnAttentionConfig c = tiny_rnn(false);
    c.attention = v.name;
    seed_init(11);
    RnnAttention m(c);
    Tensor src = Tensor::from_ints({4, 5, 6, 7, 8, 9, 0, 0}, {2, 4});
    Tensor pad = Tensor::from_ints({0, 0, 0, 0, 0, 0, 1, 1}, {2, 4});
    RnnAttentionStepper stepper(m, src, pad);
    DecodeOptions o;
    o.max_len = 5;
    o.keep_logits = true;
    std::vector<Hypothesis> hs = greedy_decode(stepper, bos_prefix(2), o);
    for (int64_t b = 0; b < 2; ++b) {
      std::vector<int64_t> in = {kBos};
      in.insert(in.end(), hs[b].tokens.begin(), hs[b].tokens.end());
      const int64_t steps = hs[b].logits.size(0);
      in.resize(steps);
      EvalModeScope eval(m);
      NoGradGuard no_grad;
      Tensor forced = m.forward(src.slice(0, b, b + 1), Tensor::from_ints(in, {1, steps}),
                                pad.slice(0, b, b + 1));
      testing::expect_values(forced, hs[b].logits.to_vector(), 1e-4f);
    }
  }
  EXPECT_GE(tried, 8);
}

TEST(RnnAttention, OverfitsReverseAndDecodesIt) {
  seed_init(9);
  RnnAttention m(tiny_rnn(true));
  ReverseBatch b = reverse_batch();
  auto loss = [&] { return cross_entropy(m.forward(b.src, b.dec_in), b.target); };
  EXPECT_LT(overfit(m, loss, 1e-2, "rnn_attention"), kOverfitLoss);
  RnnAttentionStepper s(m, b.src);
  expect_decodes(s, bos_prefix(N), b.reversed);
}

}  // namespace
}  // namespace heed
