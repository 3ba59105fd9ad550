#include "framework/gradcheck.h"

#include <cmath>
#include <sstream>

#include "framework/autograd.h"
#include "framework/random.h"

namespace heed {
namespace {

// Storage offsets of every element of t in row-major order of its shape.
std::vector<int64_t> element_offsets(const Tensor& t) {
  std::vector<int64_t> offsets(t.numel());
  const Shape& s = t.shape();
  for (int64_t flat = 0; flat < t.numel(); ++flat) {
    int64_t rem = flat, off = t.offset();
    for (int64_t d = t.dim() - 1; d >= 0; --d) {
      off += (rem % s[d]) * t.strides()[d];
      rem /= s[d];
    }
    offsets[flat] = off;
  }
  return offsets;
}

std::string index_str(const Shape& shape, int64_t flat) {
  Shape idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::string s = "[";
  for (std::size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

}  // namespace

GradcheckReport gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& opts) {
  const RngState rng = global_rng();
  for (const Tensor& x : inputs) {
    if (x.requires_grad() && !x.is_leaf())
      throw Error("gradcheck: inputs that require grad must be leaves (detach() a view first)");
    if (x.requires_grad()) x.impl().grad.reset();
  }

  // Analytic: y.backward(w).
  global_rng() = rng;
  Tensor y = f(inputs);
  if (!y.requires_grad()) throw Error("gradcheck: the output does not depend on any checked input");
  const Tensor w = Tensor::randn(y.shape(), opts.seed);
  const std::vector<float> wv = w.to_vector();
  y.backward(w);

  auto loss = [&]() {
    global_rng() = rng;
    NoGradGuard no_grad;
    std::vector<float> out = f(inputs).to_vector();
    double total = 0;
    for (std::size_t i = 0; i < out.size(); ++i) total += static_cast<double>(wv[i]) * out[i];
    return total;
  };

  GradcheckReport report;
  double worst_element = -1;
  std::ostringstream failures;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    Tensor g = x.grad();
    std::vector<float> analytic = g.defined() ? g.to_vector() : std::vector<float>(x.numel(), 0.0f);
    std::vector<int64_t> offsets = element_offsets(x);
    float* base = static_cast<float*>(x.storage()->data);
    double diff2 = 0, num2 = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      float& v = base[offsets[i]];
      const float original = v;
      const float h = opts.step * std::max(1.0f, std::fabs(original));
      v = original + h;
      const float hp = v - original;  // the step actually taken in float
      const double lp = loss();
      v = original - h;
      const float hm = original - v;
      const double lm = loss();
      v = original;
      const double numeric = (lp - lm) / (static_cast<double>(hp) + hm);
      const double err = std::fabs(numeric - analytic[i]);
      diff2 += err * err;
      num2 += numeric * numeric;
      const double bound = opts.atol + opts.rtol * std::fabs(numeric);
      if (err / bound > worst_element) {
        worst_element = err / bound;
        std::ostringstream s;
        s << "input " << k << " " << index_str(x.shape(), i) << ": analytic " << analytic[i]
          << ", numeric " << numeric;
        report.worst = s.str();
      }
      if (err > bound && report.ok) {
        report.ok = false;
        failures << "input " << k << " " << index_str(x.shape(), i) << ": analytic " << analytic[i]
                 << " vs numeric " << numeric << "; ";
      }
    }
    const double norm_err = std::sqrt(diff2) / (std::sqrt(num2) + opts.atol / opts.norm_rtol);
    report.worst_norm_error = std::max(report.worst_norm_error, norm_err);
    if (norm_err > opts.norm_rtol) {
      report.ok = false;
      failures << "input " << k << ": relative error of the whole gradient " << norm_err << " > "
               << opts.norm_rtol << "; ";
    }
  }
  report.message = failures.str();
  global_rng() = rng;
  return report;
}

}  // namespace heed
