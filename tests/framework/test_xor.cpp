// End to end: a 2-8-1 tanh MLP learns XOR with Adam, from a fixed seed, the same way twice.
#include <gtest/gtest.h>

#include <memory>

#include "framework/nn/init.h"
#include "framework/nn/layers.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"

namespace heed {
namespace {

class Mlp : public Module {
 public:
  Mlp() {
    fc1 = register_module("fc1", std::make_shared<Linear>(2, 8));
    fc2 = register_module("fc2", std::make_shared<Linear>(8, 1));
  }
  Tensor forward(const Tensor& x) const { return (*fc2)(tanh((*fc1)(x))); }
  std::shared_ptr<Linear> fc1, fc2;
};

struct XorRun {
  std::vector<float> losses;
  std::vector<float> predictions;
};

XorRun train_xor(int steps) {
  seed_init(2024);
  Mlp net;
  Adam opt(net.named_parameters(), 0.05);
  const Tensor x = Tensor::from_vector({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const Tensor y = Tensor::from_vector({0, 1, 1, 0}, {4, 1});
  XorRun run;
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    Tensor d = sub(net.forward(x), y);
    Tensor loss = mean(mul(d, d));  // mean squared error
    loss.backward();
    opt.step();
    run.losses.push_back(loss.item());
  }
  NoGradGuard no_grad;
  run.predictions = net.forward(x).to_vector();
  return run;
}

TEST(Xor, TwoLayerTanhMlpLearnsXorWithAdam) {
  XorRun run = train_xor(400);
  EXPECT_GT(run.losses.front(), 0.1f);  // it really had to learn
  EXPECT_LT(run.losses.back(), 0.01f);
  const std::vector<float> target = {0, 1, 1, 0};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(run.predictions[i], target[i], 0.25f) << "input " << i;
}

TEST(Xor, TrainingIsDeterministic) {
  XorRun a = train_xor(50), b = train_xor(50);
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.predictions, b.predictions);
}

}  // namespace
}  // namespace heed
