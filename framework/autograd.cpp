#include "framework/autograd.h"

#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "framework/ops/elementwise.h"
#include "framework/profile.h"

namespace heed {
namespace {
thread_local bool g_grad_enabled = true;
}

bool grad_enabled() {
  return g_grad_enabled;
}

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) {
  g_grad_enabled = false;
}
NoGradGuard::~NoGradGuard() {
  g_grad_enabled = previous_;
}

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Node::Node(const char* name, const std::vector<Tensor>& inputs, BackwardFn backward)
    : name_(name), backward_(std::move(backward)) {
  edges_.reserve(inputs.size());
  for (const Tensor& in : inputs) {
    Edge e;
    if (in.defined() && in.requires_grad()) {
      if (in.is_leaf())
        e.leaf = in.impl_ptr();
      else
        e.node = in.impl().grad_fn;
      e.shape = in.shape();
    }
    edges_.push_back(std::move(e));
  }
}

Tensor record(Tensor out, const char* name, std::vector<Tensor> inputs, BackwardFn backward) {
  // Ops outside the graph (on detached tensors, under NoGradGuard) are parts of the op that
  // calls them, or work between ops: their time goes to the next recorded op.
  if (!needs_grad(inputs)) return out;
  profile_forward(name);  // the op's result is computed: its forward time ends here
  TensorImpl& o = out.impl();
  o.requires_grad = true;
  o.grad_fn = std::make_shared<Node>(name, inputs, std::move(backward));
  return out;
}

void accumulate_grad(TensorImpl& t, const Tensor& g) {
  if (g.shape() != t.shape)
    throw Error(std::string("internal: gradient of shape ") + shape_str(g.shape()) +
                " for a tensor of shape " + shape_str(t.shape));
  if (!t.grad) {
    // Adopt a fresh contiguous gradient nobody else holds; copy anything else, so that a later
    // in-place accumulation cannot write into another tensor's memory.
    bool owned = g.is_contiguous() && g.impl_ptr().use_count() <= 2 &&
                 g.storage().use_count() == 1 && g.offset() == 0 && g.is_leaf();
    Tensor mine = owned ? g.detach() : g.clone();
    t.grad = mine.impl_ptr();
    return;
  }
  Tensor acc(t.grad);
  add_(acc, g);
}

namespace {

// Post-order DFS without recursion over the nodes that `root` depends on: a node is emitted after
// all nodes it depends on, so the reverse order runs each node after every node that feeds it a
// gradient. The order depends only on the graph.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<const Node*> visited;
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack;  // (node, next edge)
  stack.emplace_back(root, 0);
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->edges().size()) {
      const std::shared_ptr<Node>& child = node->edges()[next++].node;
      if (child != nullptr && visited.insert(child.get()).second) stack.emplace_back(child, 0);
      continue;
    }
    order.push_back(std::move(node));
    stack.pop_back();
  }
  return order;  // inputs' nodes before the nodes computed from them; root last
}

// Adds `g` to the gradient waiting in `slot` (taking `g` itself when there is none yet).
void add_pending(Tensor& slot, const Tensor& g) {
  if (!slot.defined()) {
    slot = g;
    return;
  }
  if (!slot.is_contiguous() || slot.storage().use_count() > 1) slot = slot.clone();
  add_(slot, g);
}

}  // namespace

void Tensor::backward(const Tensor& grad_output) const {
  TensorImpl& root = impl();
  if (!root.requires_grad)
    throw Error("backward(): the tensor does not require grad (no parameter reached it)");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    if (numel() != 1)
      throw Error("backward(): output of shape " + shape_str(shape()) +
                  " is not a scalar; pass a gradient of the same shape");
    seed = Tensor::ones(shape());
  } else if (seed.shape() != shape()) {
    throw Error("backward(): gradient shape " + shape_str(seed.shape()) +
                " does not match output shape " + shape_str(shape()));
  }
  if (!root.grad_fn) {  // a leaf: its gradient is the seed
    NoGradGuard no_grad;
    accumulate_grad(root, seed);
    return;
  }
  if (root.grad_fn->released())
    throw Error("backward(): this graph was already used by a previous backward()");

  std::vector<std::shared_ptr<Node>> order = topological_order(root.grad_fn);
  // Gradients waiting for their node, and for their leaf, only while needed, so memory is
  // freed as we go. A leaf's contributions are summed first and then added to its .grad, so
  // accumulation over micro-batches adds one sum per backward.
  std::unordered_map<const Node*, Tensor> pending;
  std::unordered_map<TensorImpl*, Tensor> leaf_sums;
  std::vector<std::shared_ptr<TensorImpl>> leaves;  // in the order their first gradient came
  pending[root.grad_fn.get()] = seed;
  NoGradGuard no_grad;
  ProfileBackwardScope profiled;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    // Drop our reference once run, so what the node saved is freed as backward proceeds.
    std::shared_ptr<Node> held = std::move(*it);
    Node& node = *held;
    auto found = pending.find(&node);
    if (found == pending.end()) continue;  // nothing flowed here
    Tensor g = std::move(found->second);
    pending.erase(found);
    const auto started =
        profiling() ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    const double flops_before = profiling() ? flops_counted() : 0.0;
    std::vector<Tensor> grads = node.run(g);
    const std::vector<Edge>& edges = node.edges();
    for (std::size_t i = 0; i < edges.size() && i < grads.size(); ++i) {
      const Edge& e = edges[i];
      if (!grads[i].defined() || !e.defined()) continue;
      if (e.leaf && !e.leaf->requires_grad) continue;  // frozen after the forward pass
      if (grads[i].shape() != e.shape)
        throw Error(std::string("internal: backward of ") + node.name() +
                    " gave a gradient of shape " + shape_str(grads[i].shape()) + " for input " +
                    std::to_string(i) + " of shape " + shape_str(e.shape));
      if (e.node) {
        add_pending(pending[e.node.get()], grads[i]);
      } else {
        Tensor& sum = leaf_sums[e.leaf.get()];
        if (!sum.defined()) leaves.push_back(e.leaf);
        add_pending(sum, grads[i]);
      }
    }
    if (profiling())  // the node's backward and the summing of what it gave
      profile_backward(
          node.name(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
          flops_counted() - flops_before);
    node.release();
  }
  for (const std::shared_ptr<TensorImpl>& leaf : leaves)
    accumulate_grad(*leaf, leaf_sums.at(leaf.get()));
}

}  // namespace heed
