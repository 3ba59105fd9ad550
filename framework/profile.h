// Where a training step's time goes, per op kind (`heed bench --profile`). Off by default; while
// on, every op's forward and backward time is added to its name's row.
//
// Forward: an op calls record() once its result is computed, so the time since the previous
// recorded op (or the last profile_phase()) is that op's forward time. Work between two recorded
// ops (helpers on detached tensors, masks built without gradient, loops in a model's forward)
// lands on the next one; call profile_phase() after such a stretch to give it a name of its own.
// Backward: each node's backward function and the summing of the gradients it gives into those
// already pending. The rest of backward (ordering the graph, leaves' .grad) is not timed.
// Single-threaded callers only (the training loop); kernels may use threads inside an op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heed {

struct OpTime {
  std::string name;
  double forward_s = 0, backward_s = 0;
  int64_t calls = 0;  // forward calls
  double flops = 0;   // counted (count_flops) during its forward and backward time
};

// Clears the table and starts timing.
void profile_start();
// Stops timing; the table keeps what was measured.
void profile_stop();
bool profiling();
// Ends the current forward stretch: the time since the previous op or phase goes to `name`
// (as forward time), and the next op's forward time starts now.
void profile_phase(const char* name);
// The ops measured since profile_start, by total time, largest first.
std::vector<OpTime> profile_table();

// Floating-point operations of the products computed: every oneDNN matmul and the tiled
// attention's tile products, 2·M·N·K each, the attention backward's recomputed scores left out.
// What is computed, so it depends on the path: the unfused core multiplies the causal half of
// its scores too, the tiled one skips those tiles. Counted always, from any thread; for the MFU
// of `heed bench --json`.
void count_flops(double flops);
double flops_counted();  // since the process started

// Used by autograd: record() calls profile_forward(name); Tensor::backward holds a
// ProfileBackwardScope (ops run inside a node's backward are part of that node's time, not
// forward calls of their own) and times each node.
void profile_forward(const char* name);
void profile_backward(const char* name, double seconds, double flops);
class ProfileBackwardScope {
 public:
  ProfileBackwardScope();
  ~ProfileBackwardScope();  // the next forward stretch starts here
  ProfileBackwardScope(const ProfileBackwardScope&) = delete;
  ProfileBackwardScope& operator=(const ProfileBackwardScope&) = delete;
};

}  // namespace heed
