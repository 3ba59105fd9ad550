// Things registered by name from static initializers (attention variants, tasks, model types):
// one table per kind, built before main() runs, read-only afterwards. `kind` names the kind in
// errors ("attention variant", "task", "model type").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/tensor.h"
#include "framework/text.h"

namespace heed {

template <class Entry>
class Registry {
 public:
  // The one table of this kind. A function-local static: static initializers in other files
  // may register before this file's own statics are constructed.
  static std::map<std::string, Entry>& table() {
    static std::map<std::string, Entry> t;
    return t;
  }
  static bool add(const std::string& kind, const std::string& name, Entry entry) {
    if (!table().emplace(name, std::move(entry)).second)
      throw Error(kind + " '" + name + "' registered twice");
    return true;
  }
  // The entry `name`, or nullptr.
  static const Entry* find(const std::string& name) {
    auto it = table().find(name);
    return it == table().end() ? nullptr : &it->second;
  }
  static std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& [name, entry] : table()) out.push_back(name);
    return out;
  }
  // Every entry, sorted by name.
  static std::vector<const Entry*> all() {
    std::vector<const Entry*> out;
    for (const auto& [name, entry] : table()) out.push_back(&entry);
    return out;
  }
};

}  // namespace heed
