#include "train/experiment/run_names.h"

#include <cctype>
#include <cstdlib>
#include <set>

namespace heed {
namespace {

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// Letters, digits and "._+" kept; any run of other characters becomes one '_'; none at the ends.
std::string safe(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                      c == '+' || (c == '-' && !out.empty() && out.back() != '_');
    if (keep)
      out += c;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && (out.back() == '_' || out.back() == '.')) out.pop_back();
  while (!out.empty() && (out.front() == '.' || out.front() == '-')) out.erase(0, 1);
  return out.empty() ? "_" : out;
}

std::string last_part(const std::string& key) {
  const std::size_t dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::string join_cell(const std::vector<std::string>& keys, const std::vector<std::string>& values,
                      bool whole_keys) {
  std::string name;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!name.empty()) name += '-';
    name += whole_keys ? safe(keys[i] + "=" + values[i]) : cell_part(keys[i], values[i]);
  }
  return name;
}

bool distinct(const std::vector<std::string>& names) {
  return std::set<std::string>(names.begin(), names.end()).size() == names.size();
}

}  // namespace

std::string cell_part(const std::string& key, const std::string& value) {
  return safe(is_number(value) ? last_part(key) + value : value);
}

std::vector<std::string> cell_names(const std::vector<std::string>& keys,
                                    const std::vector<std::vector<std::string>>& cells) {
  for (bool whole_keys : {false, true}) {
    std::vector<std::string> names;
    for (const auto& cell : cells) names.push_back(join_cell(keys, cell, whole_keys));
    if (distinct(names)) return names;
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < cells.size(); ++i)
    names.push_back(std::string("c")
                        .append(std::to_string(i + 1))
                        .append("-")
                        .append(join_cell(keys, cells[i], false)));
  return names;
}

}  // namespace heed
