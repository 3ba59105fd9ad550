#include "framework/optim/adam.h"

#include <cmath>
#include <string>
#include <type_traits>

namespace heed {

Adam::Adam(NamedTensors params, double lr, double beta1, double beta2, double eps,
           double weight_decay)
    : Adam("Adam", std::move(params), lr, beta1, beta2, eps, weight_decay, false) {}

Adam::Adam(const char* kind, NamedTensors params, double lr, double beta1, double beta2, double eps,
           double weight_decay, bool decoupled)
    : Optimizer(kind, std::move(params), lr, {"exp_avg", "exp_avg_sq"}, /*counts_per_param=*/true),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      decoupled_(decoupled) {
  const std::string k = kind;
  if (!(beta1 >= 0 && beta1 < 1))
    throw Error(k + ": beta1 " + std::to_string(beta1) + " not in [0, 1)");
  if (!(beta2 >= 0 && beta2 < 1))
    throw Error(k + ": beta2 " + std::to_string(beta2) + " not in [0, 1)");
  if (!(eps >= 0)) throw Error(k + ": eps " + std::to_string(eps) + " must be >= 0");
  if (!(weight_decay >= 0))
    throw Error(k + ": weight_decay " + std::to_string(weight_decay) + " must be >= 0");
}

void Adam::update(std::size_t i, float* __restrict p, const float* __restrict g, int64_t n) {
  float* __restrict m = buffer(0, i);
  float* __restrict v = buffer(1, i);
  // Scalars as PyTorch computes them: in double (Python floats), rounded once to float.
  const double t = static_cast<double>(param_steps(i));
  const double bias_correction1 = 1.0 - std::pow(beta1_, t);
  const double bias_correction2 = 1.0 - std::pow(beta2_, t);
  const float neg_step_size = static_cast<float>(-(lr() / bias_correction1));
  const float bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float b1 = static_cast<float>(beta1_), c1 = static_cast<float>(1.0 - beta1_);
  const float b2 = static_cast<float>(beta2_), c2 = static_cast<float>(1.0 - beta2_);
  const float eps = static_cast<float>(eps_);
  const float l2 = decoupled_ ? 0.0f : static_cast<float>(weight_decay_);
  const float decay = static_cast<float>(decoupled_ ? 1.0 - lr() * weight_decay_ : 1.0);
  // PyTorch skips the L2 term when weight_decay is 0; so do we (0 · inf would be NaN).
  auto run = [&](auto with_l2) {
    for_chunks(n, [&](int64_t s, int64_t e) {
      for (int64_t j = s; j < e; ++j) {
        const float gj = with_l2 ? g[j] + l2 * p[j] : g[j];
        const float pj = p[j] * decay;
        m[j] = m[j] * b1 + c1 * gj;
        v[j] = v[j] * b2 + c2 * gj * gj;
        const float denom = std::sqrt(v[j]) / bc2_sqrt + eps;
        p[j] = pj + neg_step_size * m[j] / denom;
      }
    });
  };
  if (l2 != 0)
    run(std::true_type{});
  else
    run(std::false_type{});
}

}  // namespace heed
