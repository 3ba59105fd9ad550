// Adam and AdamW, as torch.optim.Adam / AdamW (PyTorch 1.13, amsgrad off), per element, with t
// the parameter's own update count (1 on its first update):
//   Adam:   g = g + weight_decay · p                     (L2 penalty through the gradient)
//   AdamW:  p = p · (1 − lr · weight_decay)              (decoupled decay)
//   m = β1·m + (1 − β1)·g
//   v = β2·v + (1 − β2)·g·g
//   step_size = lr / (1 − β1^t)
//   denom = √v / √(1 − β2^t) + eps
//   p = p − step_size · m / denom
// State: "step.<param>", "exp_avg.<param>", "exp_avg_sq.<param>".
#pragma once

#include "framework/optim/optimizer.h"

namespace heed {

class Adam : public Optimizer {
 public:
  Adam(NamedTensors params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8, double weight_decay = 0);

 protected:
  Adam(const char* kind, NamedTensors params, double lr, double beta1, double beta2, double eps,
       double weight_decay, bool decoupled);

 private:
  void update(std::size_t i, float* p, const float* g, int64_t n) override;

  double beta1_, beta2_, eps_, weight_decay_;
  bool decoupled_;
};

class AdamW final : public Adam {
 public:
  AdamW(NamedTensors params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0.01)
      : Adam("AdamW", std::move(params), lr, beta1, beta2, eps, weight_decay, true) {}
};

}  // namespace heed
