// Optimizer: updates named parameters in place from their gradients, as torch.optim.
//
// step() visits the parameters in construction order and skips those without a gradient. The
// per-parameter state (momentum, moments) is allocated the first time a parameter is updated and
// reused after, so steady-state steps allocate nothing. Every update is elementwise in a fixed
// order, so results do not depend on the thread count.
//
// Hyperparameters are doubles, as PyTorch's Python floats: the scalars an update uses (1 − β,
// bias corrections, step sizes) are computed in double and rounded to float once, where PyTorch
// hands them to its float kernels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/named_tensors.h"
#include "framework/tensor.h"

namespace heed {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter that has a gradient, then counts the step.
  void step();
  void zero_grad();  // drops every parameter's gradient

  double lr() const { return lr_; }
  void set_lr(double lr);  // e.g. from a schedule, before step()
  int64_t steps_taken() const { return steps_; }
  const NamedTensors& params() const { return params_; }

  // A copy of the state for a checkpoint: "step" (int64, shape (1,): steps taken) and, for each
  // parameter updated at least once, "<buffer>.<param name>" (e.g. "exp_avg.encoder.weight").
  // Optimizers that count updates per parameter (Adam) add "step.<param name>" (int64, (1,)).
  NamedTensors state() const;
  // Replaces the whole state with a copy of `state`, as saved by state() of an optimizer of the
  // same kind over parameters of the same names and shapes. A parameter with no entries starts
  // fresh (it had no gradient before the save). Throws heed::Error naming every missing,
  // unexpected or mis-shaped entry, and then changes nothing.
  void load_state(const NamedTensors& state);

 protected:
  // `kind` names the optimizer in errors. `buffer_names` are the per-parameter float buffers,
  // shaped like their parameter; `counts_per_param` adds a per-parameter update counter.
  Optimizer(const char* kind, NamedTensors params, double lr, std::vector<std::string> buffer_names,
            bool counts_per_param);

  // Updates parameter i (n contiguous floats) from its gradient g. With counts_per_param,
  // param_steps(i) has already been incremented, so it is 1 on the parameter's first update.
  virtual void update(std::size_t i, float* p, const float* g, int64_t n) = 0;

  // Buffer b of parameter i, allocated and zero-filled on first use.
  float* buffer(std::size_t b, std::size_t i);
  bool has_buffer(std::size_t b, std::size_t i) const { return buffers_[b][i].defined(); }
  int64_t param_steps(std::size_t i) const { return param_steps_[i]; }

  // Runs f(begin, end) over [0, n) in fixed chunks, in parallel when n is large. Updates are
  // elementwise, so the result does not depend on the number of threads.
  template <typename F>
  static void for_chunks(int64_t n, F&& f) {
    constexpr int64_t kChunk = 1 << 15;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 1)
    for (int64_t c = 0; c < chunks; ++c) f(c * kChunk, std::min(n, (c + 1) * kChunk));
  }

 private:
  const char* kind_;
  NamedTensors params_;
  double lr_;
  int64_t steps_ = 0;
  std::vector<std::string> buffer_names_;
  bool counts_per_param_;
  std::vector<std::vector<Tensor>> buffers_;  // [buffer][param], undefined until first update
  std::vector<int64_t> param_steps_;          // updates per parameter
};

}  // namespace heed
