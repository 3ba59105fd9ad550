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

Tensor record(Tensor out, const char* name, std::vector<Tensor> inputs, BackwardFn backward) {
  // Ops outside the graph (on detached tensors, under NoGradGuard) are parts of the op that
  // calls them, or work between ops: their time goes to the next recorded op.
  if (!needs_grad(inputs)) return out;
  profile_forward(name);  // the op's result is computed: its forward time ends here
  TensorImpl& o = out.impl();
  o.requires_grad = true;
  o.grad_fn = std::make_shared<Node>(name, std::move(inputs), std::move(backward));
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

// Post-order DFS without recursion: a node is emitted after all nodes it depends on.
// Holds shared pointers: releasing a node frees its inputs, which may be visited later.
static std::vector<std::shared_ptr<TensorImpl>> topological_order(
    const std::shared_ptr<TensorImpl>& root) {
  std::vector<std::shared_ptr<TensorImpl>> order;
  std::unordered_set<TensorImpl*> visited;
  std::unordered_map<TensorImpl*, std::shared_ptr<TensorImpl>> keep;
  std::vector<std::pair<TensorImpl*, std::size_t>> stack;  // (tensor, next input to visit)
  stack.emplace_back(root.get(), 0);
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [t, next] = stack.back();
    const Node* node = t->grad_fn.get();
    if (node != nullptr && next < node->inputs().size()) {
      const Tensor& in = node->inputs()[next++];
      TensorImpl* child = in.defined() && in.requires_grad() ? in.impl_ptr().get() : nullptr;
      if (child != nullptr && visited.insert(child).second) {
        keep[child] = in.impl_ptr();
        stack.emplace_back(child, 0);
      }
      continue;
    }
    order.push_back(t == root.get() ? root : keep.at(t));
    stack.pop_back();
  }
  return order;  // inputs before the tensors computed from them; root last
}

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
  if (root.grad_fn && root.grad_fn->released())
    throw Error("backward(): this graph was already used by a previous backward()");

  std::vector<std::shared_ptr<TensorImpl>> order = topological_order(impl_ptr());
  // Gradients of non-leaf tensors live here only while needed, so memory is freed as we go.
  std::unordered_map<TensorImpl*, Tensor> pending;
  pending[&root] = seed;
  NoGradGuard no_grad;
  ProfileBackwardScope profiled;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    // Drop our reference once visited, so activations are freed as backward proceeds.
    std::shared_ptr<TensorImpl> held = std::move(*it);
    TensorImpl* t = held.get();
    auto found = pending.find(t);
    if (found == pending.end()) continue;  // nothing flowed here
    Tensor g = std::move(found->second);
    pending.erase(found);
    if (!t->grad_fn) {
      accumulate_grad(*t, g);
      continue;
    }
    Node& node = *t->grad_fn;
    const auto started =
        profiling() ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    std::vector<Tensor> grads = node.run(g);
    const std::vector<Tensor>& inputs = node.inputs();
    for (std::size_t i = 0; i < inputs.size() && i < grads.size(); ++i) {
      const Tensor& in = inputs[i];
      if (!grads[i].defined() || !in.defined() || !in.requires_grad()) continue;
      if (grads[i].shape() != in.shape())
        throw Error(std::string("internal: backward of ") + node.name() +
                    " gave a gradient of shape " + shape_str(grads[i].shape()) + " for input " +
                    std::to_string(i) + " of shape " + shape_str(in.shape()));
      TensorImpl* key = in.impl_ptr().get();
      auto slot = pending.find(key);
      if (slot == pending.end()) {
        pending.emplace(key, grads[i]);
      } else {
        if (!slot->second.is_contiguous() || slot->second.storage().use_count() > 1)
          slot->second = slot->second.clone();
        add_(slot->second, grads[i]);
      }
    }
    if (profiling())  // the node's backward and the summing of what it gave
      profile_backward(
          node.name(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    node.release();
  }
}

}  // namespace heed
