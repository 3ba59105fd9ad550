#include "framework/optim/optimizer.h"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "framework/autograd.h"
#include "framework/ops/elementwise.h"

namespace heed {
namespace {

std::string join_problems(const std::vector<std::string>& problems) {
  std::string s;
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i == 10) return s + "; and " + std::to_string(problems.size() - 10) + " more";
    s += (i ? "; " : "") + problems[i];
  }
  return s;
}

bool is_count(const Tensor& t) {
  return t.dtype() == DType::I64 && t.numel() == 1;
}

Tensor count_tensor(int64_t v) {
  return Tensor::from_ints({v}, {1}, DType::I64);
}

}  // namespace

Optimizer::Optimizer(const char* kind, NamedTensors params, double lr,
                     std::vector<std::string> buffer_names, bool counts_per_param)
    : kind_(kind),
      params_(std::move(params)),
      lr_(0),
      buffer_names_(std::move(buffer_names)),
      counts_per_param_(counts_per_param) {
  set_lr(lr);
  std::unordered_set<std::string> names;
  std::unordered_set<const TensorImpl*> tensors;
  for (const auto& [name, p] : params_) {
    const std::string what = std::string(kind_) + ": parameter '" + name + "'";
    if (!p.defined()) throw Error(what + " is undefined");
    if (p.dtype() != DType::F32 || !p.is_contiguous())
      throw Error(what + " must be a contiguous float32 tensor, got " + dtype_name(p.dtype()) +
                  " " + shape_str(p.shape()) + " with strides " + shape_str(p.strides()));
    if (!names.insert(name).second) throw Error(what + " is listed twice");
    if (!tensors.insert(p.impl_ptr().get()).second)
      throw Error(what + " is a tensor already listed under another name");
  }
  buffers_.assign(buffer_names_.size(), std::vector<Tensor>(params_.size()));
  param_steps_.assign(params_.size(), 0);
}

void Optimizer::set_lr(double lr) {
  if (!(lr >= 0) || !std::isfinite(lr))
    throw Error(std::string(kind_) + ": learning rate " + std::to_string(lr) +
                " must be finite and >= 0");
  lr_ = lr;
}

void Optimizer::step() {
  NoGradGuard no_grad;
  // Check every gradient before changing anything, so that a bad one leaves no half-done step.
  // backward() and set_grad() only ever store contiguous float gradients of the right shape.
  for (const auto& [name, p] : params_) {
    const Tensor g = p.grad();
    if (g.defined() && (g.shape() != p.shape() || g.dtype() != DType::F32 || !g.is_contiguous()))
      throw Error(std::string(kind_) + ": gradient of '" + name + "' is " + dtype_name(g.dtype()) +
                  " " + shape_str(g.shape()) + (g.is_contiguous() ? "" : " (not contiguous)") +
                  ", parameter " + shape_str(p.shape()));
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    ++param_steps_[i];
    update(i, p.data<float>(), g.data<float>(), p.numel());
  }
  ++steps_;
}

void Optimizer::zero_grad() {
  for (auto& [name, p] : params_) p.zero_grad();
}

float* Optimizer::buffer(std::size_t b, std::size_t i) {
  Tensor& t = buffers_[b][i];
  if (!t.defined()) t = Tensor::zeros(params_[i].second.shape());
  return t.data<float>();
}

NamedTensors Optimizer::state() const {
  NamedTensors out;
  out.emplace_back("step", count_tensor(steps_));
  if (counts_per_param_)
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (param_steps_[i] > 0)
        out.emplace_back("step." + params_[i].first, count_tensor(param_steps_[i]));
  for (std::size_t b = 0; b < buffer_names_.size(); ++b)
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (buffers_[b][i].defined())
        out.emplace_back(buffer_names_[b] + "." + params_[i].first, buffers_[b][i].clone());
  return out;
}

void Optimizer::load_state(const NamedTensors& state) {
  std::unordered_map<std::string, std::size_t> param_index;
  for (std::size_t i = 0; i < params_.size(); ++i) param_index.emplace(params_[i].first, i);
  // What to load, gathered and checked before anything changes.
  const Tensor* global_step = nullptr;
  std::vector<const Tensor*> steps(params_.size(), nullptr);
  std::vector<std::vector<const Tensor*>> bufs(buffer_names_.size(),
                                               std::vector<const Tensor*>(params_.size(), nullptr));
  std::vector<std::string> problems;
  std::unordered_set<std::string> seen;
  for (const auto& [key, t] : state) {
    if (!seen.insert(key).second) {
      problems.push_back("'" + key + "' appears twice");
      continue;
    }
    if (!t.defined()) {
      problems.push_back("'" + key + "' is undefined");
      continue;
    }
    if (key == "step") {
      if (!is_count(t) || t.to_ints()[0] < 0)
        problems.push_back("'step' must be one int64 >= 0, got " +
                           std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape()));
      else
        global_step = &t;
      continue;
    }
    const std::size_t dot = key.find('.');
    const std::string prefix = key.substr(0, dot);
    const auto param =
        dot == std::string::npos ? param_index.end() : param_index.find(key.substr(dot + 1));
    std::size_t b = 0;
    while (b < buffer_names_.size() && buffer_names_[b] != prefix) ++b;
    const bool known_prefix = b < buffer_names_.size() || (counts_per_param_ && prefix == "step");
    if (!known_prefix || param == param_index.end()) {
      problems.push_back("unexpected entry '" + key + "'");
      continue;
    }
    const std::size_t i = param->second;
    if (b == buffer_names_.size()) {  // "step.<param>"
      if (!is_count(t) || t.to_ints()[0] < 1)
        problems.push_back("'" + key + "' must be one int64 >= 1, got " +
                           std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape()));
      else
        steps[i] = &t;
    } else if (t.dtype() != DType::F32 || t.shape() != params_[i].second.shape()) {
      problems.push_back("'" + key + "' is " + dtype_name(t.dtype()) + " " + shape_str(t.shape()) +
                         ", expected float32 " + shape_str(params_[i].second.shape()));
    } else {
      bufs[b][i] = &t;
    }
  }
  if (!global_step && !seen.count("step")) problems.push_back("missing entry 'step'");
  for (std::size_t i = 0; i < params_.size(); ++i) {
    // A parameter's entries come all together or not at all.
    std::vector<std::string> present, absent;
    auto note = [&](const std::string& key, bool here) {
      (here ? present : absent).push_back(key);
    };
    const std::string& name = params_[i].first;
    if (counts_per_param_) note("step." + name, steps[i] != nullptr || seen.count("step." + name));
    for (std::size_t b = 0; b < buffer_names_.size(); ++b)
      note(buffer_names_[b] + "." + name,
           bufs[b][i] != nullptr || seen.count(buffer_names_[b] + "." + name));
    if (!present.empty())
      for (const std::string& key : absent) problems.push_back("missing entry '" + key + "'");
    if (global_step && steps[i] && steps[i]->to_ints()[0] > global_step->to_ints()[0])
      problems.push_back("'step." + name + "' = " + std::to_string(steps[i]->to_ints()[0]) +
                         " exceeds 'step' = " + std::to_string(global_step->to_ints()[0]));
  }
  if (!problems.empty())
    throw Error(std::string(kind_) + "::load_state: " + join_problems(problems) +
                " (nothing loaded)");

  steps_ = global_step->to_ints()[0];
  for (std::size_t i = 0; i < params_.size(); ++i) {
    param_steps_[i] = steps[i] ? steps[i]->to_ints()[0] : 0;
    for (std::size_t b = 0; b < buffer_names_.size(); ++b) {
      if (!bufs[b][i]) {
        buffers_[b][i] = Tensor();
        continue;
      }
      if (!buffers_[b][i].defined()) buffers_[b][i] = Tensor::empty(params_[i].second.shape());
      copy_(buffers_[b][i], *bufs[b][i]);
    }
  }
}

}  // namespace heed
