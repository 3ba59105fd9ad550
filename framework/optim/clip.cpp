#include "framework/optim/clip.h"

#include <cmath>
#include <string>

#include "framework/autograd.h"
#include "framework/ops/elementwise.h"

namespace heed {
namespace {

// Σ x² in double with four interleaved partial sums (a fixed order that still pipelines).
double sum_squares(const float* x, int64_t n) {
  double acc[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) acc[k] += static_cast<double>(x[i + k]) * x[i + k];
  for (; i < n; ++i) acc[0] += static_cast<double>(x[i]) * x[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// Shared by both overloads; `tensor` maps an element of `params` to its Tensor, so that neither
// overload copies the list (this runs every step).
template <typename Params, typename Get>
float clip(const Params& params, double max_norm, Get tensor) {
  if (!(max_norm > 0))
    throw Error("clip_grad_norm_: max_norm " + std::to_string(max_norm) + " must be positive");
  NoGradGuard no_grad;
  double total2 = 0;
  for (const auto& item : params) {
    const Tensor g = tensor(item).grad();
    if (!g.defined()) continue;
    // Gradients from backward() are contiguous; anything else is summed from a copy.
    const Tensor gc = g.is_contiguous() ? g : g.contiguous();
    total2 += sum_squares(gc.data<float>(), gc.numel());
  }
  const double total = std::sqrt(total2);
  if (!std::isfinite(total)) return static_cast<float>(total);
  const double scale = max_norm / (total + 1e-6);
  if (scale < 1.0)
    for (const auto& item : params) {
      const Tensor g = tensor(item).grad();
      if (g.defined()) mul_(g, static_cast<float>(scale));
    }
  return static_cast<float>(total);
}

}  // namespace

float clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  return clip(params, max_norm, [](const Tensor& p) -> const Tensor& { return p; });
}

float clip_grad_norm_(const NamedTensors& params, double max_norm) {
  return clip(params, max_norm, [](const auto& named) -> const Tensor& { return named.second; });
}

std::string first_nonfinite_grad(const NamedTensors& params) {
  NoGradGuard no_grad;
  for (const auto& [name, p] : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const Tensor gc = g.is_contiguous() ? g : g.contiguous();
    const float* x = gc.data<float>();
    for (int64_t i = 0; i < gc.numel(); ++i)
      if (!std::isfinite(x[i])) return name;
  }
  return "";
}

}  // namespace heed
