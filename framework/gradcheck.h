// Finite-difference gradient check, used by the tests and by `heed gradcheck`.
//
// The rule. f maps the inputs to one output tensor y. A fixed random weighting w ~ N(0, 1) of
// y's shape (from `seed`) turns it into the scalar L = Σ w ⊙ y (accumulated in double), so every
// output element matters — a plain sum would hide errors in ops like softmax whose outputs sum
// to a constant. The analytic gradient is y.backward(w). The numeric one is the central
// difference (L(x + h) − L(x − h)) / 2h with h = step · max(1, |x|), one element at a time. In
// float32, truncation error grows like h² and rounding error like ε·|L|/h; step = 1e-2 balances
// them for O(1) values. An element passes when |numeric − analytic| ≤ atol + rtol·|numeric|, and
// each input as a whole passes when ‖numeric − analytic‖ ≤ norm_rtol·‖numeric‖ + atol. The
// norm test is the strict one: a backward off by 1% fails it.
//
// Inputs may be non-contiguous views (transposed, sliced) but must not overlap themselves
// (no expanded stride-0 inputs). Only inputs with requires_grad() are checked. The global dropout
// generator is reset before every evaluation of f, so f may use dropout.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "framework/tensor.h"

namespace heed {

struct GradcheckOptions {
  float step = 1e-2f;
  double atol = 2e-3;
  double rtol = 2e-2;
  double norm_rtol = 4e-3;
  uint64_t seed = 20240601;
};

struct GradcheckReport {
  bool ok = true;
  double worst_norm_error = 0;  // max over inputs of ‖num − ana‖ / (‖num‖ + atol/norm_rtol)
  std::string worst;            // the worst element: input, index, analytic, numeric
  std::string message;          // one line per failing input, empty when ok
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

GradcheckReport gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& opts = {});

}  // namespace heed
