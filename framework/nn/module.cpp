#include "framework/nn/module.h"

#include "framework/text.h"

#include <algorithm>
#include <unordered_set>

namespace heed {
namespace {}  // namespace

void Module::check_new_name(const std::string& name, const char* op) const {
  if (name.empty()) throw Error(std::string(op) + ": empty name");
  if (name.find('.') != std::string::npos)
    throw Error(std::string(op) + ": name '" + name +
                "' contains '.', which separates the levels of dotted names");
  for (const auto& [n, t] : params_)
    if (n == name) throw Error(std::string(op) + ": '" + name + "' is already a parameter");
  for (const auto& [n, c] : children_)
    if (n == name) throw Error(std::string(op) + ": '" + name + "' is already a submodule");
}

Tensor Module::register_parameter(std::string name, Tensor t) {
  check_new_name(name, "Module::register_parameter");
  if (!t.defined()) throw Error("Module::register_parameter: '" + name + "' is undefined");
  if (t.dtype() != DType::F32 || !t.is_leaf())
    throw Error("Module::register_parameter: '" + name + "' must be a float32 leaf tensor, got " +
                dtype_name(t.dtype()) + (t.is_leaf() ? "" : " computed by an op"));
  t.set_requires_grad(true);
  params_.emplace_back(std::move(name), t);
  return t;
}

bool Module::contains(const Module* m) const {
  if (m == this) return true;
  for (const auto& [n, c] : children_)
    if (c->contains(m)) return true;
  return false;
}

void Module::add_child(std::string name, std::shared_ptr<Module> m) {
  check_new_name(name, "Module::register_module");
  if (!m) throw Error("Module::register_module: '" + name + "' is null");
  if (m->contains(this))
    throw Error("Module::register_module: '" + name + "' contains this module (a cycle)");
  children_.emplace_back(std::move(name), std::move(m));
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  std::unordered_set<const TensorImpl*> seen;
  // Pre-order walk (own parameters, then each child's subtree), the order of torch's
  // named_parameters(). Children are pushed in reverse so that they pop in order.
  std::vector<std::pair<const Module*, std::string>> stack = {{this, ""}};
  while (!stack.empty()) {
    auto [m, prefix] = std::move(stack.back());
    stack.pop_back();
    for (const auto& [name, t] : m->params_)
      if (seen.insert(t.impl_ptr().get()).second) out.emplace_back(prefix + name, t);
    for (auto it = m->children_.rbegin(); it != m->children_.rend(); ++it)
      stack.emplace_back(it->second.get(), prefix + it->first + ".");
  }
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

Tensor Module::parameter(const std::string& dotted) const {
  NamedTensors all = named_parameters();
  for (const auto& [name, t] : all)
    if (name == dotted) return t;
  if (all.empty())
    throw Error("Module::parameter: no parameter '" + dotted + "' (none registered)");
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const auto& [name, t] : all) ranked.emplace_back(edit_distance(dotted, name), name);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string msg = "Module::parameter: no parameter '" + dotted + "'; closest:";
  for (std::size_t i = 0; i < ranked.size() && i < 5; ++i) msg += " '" + ranked[i].second + "'";
  throw Error(msg);
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, c] : children_) c->train(on);
}

void Module::zero_grad() {
  for (auto& [name, t] : named_parameters()) t.zero_grad();
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

}  // namespace heed
