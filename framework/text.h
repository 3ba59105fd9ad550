// Small string helpers for error messages: lists of names and "did you mean" suggestions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace heed {

// "a, b, c" (or with another separator).
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");
// "a:b::c" split at ':' -> {"a", "b", "", "c"}; "" -> {""}.
std::vector<std::string> split(const std::string& text, char separator);
// Levenshtein distance: insertions, deletions and substitutions each cost 1.
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace heed
