// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_.
#pragma once

#include <string>
#include <vector>

#include "framework/named_tensors.h"
#include "framework/tensor.h"

namespace heed {

// total = ‖all gradients‖₂, as one vector (parameters without a gradient are skipped), summed
// in double in parameter order, so the result does not depend on threads. When
// scale = max_norm / (total + 1e-6) is below 1, every gradient is multiplied by it in place.
// Returns total, before clipping. Unlike PyTorch 1.13 (which would multiply the gradients by NaN
// or 0), a non-finite total leaves the gradients untouched; callers check the returned value.
// max_norm must be positive; infinity measures the norm without clipping.
float clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);
float clip_grad_norm_(const NamedTensors& params, double max_norm);

// The name of the first parameter (in `params`' order) whose gradient holds a NaN or an
// infinity, and "" when every gradient is finite: what a diverged step reports.
std::string first_nonfinite_grad(const NamedTensors& params);

}  // namespace heed
