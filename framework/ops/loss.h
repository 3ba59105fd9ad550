// Cross-entropy with a fused softmax backward.
#pragma once

#include "framework/tensor.h"

namespace heed {

struct CrossEntropyOptions {
  int64_t ignore_index = -100;   // targets equal to this contribute nothing
  float label_smoothing = 0.0f;  // as torch: (1−ε)·one_hot + ε/V
};

// logits: (..., V) float32, targets: (...) int32/int64 class ids. Returns the mean loss over
// targets that are not ignore_index (0 when every target is ignored, with zero gradient).
// A target outside [0, V) other than ignore_index is an error naming it.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets,
                     const CrossEntropyOptions& opts = {});

}  // namespace heed
