// Module: a tree of named parameters and submodules, as torch.nn.Module.
//
// A subclass registers its parameters and children in its constructor; named_parameters()
// then yields them with PyTorch's dotted names ("layers.0.self_attn.in_proj_weight") in
// PyTorch's order: a module's own parameters in registration order, then each child's, depth
// first. Those names are what checkpoints store and what the PyTorch reference models use, so a
// model that registers in the same order and with the same names as its torch twin exchanges
// weights with it.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "framework/named_tensors.h"
#include "framework/tensor.h"

namespace heed {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  // Copies would share parameters with the original without saying so.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Marks t (a float32 leaf) as requiring grad, records it under `name` and returns it.
  // A name is non-empty, has no '.', and is used once per module (parameters and children).
  Tensor register_parameter(std::string name, Tensor t);

  // Records a child module under `name` (same rules as parameters) and returns it.
  template <class T>
  std::shared_ptr<T> register_module(std::string name, std::shared_ptr<T> m) {
    static_assert(std::is_base_of_v<Module, T>, "register_module: T must derive from heed::Module");
    add_child(std::move(name), m);
    return m;
  }

  // All parameters, recursively, with dotted names. A tensor reachable twice (tied weights, a
  // shared child) is listed once, under its first name, as PyTorch does, so an optimizer does
  // not update it twice.
  NamedTensors named_parameters() const;
  std::vector<Tensor> parameters() const;
  // The parameter with this dotted name; throws listing the closest names when there is none.
  Tensor parameter(const std::string& dotted) const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const {
    return children_;
  }

  // Training mode (dropout on) or evaluation mode, for this module and all below it.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad();                // drops every parameter's gradient
  int64_t num_parameters() const;  // total elements over named_parameters()

 private:
  void add_child(std::string name, std::shared_ptr<Module> m);
  void check_new_name(const std::string& name, const char* op) const;
  bool contains(const Module* m) const;  // m is this module or below it

  NamedTensors params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace heed
