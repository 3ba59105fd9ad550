// nn: Module naming and registration rules, train/eval, the layers' shapes, initialization
// statistics and outputs, and a gradcheck through a small module.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "framework/nn/init.h"
#include "framework/nn/layers.h"
#include "framework/nn/module.h"
#include "framework/ops.h"
#include "tests/test_util.h"

namespace heed {
namespace {

using testing::expect_error;
using testing::expect_values;

// Shaped like one torch TransformerEncoderLayer slice: a raw parameter, a Linear, a LayerNorm.
class Block : public Module {
 public:
  Block() {
    in_proj_weight_ = register_parameter("in_proj_weight", Tensor::zeros({6, 2}));
    linear1 = register_module("linear1", std::make_shared<Linear>(2, 3));
    norm1 = register_module("norm1", std::make_shared<LayerNorm>(3));
    dropout = register_module("dropout", std::make_shared<Dropout>(0.5f));
  }
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<LayerNorm> norm1;
  std::shared_ptr<Dropout> dropout;

 private:
  Tensor in_proj_weight_;
};

// A container whose children are named "0", "1", ... like torch.nn.ModuleList.
class Stack : public Module {
 public:
  explicit Stack(int n) {
    for (int i = 0; i < n; ++i) register_module(std::to_string(i), std::make_shared<Block>());
  }
};

class Net : public Module {
 public:
  Net() {
    register_parameter("scale", Tensor::ones({1}));
    layers = register_module("layers", std::make_shared<Stack>(2));
    head = register_module("head", std::make_shared<Linear>(3, 2, /*bias=*/false));
  }
  std::shared_ptr<Stack> layers;
  std::shared_ptr<Linear> head;
};

std::vector<std::string> names_of(const NamedTensors& named) {
  std::vector<std::string> names;
  for (const auto& [n, t] : named) names.push_back(n);
  return names;
}

TEST(Module, NamedParametersUseTorchDottedNamesInRegistrationOrder) {
  Net net;
  const std::vector<std::string> expected = {"scale",
                                             "layers.0.in_proj_weight",
                                             "layers.0.linear1.weight",
                                             "layers.0.linear1.bias",
                                             "layers.0.norm1.weight",
                                             "layers.0.norm1.bias",
                                             "layers.1.in_proj_weight",
                                             "layers.1.linear1.weight",
                                             "layers.1.linear1.bias",
                                             "layers.1.norm1.weight",
                                             "layers.1.norm1.bias",
                                             "head.weight"};
  EXPECT_EQ(names_of(net.named_parameters()), expected);
  EXPECT_EQ(net.parameters().size(), expected.size());
  for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
  // 1 + 2 · (12 + 6 + 3 + 3 + 3) + 6
  EXPECT_EQ(net.num_parameters(), 1 + 2 * (12 + 6 + 3 + 3 + 3) + 6);
}

TEST(Module, ParameterLooksUpDottedNamesAndSuggestsCloseOnes) {
  Net net;
  Tensor w = net.parameter("layers.1.linear1.weight");
  EXPECT_EQ(w.shape(), (Shape{3, 2}));
  EXPECT_TRUE(w.same(
      std::static_pointer_cast<Block>(net.layers->named_children()[1].second)->linear1->weight()));
  expect_error([&] { net.parameter("layers.1.linear.weight"); },
               {"no parameter 'layers.1.linear.weight'", "'layers.1.linear1.weight'"});
  Module empty;
  expect_error([&] { empty.parameter("w"); }, {"none registered"});
}

TEST(Module, RegistrationRejectsBadNamesDuplicatesAndCycles) {
  Module m;
  m.register_parameter("w", Tensor::zeros({2}));
  m.register_module("child", std::make_shared<Module>());
  expect_error([&] { m.register_parameter("", Tensor::zeros({2})); }, {"empty name"});
  expect_error([&] { m.register_parameter("a.b", Tensor::zeros({2})); }, {"'a.b'", "'.'"});
  expect_error([&] { m.register_module("a.b", std::make_shared<Module>()); }, {"'a.b'"});
  expect_error([&] { m.register_parameter("w", Tensor::zeros({2})); },
               {"'w' is already a parameter"});
  expect_error([&] { m.register_module("w", std::make_shared<Module>()); },
               {"'w' is already a parameter"});
  expect_error([&] { m.register_parameter("child", Tensor::zeros({2})); },
               {"'child' is already a submodule"});
  expect_error([&] { m.register_module("none", std::shared_ptr<Module>()); }, {"'none' is null"});
  expect_error([&] { m.register_parameter("u", Tensor()); }, {"'u' is undefined"});
  expect_error([&] { m.register_parameter("ids", Tensor::zeros({2}, DType::I64)); },
               {"'ids'", "float32 leaf", "int64"});
  Tensor leaf = Tensor::ones({2}).set_requires_grad();
  expect_error([&] { m.register_parameter("computed", leaf * 2.0f); },
               {"'computed'", "computed by an op"});
  // A module registered below itself would make named_parameters() loop forever.
  auto parent = std::make_shared<Module>();
  auto child = parent->register_module("child", std::make_shared<Module>());
  expect_error([&] { child->register_module("up", parent); }, {"'up'", "cycle"});
  expect_error([&] { parent->register_module("self", parent); }, {"cycle"});
  // Failed registrations left nothing behind.
  EXPECT_EQ(names_of(m.named_parameters()), (std::vector<std::string>{"w"}));
}

TEST(Module, TiedParametersAreListedOnceUnderTheirFirstName) {
  Module m;
  auto emb = m.register_module("embed", std::make_shared<Embedding>(5, 3));
  auto out = m.register_module("out", std::make_shared<Module>());
  out->register_parameter("weight", emb->weight());  // weight tying
  m.register_module("embed_again", emb);             // a shared child
  EXPECT_EQ(names_of(m.named_parameters()), (std::vector<std::string>{"embed.weight"}));
  EXPECT_EQ(m.num_parameters(), 15);
}

TEST(Module, TrainAndEvalReachEveryModule) {
  Net net;
  auto block = std::static_pointer_cast<Block>(net.layers->named_children()[0].second);
  EXPECT_TRUE(net.is_training());
  EXPECT_TRUE(block->dropout->is_training());
  net.eval();
  EXPECT_FALSE(net.is_training());
  EXPECT_FALSE(net.layers->is_training());
  EXPECT_FALSE(block->dropout->is_training());
  EXPECT_FALSE(net.head->is_training());
  // Dropout is the identity in eval mode (the very same tensor comes back).
  Tensor x = Tensor::ones({4, 4});
  EXPECT_TRUE((*block->dropout)(x).same(x));
  net.train();
  EXPECT_TRUE(block->dropout->is_training());
  net.train(false);
  EXPECT_FALSE(block->dropout->is_training());
}

TEST(Module, ZeroGradDropsEveryGradient) {
  Net net;
  for (const Tensor& p : net.parameters()) p.impl().grad = Tensor::ones(p.shape()).impl_ptr();
  net.zero_grad();
  for (const Tensor& p : net.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Layers, ShapesAndNames) {
  seed_init(1);
  Linear lin(3, 4);
  EXPECT_EQ(lin.weight().shape(), (Shape{4, 3}));
  EXPECT_EQ(lin.bias().shape(), (Shape{4}));
  EXPECT_EQ(names_of(lin.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(lin(Tensor::ones({2, 5, 3})).shape(), (Shape{2, 5, 4}));
  Linear no_bias(3, 4, false);
  EXPECT_FALSE(no_bias.bias().defined());
  EXPECT_EQ(names_of(no_bias.named_parameters()), (std::vector<std::string>{"weight"}));

  Embedding emb(10, 6);
  EXPECT_EQ(emb.weight().shape(), (Shape{10, 6}));
  EXPECT_EQ(emb(Tensor::from_ints({1, 2, 3, 9, 0, 0}, {2, 3})).shape(), (Shape{2, 3, 6}));

  LayerNorm ln(6);
  EXPECT_EQ(names_of(ln.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  expect_values(ln.weight(), std::vector<float>(6, 1.0f), 0);
  expect_values(ln.bias(), std::vector<float>(6, 0.0f), 0);
  EXPECT_EQ(ln(Tensor::ones({2, 3, 6})).shape(), (Shape{2, 3, 6}));

  Dropout drop(0.25f);
  EXPECT_EQ(drop.num_parameters(), 0);
  EXPECT_EQ(drop(Tensor::ones({7, 3})).shape(), (Shape{7, 3}));
}

TEST(Layers, MisuseIsAnErrorNamingTheLayer) {
  expect_error([] { Linear(0, 3); }, {"Linear", "in_features", "0"});
  expect_error([] { Embedding(4, -1); }, {"Embedding", "embedding_dim"});
  expect_error([] { LayerNorm(4, 0.0f); }, {"LayerNorm", "eps"});
  expect_error([] { Dropout(1.0f); }, {"Dropout", "[0, 1)"});
  expect_error([] { Dropout(-0.1f); }, {"Dropout"});
  Linear lin(3, 4);
  expect_error([&] { lin(Tensor::ones({2, 5})); }, {"linear", "(2, 5)", "(4, 3)"});
  LayerNorm ln(4);
  expect_error([&] { ln(Tensor::ones({2, 5})); }, {"LayerNorm(4)", "(2, 5)"});
}

// mean and (biased) variance of a tensor's values, in double.
std::pair<double, double> moments(const Tensor& t) {
  std::vector<float> v = t.to_vector();
  double mean = 0, var = 0;
  for (float x : v) mean += x;
  mean /= v.size();
  for (float x : v) var += (x - mean) * (x - mean);
  return {mean, var / v.size()};
}

TEST(Init, LinearIsUniformWithTorchsBound) {
  seed_init(3);
  Linear lin(200, 300);
  const double bound = 1.0 / std::sqrt(200.0);
  for (const Tensor& t : {lin.weight(), lin.bias()}) {
    std::vector<float> v = t.to_vector();
    EXPECT_GE(*std::min_element(v.begin(), v.end()), -bound);
    EXPECT_LT(*std::max_element(v.begin(), v.end()), bound);
  }
  // U(−b, b) has mean 0 and variance b²/3; the 60000 weights pin both well (the standard error
  // of the mean is b/√3/√60000 ≈ 1.7e-4).
  auto [mean, var] = moments(lin.weight());
  EXPECT_NEAR(mean, 0.0, 1e-3);
  EXPECT_NEAR(var, bound * bound / 3, 0.02 * bound * bound / 3);
  std::vector<float> w = lin.weight().to_vector();
  EXPECT_GT(*std::max_element(w.begin(), w.end()), 0.99 * bound);  // the range is really used
}

TEST(Init, EmbeddingIsStandardNormal) {
  seed_init(4);
  Embedding emb(500, 128);
  auto [mean, var] = moments(emb.weight());
  EXPECT_NEAR(mean, 0.0, 0.02);  // standard error 1/√64000 ≈ 0.004
  EXPECT_NEAR(std::sqrt(var), 1.0, 0.02);
  // Tails: about 0.27% of a normal lies beyond 3σ.
  std::vector<float> v = emb.weight().to_vector();
  const double beyond3 =
      std::count_if(v.begin(), v.end(), [](float x) { return std::fabs(x) > 3; }) /
      double(v.size());
  EXPECT_NEAR(beyond3, 0.0027, 0.001);
}

TEST(Init, InitializersFillAsDocumented) {
  seed_init(5);
  Tensor t = Tensor::empty({30, 50});
  xavier_uniform_(t, 2.0f);
  const double a = 2.0 * std::sqrt(6.0 / (30 + 50));  // fan_in 50, fan_out 30
  std::vector<float> v = t.to_vector();
  EXPECT_GE(*std::min_element(v.begin(), v.end()), -a);
  EXPECT_LT(*std::max_element(v.begin(), v.end()), a);
  EXPECT_GT(*std::max_element(v.begin(), v.end()), 0.98 * a);
  // A (out, in, k) tensor: fan_in = in · k, fan_out = out · k.
  Tensor conv = Tensor::empty({4, 6, 5});
  xavier_uniform_(conv);
  const double a3 = std::sqrt(6.0 / (6 * 5 + 4 * 5));
  v = conv.to_vector();
  EXPECT_LT(*std::max_element(v.begin(), v.end()), a3);
  EXPECT_GT(*std::max_element(v.begin(), v.end()), 0.9 * a3);

  Tensor n = Tensor::empty({20000});
  normal_(n, 3.0f, 0.5f);
  auto [mean, var] = moments(n);
  EXPECT_NEAR(mean, 3.0, 0.02);
  EXPECT_NEAR(std::sqrt(var), 0.5, 0.01);

  Tensor u = Tensor::empty({20000});
  uniform_(u, -1.0f, 3.0f);
  v = u.to_vector();
  EXPECT_GE(*std::min_element(v.begin(), v.end()), -1.0f);
  EXPECT_LT(*std::max_element(v.begin(), v.end()), 3.0f);
  EXPECT_NEAR(moments(u).first, 1.0, 0.05);

  zeros_(u);
  expect_values(u.slice(0, 0, 3), {0, 0, 0}, 0);
  ones_(u);
  expect_values(u.slice(0, 0, 3), {1, 1, 1}, 0);
}

TEST(Init, InitializersRejectWhatTheyCannotFill) {
  expect_error([] { xavier_uniform_(Tensor::empty({5})); }, {"xavier_uniform_", "(5,)"});
  expect_error(
      [] {
        normal_(Tensor::empty({3, 4}).transpose(0, 1), 0, 1);
      },
      {"normal_", "contiguous"});
  expect_error([] { zeros_(Tensor::zeros({3}, DType::I32)); }, {"zeros_", "int32"});
  expect_error([] { uniform_(Tensor::empty({3}), 1.0f, 0.0f); }, {"uniform_", "low"});
  expect_error([] { normal_(Tensor::empty({3}), 0.0f, -1.0f); }, {"normal_", "std"});
}

TEST(Init, SameSeedSameWeightsAndDrawsAreSequential) {
  seed_init(7);
  Linear a(4, 3);
  Linear b(4, 3);
  seed_init(7);
  Linear a2(4, 3);
  EXPECT_EQ(a.weight().to_vector(), a2.weight().to_vector());
  EXPECT_EQ(a.bias().to_vector(), a2.bias().to_vector());
  EXPECT_NE(a.weight().to_vector(), b.weight().to_vector());  // the generator moved on
  seed_init(8);
  Linear c(4, 3);
  EXPECT_NE(a.weight().to_vector(), c.weight().to_vector());
  // 12 uniform weights and 3 uniform biases took 15 counters.
  EXPECT_EQ(init_rng().counter(), 15u);
}

TEST(Layers, LinearMatchesHandComputedValues) {
  Linear lin(3, 2);
  copy_(lin.weight(), Tensor::from_vector({1, 0, -1, 2, 1, 0}, {2, 3}));
  copy_(lin.bias(), Tensor::from_vector({0.5f, -1}, {2}));
  // x = (1, 2, 3): y0 = 1 − 3 + 0.5 = −1.5, y1 = 2 + 2 − 1 = 3; x = (0, 0, 1): y = (−0.5, −1).
  expect_values(lin(Tensor::from_vector({1, 2, 3, 0, 0, 1}, {2, 3})), {-1.5f, 3, -0.5f, -1});
}

TEST(Layers, LayerNormMatchesHandComputedValues) {
  LayerNorm ln(4);
  copy_(ln.weight(), Tensor::from_vector({1, 2, 1, -1}, {4}));
  copy_(ln.bias(), Tensor::from_vector({0, 0, 1, 0.5f}, {4}));
  // x = (1, 2, 3, 4): mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25,
  // rstd = 1/√(1.25 + 1e-5) = 0.8944236, x̂ = (−1.5, −0.5, 0.5, 1.5) · rstd
  //   = (−1.3416354, −0.4472118, 0.4472118, 1.3416354); y = x̂ · w + b.
  expect_values(ln(Tensor::from_vector({1, 2, 3, 4}, {1, 4})),
                {-1.3416354f, -0.8944236f, 1.4472118f, -0.8416354f});
}

TEST(Layers, DropoutInTrainingZeroesAboutPAndScalesTheRest) {
  manual_seed(11);
  Dropout drop(0.25f);
  std::vector<float> v = drop(Tensor::ones({10000})).to_vector();
  const double zeros = std::count(v.begin(), v.end(), 0.0f) / double(v.size());
  EXPECT_NEAR(zeros, 0.25, 0.02);
  for (float x : v) EXPECT_TRUE(x == 0.0f || std::fabs(x - 1.0f / 0.75f) < 1e-6f);
}

// Linear followed by LayerNorm, for a gradcheck through a composed module.
class LinearNorm : public Module {
 public:
  LinearNorm() {
    fc = register_module("fc", std::make_shared<Linear>(4, 5));
    norm = register_module("norm", std::make_shared<LayerNorm>(5));
  }
  Tensor forward(const Tensor& x) const { return (*norm)((*fc)(x)); }
  std::shared_ptr<Linear> fc;
  std::shared_ptr<LayerNorm> norm;
};

TEST(Layers, GradcheckThroughLinearAndLayerNorm) {
  seed_init(21);
  LinearNorm m;
  // Move the norm's affine parameters off ones/zeros so their gradients are really exercised.
  normal_(m.norm->weight(), 1.0f, 0.5f);
  normal_(m.norm->bias(), 0.0f, 0.5f);
  std::vector<Tensor> inputs = {testing::input({3, 2, 4}, 5)};
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  ASSERT_EQ(inputs.size(), 5u);
  EXPECT_TRUE(testing::passes_gradcheck(
      [&](const std::vector<Tensor>& in) { return m.forward(in[0]); }, inputs));
}

}  // namespace
}  // namespace heed
