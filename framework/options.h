// Options handed to a component created by name (an attention variant, a task, ...):
// string values as YAML gives them, read through typed getters. Every key a component reads is
// remembered, so a key nobody read is reported as unknown, with the keys that exist.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace heed {

class Options {
 public:
  Options() = default;
  Options(std::initializer_list<std::pair<const std::string, std::string>> values)
      : values_(values) {}
  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  bool has(const std::string& key) const { return values_.count(key) > 0; }

  // Each getter records `key` as known and throws heed::Error naming `owner`, the key and the
  // value when the value does not parse or lies outside [min, max].
  int64_t get_int(const std::string& key, int64_t fallback, int64_t min = INT64_MIN,
                  int64_t max = INT64_MAX) const;
  double get_float(const std::string& key, double fallback, double min = -1e300,
                   double max = 1e300) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& allowed = {}) const;

  // Throws when a key was given that no getter asked for, listing the known keys.
  void check_all_used() const;
  void set_owner(std::string owner) { owner_ = std::move(owner); }
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  const std::string* find(const std::string& key) const;
  std::map<std::string, std::string> values_;
  mutable std::set<std::string> known_;
  std::string owner_ = "options";
};

}  // namespace heed
