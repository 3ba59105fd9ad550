// The model families a config's model.type names: the one table that the config validation and
// `heed list models` both read.
#pragma once

#include <string>
#include <vector>

namespace heed {

struct ModelTypeInfo {
  std::string name, description;
};

std::vector<ModelTypeInfo> model_type_list();
std::vector<std::string> model_type_names();

}  // namespace heed
