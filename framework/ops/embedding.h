// Embedding lookup (torch.nn.functional.embedding).
#pragma once

#include "framework/tensor.h"

namespace heed {

// weight: (V, C), ids: int32/int64 of any shape -> (*ids.shape, C). An id outside [0, V) is
// an error naming it. Backward adds each row's gradient into weight's gradient in id order
// (a deterministic scatter-add).
Tensor embedding(const Tensor& weight, const Tensor& ids);

}  // namespace heed
