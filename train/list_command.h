// `heed list [KIND]`: every name a config can use, from the tables the config validation reads.
#pragma once

#include <string>
#include <vector>

namespace heed {

// The kinds `heed list` takes: tasks, attention, models, then one per config key that takes a
// name from a list (positions, poolings, compositions, encoders, optimizers, schedules, ...).
std::vector<std::string> list_kinds();
// Prints the names of `kind` with their descriptions; "" prints every kind. Returns 0.
int run_list(const std::string& kind);

}  // namespace heed
