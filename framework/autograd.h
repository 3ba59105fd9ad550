// Define-by-run reverse-mode autodiff. Each differentiable op computes its result, then calls
// record() with the inputs and a backward function mapping the output's gradient to one gradient
// per input. Tensor::backward() orders the nodes with an iterative depth-first topological sort
// (deep graphs cannot overflow the stack; the order depends only on the graph) and accumulates.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "framework/tensor.h"

namespace heed {

// grad_output -> one gradient per input (undefined where that input needs none). Each gradient
// has its input's shape. Runs under NoGradGuard.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

// Where one input of a node sends its gradient: the node that computed it, or, for a leaf that
// requires a gradient (a parameter), the leaf itself. An edge holds no activation: a node keeps
// alive only what its backward function captured, so an input that backward does not read (a
// residual sum's, a dropout's) is freed as soon as the forward pass is done with it.
struct Edge {
  std::shared_ptr<Node> node;        // the input's grad_fn; null for a leaf
  std::shared_ptr<TensorImpl> leaf;  // the leaf whose .grad receives the gradient; null for a node
  Shape shape;                       // the input's shape, which its gradient must have
  bool defined() const { return node != nullptr || leaf != nullptr; }
};

class Node {
 public:
  // One edge per input, in order; an input that is undefined or needs no gradient gets an
  // empty edge, and backward's gradient for it is ignored.
  Node(const char* name, const std::vector<Tensor>& inputs, BackwardFn backward);
  const char* name() const { return name_; }
  const std::vector<Edge>& edges() const { return edges_; }
  std::vector<Tensor> run(const Tensor& grad_output) const { return backward_(grad_output); }
  // Frees what backward captured (saved activations) and the edges once it has run.
  void release() {
    edges_.clear();
    backward_ = nullptr;
  }
  bool released() const { return backward_ == nullptr; }

 private:
  const char* name_;
  std::vector<Edge> edges_;
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
