// Define-by-run reverse-mode autodiff. Each differentiable op computes its result, then calls
// record() with the inputs and a backward function mapping the output's gradient to one gradient
// per input. Tensor::backward() orders the nodes with an iterative depth-first topological sort
// (deep graphs cannot overflow the stack; the order depends only on the graph) and accumulates.
#pragma once

#include <functional>
#include <vector>

#include "framework/tensor.h"

namespace heed {

// grad_output -> one gradient per input (undefined where that input needs none). Each gradient
// has its input's shape. Runs under NoGradGuard.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

class Node {
 public:
  Node(const char* name, std::vector<Tensor> inputs, BackwardFn backward)
      : name_(name), inputs_(std::move(inputs)), backward_(std::move(backward)) {}
  const char* name() const { return name_; }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  std::vector<Tensor> run(const Tensor& grad_output) const { return backward_(grad_output); }
  // Frees what backward captured (saved activations) once it has run.
  void release() {
    inputs_.clear();
    backward_ = nullptr;
  }
  bool released() const { return backward_ == nullptr; }

 private:
  const char* name_;
  std::vector<Tensor> inputs_;
  BackwardFn backward_;
};

bool grad_enabled();

// Records nothing while alive (evaluation, decoding, optimizer updates, backward itself).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when an op on these inputs must record a node.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Attaches a node to `out` when grad mode is on and some input requires a gradient; returns out.
Tensor record(Tensor out, const char* name, std::vector<Tensor> inputs, BackwardFn backward);

// Adds `g` into t.grad (allocating it on first use). Shapes must match.
void accumulate_grad(TensorImpl& t, const Tensor& g);

}  // namespace heed
