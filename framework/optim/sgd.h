// Stochastic gradient descent with momentum, as torch.optim.SGD (PyTorch 1.13), per element:
//   d = g + weight_decay · p
//   with momentum μ ≠ 0:   b = d on a parameter's first update, else b = μ·b + (1 − dampening)·d
//                          d = nesterov ? d + μ·b : b
//   p = p − lr · d
// State: "momentum_buffer.<param>" (only with momentum).
#pragma once

#include "framework/optim/optimizer.h"

namespace heed {

class SGD final : public Optimizer {
 public:
  SGD(NamedTensors params, double lr, double momentum = 0, double dampening = 0,
      double weight_decay = 0, bool nesterov = false);

 private:
  void update(std::size_t i, float* p, const float* g, int64_t n) override;

  double momentum_, dampening_, weight_decay_;
  bool nesterov_;
};

}  // namespace heed
