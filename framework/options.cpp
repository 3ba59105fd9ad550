#include "framework/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "framework/tensor.h"
#include "framework/text.h"

namespace heed {

const std::string* Options::find(const std::string& key) const {
  known_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

int64_t Options::get_int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const {
  const std::string* v = find(key);
  int64_t out = fallback;
  if (v) {
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || end != v->data() + v->size())
      throw Error(owner_ + ": option '" + key + "' must be an integer, got '" + *v + "'");
  }
  if (out < min || out > max)
    throw Error(owner_ + ": option '" + key + "' = " + std::to_string(out) + " is outside [" +
                std::to_string(min) + ", " + std::to_string(max) + "]");
  return out;
}

double Options::get_float(const std::string& key, double fallback, double min, double max) const {
  const std::string* v = find(key);
  double out = fallback;
  if (v) {
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || end != v->data() + v->size() || !std::isfinite(out))
      throw Error(owner_ + ": option '" + key + "' must be a number, got '" + *v + "'");
  }
  if (out < min || out > max)
    throw Error(owner_ + ": option '" + key + "' = " + std::to_string(out) + " is outside [" +
                std::to_string(min) + ", " + std::to_string(max) + "]");
  return out;
}

bool Options::get_bool(const std::string& key, bool fallback) const {
  const std::string* v = find(key);
  if (!v) return fallback;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  throw Error(owner_ + ": option '" + key + "' must be true or false, got '" + *v + "'");
}

std::string Options::get_string(const std::string& key, const std::string& fallback,
                                const std::vector<std::string>& allowed) const {
  const std::string* v = find(key);
  std::string out = v ? *v : fallback;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), out) == allowed.end()) {
    throw Error(owner_ + ": option '" + key + "' = '" + out + "' is not one of: " + join(allowed));
  }
  return out;
}

void Options::check_all_used() const {
  for (const auto& [key, value] : values_) {
    if (known_.count(key)) continue;
    std::string list = join(std::vector<std::string>(known_.begin(), known_.end()));
    throw Error(owner_ + ": unknown option '" + key +
                "' (known: " + (list.empty() ? "none" : list) + ")");
  }
}

}  // namespace heed
