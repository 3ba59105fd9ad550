// Variant-specific checks, beyond the generic ones of test_attention.cpp: each variant against
// its paper's definition written out plainly here (loops over plain vectors, no heed ops), the
// position schemes against their reference formulas, and cached decoding against a full pass.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>

#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/random.h"
#include "models/attention/attention.h"
#include "models/attention/positions.h"
#include "tests/models/model_test_util.h"
#include "tests/test_util.h"

namespace heed {
namespace {

constexpr int64_t C = 8, H = 2, D = C / H;

std::shared_ptr<Attention> make(const std::string& name, Options extra = {}, uint64_t seed = 11) {
  seed_init(seed);
  auto a = make_attention(name, AttentionConfig{C, H, 0.0f, std::move(extra)});
  a->eval();
  return a;
}

// ---- a plain reference implementation: row-major vectors and loops ----

// (B, T, C) values and their per-head split, read as x[b][h][t][d].
struct Heads {
  std::vector<float> v;
  int64_t B, T;
  float at(int64_t b, int64_t h, int64_t t, int64_t d) const {
    return v[(b * T + t) * C + h * D + d];
  }
};

// x (B, T, C) · Wᵀ + bias with W the rows [row0, row0 + C) of `weight` (C or 3C, C).
Heads project(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t row0 = 0) {
  const int64_t B = x.size(0), T = x.size(1);
  std::vector<float> xv = x.to_vector(), w = weight.to_vector();
  std::vector<float> b =
      bias.defined() ? bias.to_vector() : std::vector<float>(weight.size(0), 0.0f);
  Heads out{std::vector<float>(B * T * C), B, T};
  for (int64_t n = 0; n < B * T; ++n)
    for (int64_t o = 0; o < C; ++o) {
      double acc = b[row0 + o];
      for (int64_t c = 0; c < C; ++c)
        acc += static_cast<double>(w[(row0 + o) * C + c]) * xv[n * C + c];
      out.v[n * C + o] = static_cast<float>(acc);
    }
  return out;
}

Heads raw(const Tensor& x) {
  return Heads{x.to_vector(), x.size(0), x.size(1)};
}

// The projections of mha's packed in_proj.
std::array<Heads, 3> packed(const Attention& a, const Tensor& q, const Tensor& k, const Tensor& v) {
  Tensor w = a.parameter("in_proj_weight"), b = a.parameter("in_proj_bias");
  return {project(q, w, b, 0), project(k, w, b, C), project(v, w, b, 2 * C)};
}

// Score of query i and key j in head h of batch b, or nullopt where the key is hidden.
using ScoreFn = std::function<std::optional<double>(int64_t b, int64_t h, int64_t i, int64_t j)>;

// softmax over visible keys of `score`, weights · v, heads merged: (B, Tq, C) as Heads.
Heads softmax_attend(const ScoreFn& score, const Heads& v, int64_t Tq) {
  Heads out{std::vector<float>(v.B * Tq * C, 0.0f), v.B, Tq};
  for (int64_t b = 0; b < v.B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < Tq; ++i) {
        std::vector<std::optional<double>> s(v.T);
        double mx = -1e300;
        for (int64_t j = 0; j < v.T; ++j)
          if ((s[j] = score(b, h, i, j))) mx = std::max(mx, *s[j]);
        double z = 0;
        for (int64_t j = 0; j < v.T; ++j)
          if (s[j]) z += std::exp(*s[j] - mx);
        for (int64_t j = 0; j < v.T; ++j)
          if (s[j])
            for (int64_t d = 0; d < D; ++d)
              out.v[(b * Tq + i) * C + h * D + d] +=
                  static_cast<float>(std::exp(*s[j] - mx) / z * v.at(b, h, j, d));
      }
  return out;
}

double dot(const Heads& q, const Heads& k, int64_t b, int64_t h, int64_t i, int64_t j) {
  double s = 0;
  for (int64_t d = 0; d < D; ++d) s += static_cast<double>(q.at(b, h, i, d)) * k.at(b, h, j, d);
  return s;
}

// The output projection, compared with the module's output.
void expect_output(const Attention& a, const Heads& merged, const Tensor& got, float tol = 2e-5f) {
  Heads want = project(Tensor::from_vector(merged.v, {merged.B, merged.T, C}),
                       a.parameter("out_proj.weight"), a.parameter("out_proj.bias"));
  testing::expect_values(got, want.v, tol);
}

bool padded(const std::vector<int64_t>& pad, int64_t Tk, int64_t b, int64_t j) {
  return !pad.empty() && pad[b * Tk + j] != 0;
}

// ---- relative ----

// T5's _relative_position_bucket (HF transformers, modeling_t5.py), line by line, with the
// tensor ops on one element: float32 arithmetic and truncation toward zero, as torch's.
int64_t t5_reference(int64_t relative_position, bool bidirectional, int64_t num_buckets,
                     int64_t max_distance) {
  int64_t relative_buckets = 0;
  if (bidirectional) {
    num_buckets /= 2;
    relative_buckets += (relative_position > 0 ? 1 : 0) * num_buckets;
    relative_position = std::abs(relative_position);
  } else {
    relative_position = -std::min<int64_t>(relative_position, 0);
  }
  const int64_t max_exact = num_buckets / 2;
  const bool is_small = relative_position < max_exact;
  if (is_small) return relative_buckets + relative_position;  // torch.where picks this branch
  float large = std::log(static_cast<float>(relative_position) / static_cast<float>(max_exact));
  large = large / static_cast<float>(
                      std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)));
  large = large * static_cast<float>(num_buckets - max_exact);
  int64_t relative_position_if_large = max_exact + static_cast<int64_t>(large);
  relative_position_if_large = std::min<int64_t>(relative_position_if_large, num_buckets - 1);
  return relative_buckets + relative_position_if_large;
}

TEST(RelativeAttention, BucketsMatchT5ForEveryDistance) {
  for (auto [nb, md] : {std::pair<int64_t, int64_t>{32, 128}, {16, 64}, {8, 20}, {64, 256}, {4, 3}})
    for (bool bidirectional : {true, false})
      for (int64_t r = -600; r <= 600; ++r)
        ASSERT_EQ(t5_relative_position_bucket(r, bidirectional, nb, md),
                  t5_reference(r, bidirectional, nb, md))
            << "relative position " << r << ", num_buckets " << nb << ", max_distance " << md
            << (bidirectional ? ", bidirectional" : ", causal");
  // Hand-derived for the defaults. Bidirectional: 16 buckets a side, 8 exact, then
  // 8 + ⌊2·log2(n/8)⌋ up to 15; keys after the query use 16..31.
  using Buckets = std::vector<std::pair<int64_t, int64_t>>;  // {relative position, bucket}
  const Buckets bidirectional = {{0, 0},    {-7, 7},   {-8, 8},   {-11, 8},   {-12, 9},
                                 {-16, 10}, {-32, 12}, {-64, 14}, {-127, 15}, {-5000, 15},
                                 {1, 17},   {16, 26},  {5000, 31}};
  for (auto [r, bucket] : bidirectional)
    EXPECT_EQ(t5_relative_position_bucket(r, true, 32, 128), bucket) << "bidirectional " << r;
  // Causal: one side, 16 exact, then 16 + ⌊16·log8(n/16)⌋ up to 31; keys after share bucket 0.
  const Buckets causal = {{3, 0},    {-15, 15},  {-16, 16}, {-20, 17},
                          {-32, 21}, {-127, 31}, {-128, 31}};
  for (auto [r, bucket] : causal)
    EXPECT_EQ(t5_relative_position_bucket(r, false, 32, 128), bucket) << "causal " << r;
}

TEST(RelativeAttention, AddsTheBucketBiasOfItsTable) {
  auto a = make("relative", {{"num_buckets", "8"}, {"max_distance", "6"}});
  Tensor table = a->parameter("relative_attention_bias.weight");  // (8, H)
  EXPECT_EQ(table.shape(), (Shape{8, H}));
  copy_(table, Tensor::randn({8, H}, 3, 2.0f));  // large, so a wrong bucket shows
  std::vector<float> t = table.to_vector();
  Tensor x = Tensor::randn({2, 9, C}, 1);
  for (bool causal : {false, true}) {
    AttentionContext ctx;
    ctx.causal = causal;
    auto [q, k, v] = packed(*a, x, x, x);
    // q and k captured by name here and below: clang 14 (the sanitizer build) cannot capture
    // structured bindings implicitly.
    ScoreFn score = [&, &q = q, &k = k](int64_t b, int64_t h, int64_t i,
                                        int64_t j) -> std::optional<double> {
      if (causal && j > i) return std::nullopt;
      return dot(q, k, b, h, i, j) / std::sqrt(double(D)) +
             t[t5_reference(j - i, !causal, 8, 6) * H + h];
    };
    expect_output(*a, softmax_attend(score, v, 9), a->forward(x, x, x, ctx).out);
  }
}

// ---- alibi ----

TEST(AlibiAttention, SlopesFollowThePaper) {
  auto pow2 = [](std::vector<double> e) {
    std::vector<float> s;
    for (double x : e) s.push_back(static_cast<float>(std::pow(2.0, -x)));
    return s;
  };
  EXPECT_EQ(alibi_slopes(8), pow2({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(alibi_slopes(4), pow2({2, 4, 6, 8}));
  EXPECT_EQ(alibi_slopes(1), pow2({8}));
  // Not a power of two: the 4-head slopes, then every other 8-head slope.
  EXPECT_EQ(alibi_slopes(6), pow2({2, 4, 6, 8, 1, 3}));
  EXPECT_EQ(alibi_slopes(12), pow2({1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5}));
}

TEST(AlibiAttention, BiasIsMinusSlopeTimesDistanceFromTheQueryPosition) {
  // Queries at positions 2 and 3 (offset 2), keys at 0..3.
  testing::expect_values(alibi_bias({0.5f, 0.25f}, 2, 4, 2), {-1.0f, -0.5f, 0.0f, -0.5f,    //
                                                              -1.5f, -1.0f, -0.5f, 0.0f,    //
                                                              -0.5f, -0.25f, 0.0f, -0.25f,  //
                                                              -0.75f, -0.5f, -0.25f, 0.0f});
}

TEST(AlibiAttention, MatchesTheBiasedReference) {
  auto a = make("alibi");
  Tensor q_in = Tensor::randn({2, 4, C}, 1), kv = Tensor::randn({2, 7, C}, 2);
  std::vector<float> slopes = alibi_slopes(H);
  auto [q, k, v] = packed(*a, q_in, kv, kv);
  AttentionContext ctx;
  ctx.query_offset = 3;
  ScoreFn score = [&, &q = q, &k = k](int64_t b, int64_t h, int64_t i,
                                      int64_t j) -> std::optional<double> {
    return dot(q, k, b, h, i, j) / std::sqrt(double(D)) - slopes[h] * std::abs(3 + i - j);
  };
  expect_output(*a, softmax_attend(score, v, 4), a->forward(q_in, kv, kv, ctx).out);
}

// ---- rotary ----

TEST(RotaryAttention, RotatesPairsByPositionTimesFrequency) {
  // D = 2: (1, 0) at position t is (cos t, sin t).
  testing::expect_values(apply_rotary(Tensor::from_vector({1, 0, 1, 0}, {2, 2}), 3, 10000.0),
                         {std::cos(3.0f), std::sin(3.0f), std::cos(4.0f), std::sin(4.0f)});
  // D = 4, base 100: dims 1 and 3 pair up with frequency 100^(−1/2) = 0.1.
  testing::expect_values(apply_rotary(Tensor::from_vector({0, 1, 0, 0}, {1, 4}), 3, 100.0),
                         {0, std::cos(0.3f), 0, std::sin(0.3f)});
}

TEST(RotaryAttention, ScoresDependOnlyOnRelativePositionAndNormsArePreserved) {
  Tensor q = Tensor::randn({1, 2, 6, 8}, 1), k = Tensor::randn({1, 2, 6, 8}, 2);
  auto scores = [&](int64_t q_offset, int64_t k_offset) {
    return matmul(apply_rotary(q, q_offset, 10000.0),
                  apply_rotary(k, k_offset, 10000.0).transpose(-1, -2));
  };
  std::vector<float> base = scores(0, 0).to_vector();
  testing::expect_values(scores(37, 37), base, 1e-4f);
  testing::expect_values(scores(1000, 1000), base, 1e-3f);
  EXPECT_GT(std::abs(scores(0, 5).to_vector()[1] - base[1]),
            1e-3f);  // a relative shift does change them
  auto norms = [](const Tensor& x) { return sqrt(sum(mul(x, x), {-1})).to_vector(); };
  testing::expect_values(Tensor::from_vector(norms(apply_rotary(q, 123, 10000.0)), {12}), norms(q),
                         1e-5f);
}

TEST(RotaryAttention, OddHeadDimensionIsAnErrorNamingIt) {
  try {
    make_attention("rotary", AttentionConfig{6, 2, 0.0f, {}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rotary"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3"), std::string::npos) << e.what();
  }
}

// ---- window ----

ScoreFn window_score(const Heads& q, const Heads& k, int64_t width, bool causal,
                     const std::vector<int64_t>& pad) {
  return [&q, &k, width, causal, pad](int64_t b, int64_t h, int64_t i,
                                      int64_t j) -> std::optional<double> {
    const bool inside = causal ? (j <= i && i - j <= width) : std::abs(i - j) <= width;
    if (!inside || padded(pad, k.T, b, j)) return std::nullopt;
    return dot(q, k, b, h, i, j) / std::sqrt(double(D));
  };
}

TEST(WindowAttention, MatchesAPlainBandedAttention) {
  // T = 75 spans several blocks (blocks hold max(width, 32) positions), with a partial last
  // block; width 40 makes the blocks wider than 32.
  for (int64_t T : {11, 75}) {
    Tensor x = Tensor::randn({2, T, C}, 1);
    std::vector<int64_t> pad(2 * T, 0);
    pad[3] = pad[T + T - 1] = pad[T + T - 2] = 1;
    for (int64_t width : {0, 2, 5, 40})
      for (bool causal : {false, true}) {
        auto a = make("window", {{"width", std::to_string(width)}});
        auto [q, k, v] = packed(*a, x, x, x);
        AttentionContext ctx;
        ctx.causal = causal;
        ctx.key_padding = Tensor::from_ints(pad, {2, T});
        SCOPED_TRACE("T " + std::to_string(T) + " width " + std::to_string(width) +
                     (causal ? " causal" : ""));
        expect_output(*a, softmax_attend(window_score(q, k, width, causal, pad), v, T),
                      a->forward(x, x, x, ctx).out);
      }
  }
}

TEST(WindowAttention, GradcheckAcrossBlockBoundaries) {
  auto a = make("window", {{"width", "3"}});
  std::vector<Tensor> inputs = {testing::input({1, 40, C}, 3)};  // blocks [0, 32), [32, 40)
  for (const auto& [name, p] : a->named_parameters()) inputs.push_back(p);
  for (bool causal : {false, true}) {
    auto f = [&](const std::vector<Tensor>& in) {
      AttentionContext ctx;
      ctx.causal = causal;
      return a->forward(in[0], in[0], in[0], ctx).out;
    };
    EXPECT_TRUE(testing::passes_gradcheck(f, inputs)) << (causal ? "causal" : "");
  }
}

TEST(WindowAttention, OutputIgnoresInputsOutsideTheWindow) {
  const int64_t T = 12, width = 2;
  auto a = make("window", {{"width", "2"}});
  Tensor x = Tensor::randn({1, T, C}, 1);
  for (bool causal : {false, true}) {
    AttentionContext ctx;
    ctx.causal = causal;
    std::vector<float> before = a->forward(x, x, x, ctx).out.to_vector();
    const int64_t i = 6;
    Tensor y = x.clone();  // change everything outside [i − width, i + width]
    copy_(y.slice(1, 0, i - width), Tensor::randn({1, i - width, C}, 5));
    copy_(y.slice(1, i + width + 1, T), Tensor::randn({1, T - i - width - 1, C}, 6));
    std::vector<float> after = a->forward(y, y, y, ctx).out.to_vector();
    for (int64_t c = 0; c < C; ++c) EXPECT_NEAR(after[i * C + c], before[i * C + c], 1e-5);
    EXPECT_GT(std::abs(after[(i + width + 1) * C] - before[(i + width + 1) * C]),
              1e-4);  // the change did matter
  }
}

TEST(WindowAttention, WeightsAreZeroOutsideTheBandAndReusable) {
  auto a = make("window", {{"width", "1"}});
  Tensor x = Tensor::randn({1, 6, C}, 1);
  AttentionContext ctx;
  ctx.need_weights = true;
  std::vector<float> w = a->forward(x, x, x, ctx).weights.to_vector();  // (1, H, 6, 6)
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < 6; ++i)
      for (int64_t j = 0; j < 6; ++j)
        if (std::abs(i - j) > 1) {
          EXPECT_EQ(w[(h * 6 + i) * 6 + j], 0.0f);
        } else {
          EXPECT_GT(w[(h * 6 + i) * 6 + j], 0.0f);
        }
}

TEST(WindowAttention, RejectsCrossAttentionAndBadWidth) {
  auto a = make("window");
  Tensor q = Tensor::randn({1, 3, C}, 1), kv = Tensor::randn({1, 3, C}, 2);
  EXPECT_THROW(a->forward(q, kv, kv, {}), Error);
  try {
    make("window", {{"width", "-1"}});
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("window"), std::string::npos) << m;
    EXPECT_NE(m.find("width"), std::string::npos) << m;
    EXPECT_NE(m.find("-1"), std::string::npos) << m;
  }
}

// ---- linear ----

double phi(float x) {
  return x > 0 ? x + 1.0 : std::exp(static_cast<double>(x));
}  // elu(x) + 1

// out_i = Σ_j φ(q_i)·φ(k_j) v_j / Σ_j φ(q_i)·φ(k_j) over visible j; 0 when none is visible.
Heads linear_reference(const Heads& q, const Heads& k, const Heads& v, bool causal,
                       const std::vector<int64_t>& pad) {
  Heads out{std::vector<float>(q.B * q.T * C, 0.0f), q.B, q.T};
  const int64_t shift = k.T - q.T;
  for (int64_t b = 0; b < q.B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < q.T; ++i) {
        std::vector<double> num(D, 0.0);
        double den = 0;
        for (int64_t j = 0; j < k.T; ++j) {
          if ((causal && j > i + shift) || padded(pad, k.T, b, j)) continue;
          double w = 0;
          for (int64_t d = 0; d < D; ++d) w += phi(q.at(b, h, i, d)) * phi(k.at(b, h, j, d));
          den += w;
          for (int64_t d = 0; d < D; ++d) num[d] += w * v.at(b, h, j, d);
        }
        for (int64_t d = 0; d < D; ++d)
          out.v[(b * q.T + i) * C + h * D + d] = den == 0 ? 0.0f : float(num[d] / den);
      }
  return out;
}

TEST(LinearAttention, MatchesThePlainQuadraticComputation) {
  auto a = make("linear");
  Tensor q_in = Tensor::randn({2, 4, C}, 1), kv = Tensor::randn({2, 6, C}, 2),
         x = Tensor::randn({2, 7, C}, 3);
  std::vector<int64_t> pad = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  {  // non-causal cross-attention with padding
    auto [q, k, v] = packed(*a, q_in, kv, kv);
    AttentionContext ctx;
    ctx.key_padding = Tensor::from_ints(pad, {2, 6});
    expect_output(*a, linear_reference(q, k, v, false, pad), a->forward(q_in, kv, kv, ctx).out);
  }
  {  // causal self-attention with padding
    std::vector<int64_t> pad7 = {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    auto [q, k, v] = packed(*a, x, x, x);
    AttentionContext ctx;
    ctx.causal = true;
    ctx.key_padding = Tensor::from_ints(pad7, {2, 7});
    expect_output(*a, linear_reference(q, k, v, true, pad7), a->forward(x, x, x, ctx).out);
  }
  {  // causal with more keys than queries: the last query sees every key
    auto [q, k, v] = packed(*a, q_in, kv, kv);
    AttentionContext ctx;
    ctx.causal = true;
    expect_output(*a, linear_reference(q, k, v, true, {}), a->forward(q_in, kv, kv, ctx).out);
  }
}

TEST(LinearAttention, AQueryThatSeesNoKeyGivesZeroNotNaN) {
  auto a = make("linear");
  Tensor x = testing::input({2, 3, C}, 1);
  for (bool causal : {false, true}) {
    AttentionContext ctx;
    ctx.causal = causal;
    // Batch 0: every key padded. Batch 1: key 0 padded, so causal query 0 sees nothing.
    ctx.key_padding = Tensor::from_ints({1, 1, 1, 1, 0, 0}, {2, 3});
    a->zero_grad();
    x.zero_grad();
    Tensor out = a->forward(x, x, x, ctx).out;  // zero heads -> the output projection's bias
    std::vector<float> o = out.to_vector(), bias = a->parameter("out_proj.bias").to_vector();
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t t = 0; t < 3; ++t) EXPECT_EQ(o[t * C + c], bias[c]) << "batch 0 query " << t;
      if (causal) {
        EXPECT_EQ(o[3 * C + c], bias[c]) << "batch 1 query 0";
      }
    }
    sum(mul(out, Tensor::randn(out.shape(), 4))).backward();
    for (float g : x.grad().to_vector()) ASSERT_TRUE(std::isfinite(g));
    for (const Tensor& p : a->parameters())
      for (float g : p.grad().to_vector()) ASSERT_TRUE(std::isfinite(g));
  }
}

// ---- additive, dot, general ----

TEST(AdditiveAttention, MatchesThePlainBahdanauComputation) {
  for (const char* bias : {"true", "false"}) {
    auto a = make("additive", {{"bias", bias}});
    Tensor q_in = Tensor::randn({2, 3, C}, 1), kv = Tensor::randn({2, 5, C}, 2);
    Heads q = project(q_in, a->parameter("query_proj.weight"),
                      std::string(bias) == "true" ? a->parameter("query_proj.bias") : Tensor());
    Heads k = project(kv, a->parameter("key_proj.weight"), Tensor());
    Heads v = project(kv, a->parameter("value_proj.weight"), a->parameter("value_proj.bias"));
    std::vector<float> va = a->parameter("score_weight").to_vector();  // (H, D)
    std::vector<int64_t> pad = {0, 0, 0, 0, 1, 0, 1, 0, 0, 0};
    ScoreFn score = [&](int64_t b, int64_t h, int64_t i, int64_t j) -> std::optional<double> {
      if (padded(pad, 5, b, j)) return std::nullopt;
      double e = 0;
      for (int64_t d = 0; d < D; ++d)
        e += va[h * D + d] * std::tanh(double(q.at(b, h, i, d)) + k.at(b, h, j, d));
      return e;
    };
    AttentionContext ctx;
    ctx.key_padding = Tensor::from_ints(pad, {2, 5});
    Heads want = softmax_attend(score, v, 3);
    expect_output(*a, want, a->forward(q_in, kv, kv, ctx).out);
  }
}

TEST(LuongAttention, DotIsTheUnscaledRawDotProductUnlessAsked) {
  Tensor q_in = Tensor::randn({2, 3, C}, 1), kv = Tensor::randn({2, 5, C}, 2);
  for (bool scaled : {false, true}) {
    auto a = make("dot", {{"scale", scaled ? "true" : "false"}});
    Heads q = raw(q_in), k = raw(kv);
    Heads v = project(kv, a->parameter("value_proj.weight"), a->parameter("value_proj.bias"));
    ScoreFn score = [&](int64_t b, int64_t h, int64_t i, int64_t j) -> std::optional<double> {
      return dot(q, k, b, h, i, j) / (scaled ? std::sqrt(double(D)) : 1.0);
    };
    expect_output(*a, softmax_attend(score, v, 3), a->forward(q_in, kv, kv, {}).out);
  }
}

TEST(LuongAttention, GeneralScoresQTransposeWK) {
  auto a = make("general");
  Tensor q_in = Tensor::randn({2, 3, C}, 1), kv = Tensor::randn({2, 5, C}, 2);
  std::vector<float> w = a->parameter("query_proj.weight").to_vector();  // W (C, C)
  std::vector<float> qv = q_in.to_vector();
  Heads k = raw(kv);
  Heads v = project(kv, a->parameter("value_proj.weight"), a->parameter("value_proj.bias"));
  // Per head h: Σ_{d in h} (Σ_c W[d, c] q_c) k_d, i.e. qᵀ W_hᵀ k_h.
  ScoreFn score = [&](int64_t b, int64_t h, int64_t i, int64_t j) -> std::optional<double> {
    double s = 0;
    for (int64_t d = 0; d < D; ++d)
      for (int64_t c = 0; c < C; ++c)
        s += double(w[(h * D + d) * C + c]) * qv[(b * 3 + i) * C + c] * k.at(b, h, j, d);
    return s;
  };
  expect_output(*a, softmax_attend(score, v, 3), a->forward(q_in, kv, kv, {}).out);
  // With W = I, general is dot.
  auto d = make("dot");
  copy_(a->parameter("query_proj.weight"), Tensor::zeros({C, C}));
  for (int64_t c = 0; c < C; ++c)
    fill_(a->parameter("query_proj.weight").slice(0, c, c + 1).slice(1, c, c + 1), 1);
  for (const char* p : {"value_proj.weight", "value_proj.bias", "out_proj.weight", "out_proj.bias"})
    copy_(d->parameter(p), a->parameter(p));
  testing::expect_values(a->forward(q_in, kv, kv, {}).out,
                         d->forward(q_in, kv, kv, {}).out.to_vector());
}

// ---- topk ----

TEST(TopkAttention, KeepsTheKBestKeysPerQuery) {
  Tensor q_in = Tensor::randn({2, 3, C}, 1), kv = Tensor::randn({2, 6, C}, 2);
  for (int64_t k_keep : {1, 2, 6}) {
    auto a = make("topk", {{"k", std::to_string(k_keep)}});
    auto [q, k, v] = packed(*a, q_in, kv, kv);
    ScoreFn score = [&, &q = q, &k = k](int64_t b, int64_t h, int64_t i,
                                        int64_t j) -> std::optional<double> {
      int64_t better = 0;
      for (int64_t o = 0; o < 6; ++o) better += dot(q, k, b, h, i, o) > dot(q, k, b, h, i, j);
      if (better >= k_keep) return std::nullopt;
      return dot(q, k, b, h, i, j) / std::sqrt(double(D));
    };
    AttentionContext ctx;
    ctx.need_weights = true;
    AttentionOutput o = a->forward(q_in, kv, kv, ctx);
    expect_output(*a, softmax_attend(score, v, 3), o.out);
    std::vector<float> w = o.weights.to_vector();
    for (int64_t r = 0; r < 2 * H * 3; ++r) {
      int64_t nonzero = 0;
      for (int64_t j = 0; j < 6; ++j) nonzero += w[r * 6 + j] > 0;
      EXPECT_EQ(nonzero, k_keep);
    }
  }
}

TEST(TopkAttention, GradcheckWithSelection) {
  auto a = make("topk", {{"k", "2"}});
  std::vector<Tensor> inputs = {testing::input({1, 3, C}, 1), testing::input({1, 5, C}, 2)};
  for (const auto& [name, p] : a->named_parameters()) inputs.push_back(p);
  auto f = [&](const std::vector<Tensor>& in) { return a->forward(in[0], in[1], in[1], {}).out; };
  EXPECT_TRUE(testing::passes_gradcheck(f, inputs));
}

// ---- cached decoding, for every variant that supports it ----

std::vector<std::string> cached_variants() {
  std::vector<std::string> names;
  for (const AttentionVariant& v : attention_variants())
    if (make(v.name)->capabilities().kv_cache) names.push_back(v.name);
  return names;
}

class CachedDecoding : public ::testing::TestWithParam<std::string> {};

// Feeding a sequence in pieces through ctx.cache, with query_offset at each piece's position,
// gives the full causal pass's outputs: one token at a time, and in uneven chunks.
void check_cached_decoding(Attention& a, int64_t max_keys) {
  const testing::UnfusedMaxKeys core(max_keys);
  const int64_t T = 9;
  Tensor x = Tensor::randn({2, T, C}, 1);
  AttentionContext full_ctx;
  full_ctx.causal = true;
  std::vector<float> full = a.forward(x, x, x, full_ctx).out.to_vector();
  for (std::vector<int64_t> chunks :
       {std::vector<int64_t>(T, 1), std::vector<int64_t>{3, 1, 4, 1}}) {
    KVCache cache;
    int64_t t = 0;
    for (int64_t n : chunks) {
      Tensor piece = x.slice(1, t, t + n);
      AttentionContext ctx;
      ctx.causal = true;
      ctx.cache = &cache;
      ctx.query_offset = t;
      std::vector<float> out = a.forward(piece, piece, piece, ctx).out.to_vector();
      for (int64_t b = 0; b < 2; ++b)
        for (int64_t s = 0; s < n; ++s)
          for (int64_t c = 0; c < C; ++c)
            EXPECT_NEAR(out[(b * n + s) * C + c], full[(b * T + t + s) * C + c], 1e-5)
                << "batch " << b << " position " << t + s << " (chunk of " << n
                << ", unfused up to " << max_keys << " keys)";
      t += n;
    }
    EXPECT_EQ(cache.length(), T);
  }
}

TEST_P(CachedDecoding, MatchesTheFullCausalPass) {
  auto a = make(GetParam());
  for (int64_t max_keys : {128, 0})  // the unfused core (the default here), then the tiled one
    check_cached_decoding(*a, max_keys);
}

INSTANTIATE_TEST_SUITE_P(Registry, CachedDecoding, ::testing::ValuesIn(cached_variants()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(AttentionOptions, RangeErrorsNameTheVariantOptionAndValue) {
  auto message = [](const std::string& name, Options o) {
    try {
      make(name, std::move(o));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string m = message("relative", {{"num_buckets", "32"}, {"max_distance", "10"}});
  EXPECT_NE(m.find("relative"), std::string::npos) << m;
  EXPECT_NE(m.find("max_distance"), std::string::npos) << m;
  EXPECT_NE(m.find("10"), std::string::npos) << m;
  m = message("topk", {{"k", "0"}});
  EXPECT_NE(m.find("topk"), std::string::npos) << m;
  EXPECT_NE(m.find("'k'"), std::string::npos) << m;
  m = message("dot", {{"scale", "maybe"}});
  EXPECT_NE(m.find("dot"), std::string::npos) << m;
  EXPECT_NE(m.find("maybe"), std::string::npos) << m;
  m = message("rotary", {{"base", "0.5"}});
  EXPECT_NE(m.find("base"), std::string::npos) << m;
}

}  // namespace
}  // namespace heed
