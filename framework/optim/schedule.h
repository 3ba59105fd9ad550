// Learning-rate schedules: lr_at(step) gives the learning rate for an update.
//
// Steps count from 0: `step` is the number of updates already taken, i.e. the optimizer's
// steps_taken() just before the update, so a training loop does
//   opt.set_lr(schedule.lr_at(opt.steps_taken()));
//   opt.step();
// and a resumed run, whose optimizer restored steps_taken(), continues the schedule exactly.
// lr_at computes in double and rounds once. A negative step, or constructor arguments that make
// no schedule (negative rates, warmup longer than the run), throw heed::Error.
#pragma once

#include <cstdint>

namespace heed {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual float lr_at(int64_t step) const = 0;
};

// lr(s) = lr.
class ConstantLr final : public LrSchedule {
 public:
  explicit ConstantLr(float lr);
  float lr_at(int64_t step) const override;

 private:
  float lr_;
};

// Linear warmup, then half a cosine down to min_lr, then min_lr. With W = warmup_steps and
// T = total_steps:
//   s < W:        lr(s) = base_lr · (s + 1) / W          (the last warmup update uses base_lr)
//   W ≤ s < T:    lr(s) = min_lr + (base_lr − min_lr) · (1 + cos(π · (s − W) / (T − W))) / 2
//   s ≥ T:        lr(s) = min_lr
// No update is wasted on a zero rate at either end (unless min_lr is 0 after T). Needs
// 0 ≤ W ≤ T, T ≥ 1 and 0 ≤ min_lr ≤ base_lr.
class WarmupCosineLr final : public LrSchedule {
 public:
  WarmupCosineLr(float base_lr, int64_t warmup_steps, int64_t total_steps, float min_lr = 0.0f);
  float lr_at(int64_t step) const override;

 private:
  float base_lr_;
  int64_t warmup_, total_;
  float min_lr_;
};

// Inverse square root ("Noam", Vaswani et al. 2017), scaled to peak at base_lr: with
// n = s + 1 and W = warmup_steps ≥ 1,
//   lr(s) = base_lr · min(n^−0.5, n · W^−1.5) · W^0.5
// that is base_lr · n / W during warmup (n ≤ W) and base_lr · sqrt(W / n) after; lr(W − 1) =
// base_lr.
class InverseSqrtLr final : public LrSchedule {
 public:
  InverseSqrtLr(float base_lr, int64_t warmup_steps);
  float lr_at(int64_t step) const override;

 private:
  float base_lr_;
  int64_t warmup_;
};

}  // namespace heed
