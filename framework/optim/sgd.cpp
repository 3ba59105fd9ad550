#include "framework/optim/sgd.h"

#include <cmath>
#include <string>
#include <type_traits>

namespace heed {

SGD::SGD(NamedTensors params, double lr, double momentum, double dampening, double weight_decay,
         bool nesterov)
    : Optimizer(
          "SGD", std::move(params), lr,
          momentum != 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{},
          /*counts_per_param=*/false),
      momentum_(momentum),
      dampening_(dampening),
      weight_decay_(weight_decay),
      nesterov_(nesterov) {
  if (!(momentum >= 0)) throw Error("SGD: momentum " + std::to_string(momentum) + " must be >= 0");
  if (!(weight_decay >= 0))
    throw Error("SGD: weight_decay " + std::to_string(weight_decay) + " must be >= 0");
  if (!std::isfinite(dampening)) throw Error("SGD: dampening must be finite");
  if (nesterov && (momentum <= 0 || dampening != 0))
    throw Error("SGD: nesterov needs momentum > 0 and dampening 0, got momentum " +
                std::to_string(momentum) + ", dampening " + std::to_string(dampening));
}

void SGD::update(std::size_t i, float* __restrict p, const float* __restrict g, int64_t n) {
  const float neg_lr = static_cast<float>(-lr());
  const float wd = static_cast<float>(weight_decay_);
  const float mu = static_cast<float>(momentum_);
  const float keep = static_cast<float>(1.0 - dampening_);
  const bool nesterov = nesterov_;
  // The branches are compile-time constants inside each loop, so every variant vectorizes;
  // PyTorch skips the decay term when weight_decay is 0, and so do we (0 · inf would be NaN).
  auto run = [&](auto with_wd, auto with_momentum) {
    const bool first = with_momentum && !has_buffer(0, i);
    float* __restrict b = with_momentum ? buffer(0, i) : nullptr;
    for_chunks(n, [&](int64_t s, int64_t e) {
      for (int64_t j = s; j < e; ++j) {
        const float d = with_wd ? g[j] + wd * p[j] : g[j];
        if constexpr (with_momentum) {
          b[j] = first ? d : b[j] * mu + keep * d;
          p[j] = p[j] + neg_lr * (nesterov ? d + mu * b[j] : b[j]);
        } else {
          p[j] = p[j] + neg_lr * d;
        }
      }
    });
  };
  const bool with_wd = weight_decay_ != 0, with_momentum = momentum_ != 0;
  if (with_wd && with_momentum) run(std::true_type{}, std::true_type{});
  if (with_wd && !with_momentum) run(std::true_type{}, std::false_type{});
  if (!with_wd && with_momentum) run(std::false_type{}, std::true_type{});
  if (!with_wd && !with_momentum) run(std::false_type{}, std::false_type{});
}

}  // namespace heed
