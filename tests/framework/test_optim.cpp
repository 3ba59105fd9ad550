// optim: SGD, Adam and AdamW against hand-computed updates, state export/import, resuming,
// gradient clipping and the learning-rate schedules.
#include <gtest/gtest.h>

#include <omp.h>
#include <cmath>
#include <cstring>
#include <limits>

#include "framework/allocator.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"
#include "framework/optim/clip.h"
#include "framework/optim/schedule.h"
#include "framework/optim/sgd.h"
#include "tests/test_util.h"

namespace heed {
namespace {

using testing::expect_error;
using testing::expect_values;

Tensor param(const std::vector<float>& v) {
  return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}).set_requires_grad();
}

void set_grad(const Tensor& p, const std::vector<float>& g) {
  p.impl().grad = Tensor::from_vector(g, p.shape()).impl_ptr();
}

// Runs opt over p with the given gradient sequence, checking p after every step.
void run_and_check(Optimizer& opt, const Tensor& p, const std::vector<std::vector<float>>& grads,
                   const std::vector<std::vector<float>>& expected, float tol = 1e-6f) {
  for (std::size_t s = 0; s < grads.size(); ++s) {
    set_grad(p, grads[s]);
    opt.step();
    SCOPED_TRACE("after step " + std::to_string(s + 1));
    expect_values(p, expected[s], tol);
  }
}

// ---------------- SGD ----------------

TEST(SGD, PlainStepIsLrTimesGradient) {
  // p −= 0.1 · g with g = (0.5, −1): (1, −2) → (0.95, −1.9) → (0.9, −1.8).
  Tensor p = param({1, -2});
  SGD opt({{"p", p}}, 0.1);
  run_and_check(opt, p, {{0.5f, -1}, {0.5f, -1}}, {{0.95f, -1.9f}, {0.9f, -1.8f}});
  EXPECT_EQ(opt.steps_taken(), 2);
}

TEST(SGD, MomentumStartsFromTheFirstGradient) {
  // μ = 0.9, lr = 0.1, g = 0.5 every step (second element: g = −1, so everything × −2):
  //   b1 = g = 0.5 (no dampening on the first step)    p1 = 1 − 0.05 = 0.95
  //   b2 = 0.9 · 0.5 + 0.5 = 0.95                     p2 = 0.95 − 0.095 = 0.855
  //   b3 = 0.9 · 0.95 + 0.5 = 1.355                   p3 = 0.855 − 0.1355 = 0.7195
  Tensor p = param({1, 0});
  SGD opt({{"p", p}}, 0.1, 0.9);
  run_and_check(opt, p, {{0.5f, -1}, {0.5f, -1}, {0.5f, -1}},
                {{0.95f, 0.1f}, {0.855f, 0.29f}, {0.7195f, 0.561f}});
}

TEST(SGD, NesterovLooksAhead) {
  // d = g + μ·b:  b1 = 0.5, d = 0.5 + 0.45 = 0.95,     p1 = 1 − 0.095 = 0.905
  //               b2 = 0.95, d = 0.5 + 0.855 = 1.355,  p2 = 0.905 − 0.1355 = 0.7695
  //               b3 = 1.355, d = 0.5 + 1.2195 = 1.7195, p3 = 0.7695 − 0.17195 = 0.59755
  Tensor p = param({1});
  SGD opt({{"p", p}}, 0.1, 0.9, 0, 0, /*nesterov=*/true);
  run_and_check(opt, p, {{0.5f}, {0.5f}, {0.5f}}, {{0.905f}, {0.7695f}, {0.59755f}});
}

TEST(SGD, DampeningScalesNewGradientsAfterTheFirst) {
  // dampening 0.5: b1 = 0.5 (undamped), p1 = 0.95; b2 = 0.9 · 0.5 + 0.5 · 0.5 = 0.7, p2 = 0.88.
  Tensor p = param({1});
  SGD opt({{"p", p}}, 0.1, 0.9, 0.5);
  run_and_check(opt, p, {{0.5f}, {0.5f}}, {{0.95f}, {0.88f}});
}

TEST(SGD, WeightDecayAddsToTheGradient) {
  // wd = 0.1: d = 0.5 + 0.1 · 1 = 0.6, p1 = 0.94; d = 0.5 + 0.094 = 0.594, p2 = 0.8806.
  Tensor p = param({1});
  SGD opt({{"p", p}}, 0.1, 0, 0, 0.1);
  run_and_check(opt, p, {{0.5f}, {0.5f}}, {{0.94f}, {0.8806f}});
  // The stored gradient itself is left alone, as in PyTorch.
  expect_values(p.grad(), {0.5f}, 0);
}

TEST(SGD, GradientsFromBackwardAreUsed) {
  // loss = Σ c ⊙ p has gradient c.
  Tensor p = param({1, 2, 3});
  SGD opt({{"p", p}}, 0.5);
  sum(mul(p, Tensor::from_vector({1, -2, 4}, {3}))).backward();
  opt.step();
  expect_values(p, {0.5f, 3, 1});
  opt.zero_grad();
  EXPECT_FALSE(p.grad().defined());
}

// ---------------- Adam / AdamW ----------------

// lr = 0.1, β = (0.9, 0.999), eps = 1e-8; gradients (1, −2), then (3, 0.5), then (−1, 0).
const std::vector<std::vector<float>> kAdamGrads = {{1, -2}, {3, 0.5f}, {-1, 0}};

TEST(Adam, MatchesHandComputedSteps) {
  // Element 0 (p0 = 1):
  //   t=1: m = 0.1·1 = 0.1, v = 0.001·1 = 0.001; bias corrections 1 − 0.9 = 0.1, 1 − 0.999 =
  //        0.001; step_size = 0.1/0.1 = 1, denom = √0.001/√0.001 + 1e-8 ≈ 1
  //        p = 1 − 1 · 0.1 / 1 = 0.9
  //   t=2: m = 0.9·0.1 + 0.1·3 = 0.39, v = 0.999·0.001 + 0.001·9 = 0.009999
  //        bc1 = 1 − 0.81 = 0.19, bc2 = 1 − 0.998001 = 0.001999
  //        p = 0.9 − (0.1/0.19) · 0.39 / (√0.009999/√0.001999) = 0.9 − 0.0917781 = 0.8082219
  //   t=3: m = 0.351 − 0.1 = 0.251, v = 0.009989001 + 0.001 = 0.010989001
  //        bc1 = 0.271, bc2 = 0.002997001; p = 0.8082219 − (0.1/0.271) · 0.251 /
  //        (√0.010989001/√0.002997001) = 0.7598527
  // Element 1 (p0 = −2): t=1 p = −1.9; t=2 m = −0.13, v = 0.004246, p = −1.8530532;
  //   t=3 (g = 0) m = −0.117, v = 0.004241754, p = −1.8167632.
  Tensor p = param({1, -2});
  Adam opt({{"p", p}}, 0.1);
  run_and_check(opt, p, kAdamGrads,
                {{0.9f, -1.9f}, {0.8082219f, -1.8530532f}, {0.7598527f, -1.8167632f}});
  NamedTensors s = opt.state();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].first, "step");
  EXPECT_EQ(s[1].first, "step.p");
  EXPECT_EQ(s[2].first, "exp_avg.p");
  EXPECT_EQ(s[3].first, "exp_avg_sq.p");
  EXPECT_EQ(s[0].second.to_ints(), (std::vector<int64_t>{3}));
  EXPECT_EQ(s[0].second.dtype(), DType::I64);
  expect_values(s[2].second, {0.251f, -0.117f});
  expect_values(s[3].second, {0.010989001f, 0.004241754f}, 1e-8f);
}

TEST(Adam, WeightDecayIsAnL2TermInTheGradient) {
  // wd = 0.1, so g' = g + 0.1·p. Element 0: t=1 g' = 1.1, m = 0.11, v = 0.00121, p = 0.9
  //   t=2 g' = 3 + 0.09 = 3.09, m = 0.099 + 0.309 = 0.408, v = 0.00120879 + 0.0095481 = 0.01075689
  //       p = 0.9 − (0.1/0.19) · 0.408 / (√0.01075689/√0.001999) = 0.8074301
  //   t=3 g' = −1 + 0.08074301, m = 0.2752743, v = 0.01159117, p = 0.7557794
  // Element 1: t=1 g' = −2.2, p = −1.9; t=2 g' = 0.31, p = −1.8440384; t=3 p = −1.7956392.
  Tensor p = param({1, -2});
  Adam opt({{"p", p}}, 0.1, 0.9, 0.999, 1e-8, 0.1);
  run_and_check(opt, p, kAdamGrads,
                {{0.9f, -1.9f}, {0.8074301f, -1.8440384f}, {0.7557794f, -1.7956392f}});
}

TEST(AdamW, WeightDecayIsDecoupled) {
  // p ← p · (1 − 0.1 · 0.1) = 0.99 · p first, then the plain Adam update (the moments never
  // see the decay, so they are those of the Adam test):
  //   t=1: 0.99 − 0.1 = 0.89;  t=2: 0.89 · 0.99 − 0.0917781 = 0.7893219
  //   t=3: 0.7893219 · 0.99 − 0.0483692 = 0.7330595
  // Element 1: −1.98 + 0.1 = −1.88;  −1.8612 + 0.0469468 = −1.8142532;
  //   −1.8142532 · 0.99 + 0.0362900 = −1.7598206.
  Tensor p = param({1, -2});
  AdamW opt({{"p", p}}, 0.1, 0.9, 0.999, 1e-8, 0.1);
  run_and_check(opt, p, kAdamGrads,
                {{0.89f, -1.88f}, {0.7893219f, -1.8142532f}, {0.7330595f, -1.7598206f}});
  expect_values(opt.state()[2].second, {0.251f, -0.117f});  // exp_avg as in plain Adam
}

TEST(AdamW, DefaultWeightDecayIsOnePercent) {
  // Zero gradient: m = v = 0, so only the decay moves p: 1 · (1 − 1e-3 · 0.01).
  Tensor p = param({1});
  AdamW opt({{"p", p}});
  set_grad(p, {0});
  opt.step();
  expect_values(p, {static_cast<float>(1.0 - 1e-5)}, 0);
}

TEST(Adam, ParametersWithoutGradientsAreSkippedAndCountTheirOwnSteps) {
  // b gets its first gradient at the second step; as in PyTorch its bias correction uses its own
  // step count (1), so its first update is a full lr · sign(g) step.
  Tensor a = param({1}), b = param({1});
  Adam opt({{"a", a}, {"b", b}}, 0.1);
  set_grad(a, {1});
  opt.step();
  expect_values(b, {1}, 0);
  NamedTensors s = opt.state();
  EXPECT_EQ(s.size(), 4u);  // step, step.a, exp_avg.a, exp_avg_sq.a: nothing for b yet
  set_grad(b, {2});
  opt.step();
  expect_values(b, {0.9f});
  s = opt.state();
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[1].first, "step.a");
  EXPECT_EQ(s[1].second.to_ints()[0], 2);
  EXPECT_EQ(s[2].first, "step.b");
  EXPECT_EQ(s[2].second.to_ints()[0], 1);
}

TEST(Optimizer, StepsAfterTheFirstAllocateNothing) {
  Tensor w = param(std::vector<float>(1000, 1.0f)), b = param(std::vector<float>(10, 0.0f));
  set_grad(w, std::vector<float>(1000, 0.1f));
  set_grad(b, std::vector<float>(10, 0.1f));
  Adam adam({{"w", w}, {"b", b}});
  SGD sgd({{"w", w}, {"b", b}}, 0.1, 0.9, 0, 0.01, true);
  adam.step();
  sgd.step();
  const uint64_t before = allocator_stats().requests;
  for (int i = 0; i < 5; ++i) {
    adam.step();
    sgd.step();
  }
  EXPECT_EQ(allocator_stats().requests, before);
}

TEST(Optimizer, LargeUpdatesRunInParallelWithTheSameBits) {
  // Above 2^15 elements the update loop splits into chunks across threads; elementwise updates
  // must give the same bits for any thread count.
  auto run = [](int threads) {
    omp_set_num_threads(threads);
    Tensor p = Tensor::randn({3 * 32768 + 5}, 1).set_requires_grad();
    Tensor g = Tensor::randn(p.shape(), 2);
    AdamW opt({{"p", p}}, 0.01);
    for (int s = 0; s < 3; ++s) {
      p.set_grad(g);
      opt.step();
    }
    return p.to_vector();
  };
  const std::vector<float> one = run(1), two = run(2);
  omp_set_num_threads(1);
  EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0);
}

TEST(Optimizer, ConstructionRejectsBadParametersAndHyperparameters) {
  Tensor p = param({1, 2});
  expect_error([&] { SGD({{"p", p}, {"p", param({1})}}, 0.1); }, {"SGD", "'p'", "twice"});
  expect_error([&] { SGD({{"p", p}, {"q", p}}, 0.1); }, {"'q'", "already listed"});
  Tensor t = Tensor::zeros({3, 2}).transpose(0, 1).detach();
  expect_error([&] { Adam({{"t", t}}); }, {"Adam", "'t'", "contiguous"});
  expect_error([&] { Adam({{"ids", Tensor::zeros({2}, DType::I64)}}); }, {"'ids'", "float32"});
  expect_error([&] { SGD({{"p", p}}, -0.1); }, {"SGD", "learning rate"});
  expect_error([&] { SGD({{"p", p}}, 0.1, 0, 0, 0, true); }, {"SGD", "nesterov"});
  expect_error([&] { Adam({{"p", p}}, 1e-3, 1.0); }, {"Adam", "beta1"});
  expect_error([&] { AdamW({{"p", p}}, 1e-3, 0.9, -0.1); }, {"AdamW", "beta2"});
  expect_error([&] { AdamW({{"p", p}}, 1e-3, 0.9, 0.99, 1e-8, -1); }, {"AdamW", "weight_decay"});
  Adam ok({{"p", p}});
  EXPECT_DOUBLE_EQ(ok.lr(), 1e-3);
  ok.set_lr(0.5);
  EXPECT_DOUBLE_EQ(ok.lr(), 0.5);
  expect_error([&] { ok.set_lr(std::nan("")); }, {"Adam", "learning rate"});
}

// ---------------- state export / import ----------------

// A tiny regression whose gradients come from backward(): loss = mean((x·Wᵀ + b − y)²).
struct Problem {
  Tensor w, b;
  explicit Problem(uint64_t seed)
      : w(Tensor::randn({3, 4}, seed).set_requires_grad()),
        b(Tensor::randn({3}, seed + 1).set_requires_grad()) {}
  NamedTensors named() const { return {{"layer.weight", w}, {"layer.bias", b}}; }
  void backward(int step) const {
    Tensor x = Tensor::randn({8, 4}, 100 + step), y = Tensor::randn({8, 3}, 200 + step);
    Tensor d = sub(linear(x, w, b), y);
    mean(mul(d, d)).backward();
  }
  void copy_from(const Problem& o) const {
    copy_(w, o.w);
    copy_(b, o.b);
  }
  // Steps `opt` (over named()) through steps [from, to).
  void train(Optimizer& opt, int from, int to) const {
    for (int s = from; s < to; ++s) {
      opt.zero_grad();
      backward(s);
      opt.step();
    }
  }
};

std::vector<uint32_t> bits(const Tensor& t) {
  std::vector<float> v = t.to_vector();
  std::vector<uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

template <typename Make>
void check_resume_is_bitwise(Make make) {
  // Uninterrupted: 6 steps.
  Problem a(1);
  auto opt_a = make(a.named());
  a.train(*opt_a, 0, 6);
  // Interrupted after 3 steps: parameters and state go to a fresh problem and optimizer.
  Problem b(1);
  auto opt_b = make(b.named());
  b.train(*opt_b, 0, 3);
  Problem c(999);
  c.copy_from(b);
  auto opt_c = make(c.named());
  opt_c->load_state(opt_b->state());
  EXPECT_EQ(opt_c->steps_taken(), 3);
  c.train(*opt_c, 3, 6);
  EXPECT_EQ(bits(a.w), bits(c.w));
  EXPECT_EQ(bits(a.b), bits(c.b));
  NamedTensors sa = opt_a->state(), sc = opt_c->state();
  ASSERT_EQ(sa.size(), sc.size());
  for (std::size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].first, sc[i].first);
    EXPECT_EQ(sa[i].second.dtype(), sc[i].second.dtype());
    EXPECT_EQ(bits(sa[i].second), bits(sc[i].second)) << sa[i].first;
  }
}

TEST(OptimizerState, ResumedAdamWEqualsUninterruptedBitwise) {
  check_resume_is_bitwise([](NamedTensors p) { return std::make_unique<AdamW>(p, 0.05); });
}

TEST(OptimizerState, ResumedAdamEqualsUninterruptedBitwise) {
  check_resume_is_bitwise(
      [](NamedTensors p) { return std::make_unique<Adam>(p, 0.05, 0.9, 0.99, 1e-8, 0.01); });
}

TEST(OptimizerState, ResumedSgdWithMomentumEqualsUninterruptedBitwise) {
  check_resume_is_bitwise(
      [](NamedTensors p) { return std::make_unique<SGD>(p, 0.05, 0.9, 0, 0.01, true); });
}

TEST(OptimizerState, StateIsASnapshotNotAView) {
  Tensor p = param({1});
  SGD opt({{"p", p}}, 0.1, 0.9);
  set_grad(p, {1});
  opt.step();
  NamedTensors s = opt.state();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].first, "momentum_buffer.p");
  opt.step();
  expect_values(s[1].second, {1}, 0);  // still the buffer after step 1
  EXPECT_EQ(s[0].second.to_ints()[0], 1);
  // And load_state copies: changing the source afterwards does not reach the optimizer.
  SGD other({{"p", param({1})}}, 0.1, 0.9);
  other.load_state(s);
  fill_(s[1].second, 42);
  EXPECT_EQ(other.state()[1].second.to_vector(), (std::vector<float>{1}));
}

TEST(OptimizerState, PlainSgdHasOnlyAStepCount) {
  Tensor p = param({1});
  SGD opt({{"p", p}}, 0.1);
  set_grad(p, {1});
  opt.step();
  NamedTensors s = opt.state();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, "step");
}

TEST(OptimizerState, LoadStateRejectsBadEntriesAndChangesNothing) {
  Problem pr(3);
  Adam opt(pr.named(), 0.01);
  pr.backward(0);
  opt.step();
  const NamedTensors good = opt.state();
  ASSERT_EQ(good.size(), 7u);  // step, step.×2, exp_avg.×2, exp_avg_sq.×2

  auto without = [&](const std::string& key) {
    NamedTensors s;
    for (const auto& e : good)
      if (e.first != key) s.push_back(e);
    return s;
  };
  auto with = [&](const std::string& key, const Tensor& t) {
    NamedTensors s = good;
    for (auto& e : s)
      if (e.first == key) e.second = t;
    if (std::none_of(s.begin(), s.end(), [&](const auto& e) { return e.first == key; }))
      s.emplace_back(key, t);
    return s;
  };
  auto check_unchanged = [&] {
    EXPECT_EQ(opt.steps_taken(), 1);
    NamedTensors now = opt.state();
    ASSERT_EQ(now.size(), good.size());
    for (std::size_t i = 0; i < now.size(); ++i)
      EXPECT_EQ(now[i].second.to_vector(), good[i].second.to_vector());
  };
  // Something that would change the state if it were applied partially: all buffers zero.
  NamedTensors zeroed = good;
  for (auto& [k, t] : zeroed)
    if (t.dtype() == DType::F32) t = Tensor::zeros(t.shape());

  expect_error([&] { opt.load_state(without("step")); },
               {"Adam::load_state", "missing entry 'step'"});
  expect_error([&] { opt.load_state(without("exp_avg_sq.layer.bias")); },
               {"missing entry 'exp_avg_sq.layer.bias'", "nothing loaded"});
  expect_error([&] { opt.load_state(without("step.layer.weight")); },
               {"missing entry 'step.layer.weight'"});
  expect_error([&] { opt.load_state(with("exp_avg.layer.bias", Tensor::zeros({4}))); },
               {"'exp_avg.layer.bias' is float32 (4,), expected float32 (3,)"});
  expect_error([&] { opt.load_state(with("exp_avg.layer.bias", Tensor::zeros({3}, DType::I32))); },
               {"'exp_avg.layer.bias' is int32"});
  expect_error([&] { opt.load_state(with("exp_avg.decoder.bias", Tensor::zeros({3}))); },
               {"unexpected entry 'exp_avg.decoder.bias'"});
  expect_error([&] { opt.load_state(with("momentum_buffer.layer.bias", Tensor::zeros({3}))); },
               {"unexpected entry 'momentum_buffer.layer.bias'"});
  expect_error([&] { opt.load_state(with("step", Tensor::from_vector({1}, {1}))); },
               {"'step' must be one int64"});
  expect_error([&] { opt.load_state(with("step", Tensor::from_ints({-1}, {1}))); },
               {"'step' must be one int64"});
  expect_error([&] { opt.load_state(with("step.layer.bias", Tensor::from_ints({5}, {1}))); },
               {"'step.layer.bias' = 5 exceeds 'step' = 1"});
  // Several problems are all named, and a valid part (the zeroed buffers) is not applied.
  NamedTensors many = zeroed;
  many.emplace_back("bogus", Tensor::zeros({1}));
  many.erase(many.begin());  // "step"
  expect_error([&] { opt.load_state(many); }, {"unexpected entry 'bogus'", "missing entry 'step'"});
  check_unchanged();

  // SGD without momentum has no buffers to load.
  SGD sgd(pr.named(), 0.1);
  expect_error(
      [&] {
        sgd.load_state({{"step", Tensor::from_ints({1}, {1})},
                        {"momentum_buffer.layer.bias", Tensor::zeros({3})}});
      },
      {"SGD::load_state", "unexpected entry 'momentum_buffer.layer.bias'"});
  sgd.load_state({{"step", Tensor::from_ints({4}, {1})}});
  EXPECT_EQ(sgd.steps_taken(), 4);
}

TEST(OptimizerState, ParametersWithoutEntriesStartFresh) {
  // Saved after b had no gradient yet: b has no entries, which is valid and means "fresh", and
  // loading clears any state b had in the loading optimizer.
  Tensor a = param({1}), b = param({1});
  Adam saver({{"a", a}, {"b", b}}, 0.1);
  set_grad(a, {1});
  saver.step();
  Tensor a2 = param({1}), b2 = param({1});
  Adam loader({{"a", a2}, {"b", b2}}, 0.1);
  set_grad(a2, {1});
  set_grad(b2, {1});
  loader.step();
  loader.step();
  loader.load_state(saver.state());
  EXPECT_EQ(loader.steps_taken(), 1);
  NamedTensors s = loader.state();
  EXPECT_EQ(s.size(), 4u);
  for (const auto& [k, t] : s) EXPECT_EQ(k.find(".b"), std::string::npos) << k;
}

// ---------------- clipping ----------------

TEST(Clip, ReturnsTheTotalNormAndScalesOnlyAboveMaxNorm) {
  // ‖(3, 4, 12)‖ = 13.
  Tensor a = param({0, 0}), b = param({0}), none = param({5});
  set_grad(a, {3, 4});
  set_grad(b, {12});
  EXPECT_FLOAT_EQ(clip_grad_norm_(std::vector<Tensor>{a, b, none}, 26.0), 13.0f);
  expect_values(a.grad(), {3, 4}, 0);  // 26 / 13 > 1: untouched
  EXPECT_FALSE(none.grad().defined());
  // scale = 6.5 / (13 + 1e-6)
  const float scale = static_cast<float>(6.5 / (13.0 + 1e-6));
  EXPECT_FLOAT_EQ(clip_grad_norm_(NamedTensors{{"a", a}, {"b", b}}, 6.5), 13.0f);
  expect_values(a.grad(), {3 * scale, 4 * scale});
  expect_values(b.grad(), {12 * scale});
  EXPECT_NEAR(clip_grad_norm_(std::vector<Tensor>{a, b}, 100.0), 6.5f, 1e-5f);
  // Infinity measures without clipping.
  EXPECT_NEAR(clip_grad_norm_(std::vector<Tensor>{a, b}, std::numeric_limits<double>::infinity()),
              6.5f, 1e-5f);
  EXPECT_EQ(clip_grad_norm_(std::vector<Tensor>{none}, 1.0), 0.0f);
  expect_error([&] { clip_grad_norm_(std::vector<Tensor>{a}, 0.0); },
               {"clip_grad_norm_", "max_norm"});
}

TEST(Clip, NonFiniteNormIsReturnedWithoutScaling) {
  Tensor a = param({0, 0}), b = param({0});
  set_grad(a, {1, std::numeric_limits<float>::infinity()});
  set_grad(b, {2});
  EXPECT_TRUE(std::isinf(clip_grad_norm_(std::vector<Tensor>{a, b}, 1.0)));
  expect_values(b.grad(), {2}, 0);
  set_grad(a, {1, std::nanf("")});
  EXPECT_TRUE(std::isnan(clip_grad_norm_(std::vector<Tensor>{a, b}, 1.0)));
  expect_values(b.grad(), {2}, 0);
}

TEST(Clip, FirstNonFiniteGradNamesTheFirstSuchParameterInOrder) {
  Tensor a = param({0, 0}), b = param({0}), c = param({0}), none = param({0});
  NamedTensors params = {{"a", a}, {"none", none}, {"b", b}, {"c", c}};
  set_grad(a, {1, 2});
  set_grad(b, {3});
  set_grad(c, {4});
  EXPECT_EQ(first_nonfinite_grad(params), "");  // `none` has no gradient: skipped
  set_grad(c, {std::nanf("")});
  EXPECT_EQ(first_nonfinite_grad(params), "c");
  set_grad(b, {-std::numeric_limits<float>::infinity()});
  EXPECT_EQ(first_nonfinite_grad(params), "b");
  set_grad(a, {1, std::numeric_limits<float>::infinity()});
  EXPECT_EQ(first_nonfinite_grad(params), "a");
}

TEST(Clip, NormIsAccumulatedInDouble) {
  // 1e4² + 400 · 1²: a float running sum of squares stays at 1e8 (float spacing there is 8, so
  // each + 1 rounds away) and gives 10000; in double the total is √(1e8 + 400) = 10000.02.
  Tensor big = param({0}), small = param(std::vector<float>(400, 0.0f));
  set_grad(big, {1e4f});
  set_grad(small, std::vector<float>(400, 1.0f));
  EXPECT_NEAR(clip_grad_norm_(std::vector<Tensor>{big, small}, 1e9), std::sqrt(1e8 + 400.0), 1e-3);
}

// ---------------- schedules ----------------

TEST(Schedule, Constant) {
  ConstantLr s(0.3f);
  for (int64_t step : {0, 1, 1000}) EXPECT_EQ(s.lr_at(step), 0.3f);
  expect_error([&] { s.lr_at(-1); }, {"ConstantLr", "step -1"});
  expect_error([] { ConstantLr(-1.0f); }, {"ConstantLr", "lr"});
}

TEST(Schedule, WarmupThenCosineToMinLr) {
  // base 1, W = 4, T = 12, min 0.1. Warmup: (s + 1)/4. Decay: 0.1 + 0.9 · (1 + cos(π(s − 4)/8))/2:
  //   s=4: 1;  s=6: 0.1 + 0.9 · (1 + cos(π/4))/2 = 0.8681981;  s=8: 0.1 + 0.9 · 0.5 = 0.55
  //   s=11: 0.1 + 0.9 · (1 + cos(7π/8))/2 = 0.1342542;  s ≥ 12: 0.1.
  WarmupCosineLr s(1.0f, 4, 12, 0.1f);
  const std::vector<std::pair<int64_t, float>> expected = {
      {0, 0.25f}, {1, 0.5f},        {3, 1.0f},  {4, 1.0f},  {6, 0.8681981f},
      {8, 0.55f}, {11, 0.1342542f}, {12, 0.1f}, {100, 0.1f}};
  for (auto [step, lr] : expected) EXPECT_NEAR(s.lr_at(step), lr, 1e-6f) << "step " << step;
  // No warmup starts at the peak; warmup == total is all warmup.
  EXPECT_EQ(WarmupCosineLr(2.0f, 0, 10).lr_at(0), 2.0f);
  EXPECT_EQ(WarmupCosineLr(2.0f, 0, 10).lr_at(10), 0.0f);
  EXPECT_EQ(WarmupCosineLr(2.0f, 5, 5).lr_at(4), 2.0f);
  EXPECT_EQ(WarmupCosineLr(2.0f, 5, 5, 0.5f).lr_at(5), 0.5f);
  expect_error([&] { s.lr_at(-3); }, {"WarmupCosineLr", "step -3"});
  expect_error([] { WarmupCosineLr(1.0f, 20, 10); },
               {"WarmupCosineLr", "warmup_steps 20", "total_steps 10"});
  expect_error([] { WarmupCosineLr(1.0f, -1, 10); }, {"WarmupCosineLr", "warmup_steps -1"});
  expect_error([] { WarmupCosineLr(1.0f, 0, 0); }, {"WarmupCosineLr", "total_steps 0"});
  expect_error([] { WarmupCosineLr(1.0f, 2, 10, 2.0f); }, {"WarmupCosineLr", "min_lr"});
}

TEST(Schedule, InverseSqrtPeaksAtBaseLrAtTheEndOfWarmup) {
  // base 1, W = 4: lr = min((s+1)^−½, (s+1) · 4^−1.5) · 2.
  //   s=0: min(1, 0.125) · 2 = 0.25;  s=1: 0.5;  s=3: min(0.5, 0.5) · 2 = 1
  //   s=15: min(0.25, 2) · 2 = 0.5;  s=99: 0.1 · 2 = 0.2
  InverseSqrtLr s(1.0f, 4);
  const std::vector<std::pair<int64_t, float>> expected = {
      {0, 0.25f}, {1, 0.5f}, {3, 1.0f}, {15, 0.5f}, {99, 0.2f}};
  for (auto [step, lr] : expected) EXPECT_NEAR(s.lr_at(step), lr, 1e-6f) << "step " << step;
  float peak = 0;
  int64_t argmax = -1;
  for (int64_t step = 0; step < 50; ++step)
    if (s.lr_at(step) > peak) peak = s.lr_at(step), argmax = step;
  EXPECT_EQ(argmax, 3);
  expect_error([&] { s.lr_at(-1); }, {"InverseSqrtLr", "step -1"});
  expect_error([] { InverseSqrtLr(1.0f, 0); }, {"InverseSqrtLr", "warmup_steps 0"});
  expect_error([] { InverseSqrtLr(-1.0f, 4); }, {"InverseSqrtLr", "base_lr"});
}

}  // namespace
}  // namespace heed
