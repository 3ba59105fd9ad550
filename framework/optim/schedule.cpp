#include "framework/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "framework/tensor.h"

namespace heed {
namespace {

void check_rate(float lr, const char* what, const char* schedule) {
  if (!(lr >= 0) || !std::isfinite(lr))
    throw Error(std::string(schedule) + ": " + what + " " + std::to_string(lr) +
                " must be finite and >= 0");
}

void check_step(int64_t step, const char* schedule) {
  if (step < 0)
    throw Error(std::string(schedule) + ": step " + std::to_string(step) + " is negative");
}

}  // namespace

ConstantLr::ConstantLr(float lr) : lr_(lr) {
  check_rate(lr, "lr", "ConstantLr");
}

float ConstantLr::lr_at(int64_t step) const {
  check_step(step, "ConstantLr");
  return lr_;
}

WarmupCosineLr::WarmupCosineLr(float base_lr, int64_t warmup_steps, int64_t total_steps,
                               float min_lr)
    : base_lr_(base_lr), warmup_(warmup_steps), total_(total_steps), min_lr_(min_lr) {
  check_rate(base_lr, "base_lr", "WarmupCosineLr");
  check_rate(min_lr, "min_lr", "WarmupCosineLr");
  if (min_lr > base_lr)
    throw Error("WarmupCosineLr: min_lr " + std::to_string(min_lr) + " exceeds base_lr " +
                std::to_string(base_lr));
  if (total_steps < 1 || warmup_steps < 0 || warmup_steps > total_steps)
    throw Error(
        "WarmupCosineLr: needs 0 <= warmup_steps <= total_steps and total_steps >= 1, got "
        "warmup_steps " +
        std::to_string(warmup_steps) + ", total_steps " + std::to_string(total_steps));
}

float WarmupCosineLr::lr_at(int64_t step) const {
  check_step(step, "WarmupCosineLr");
  if (step < warmup_)
    return static_cast<float>(static_cast<double>(base_lr_) * static_cast<double>(step + 1) /
                              static_cast<double>(warmup_));
  if (step >= total_) return min_lr_;
  const double progress =
      static_cast<double>(step - warmup_) / static_cast<double>(total_ - warmup_);
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return static_cast<float>(min_lr_ + (static_cast<double>(base_lr_) - min_lr_) * cosine);
}

InverseSqrtLr::InverseSqrtLr(float base_lr, int64_t warmup_steps)
    : base_lr_(base_lr), warmup_(warmup_steps) {
  check_rate(base_lr, "base_lr", "InverseSqrtLr");
  if (warmup_steps < 1)
    throw Error("InverseSqrtLr: warmup_steps " + std::to_string(warmup_steps) + " must be >= 1");
}

float InverseSqrtLr::lr_at(int64_t step) const {
  check_step(step, "InverseSqrtLr");
  const double n = static_cast<double>(step) + 1.0;
  const double w = static_cast<double>(warmup_);
  return static_cast<float>(base_lr_ * std::min(std::pow(n, -0.5), n * std::pow(w, -1.5)) *
                            std::sqrt(w));
}

}  // namespace heed
