// Named tensors in a fixed order: a module's parameters, an optimizer's state, a checkpoint's
// contents. A vector, not a map, because the order is part of the contract (it fixes the order
// of updates and of the entries in saved files).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace heed {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

}  // namespace heed
