// The names of an experiment's runs, which name their directories (DIR/runs/NAME): readable,
// filesystem-safe and distinct. A grid cell is named by its values, each a word as written
// ("mha") or, for a number, the last part of its key before it ("lr0.001"):
//
//   variant-cell-sSEED     e.g. small-mha-lr0.001-s2
//
// with the variant left out when the file has no variants and the cell when it has no grid.
#pragma once

#include <string>
#include <vector>

namespace heed {

// A grid value as part of a file name: `value` (YAML text) of config key `key`.
std::string cell_part(const std::string& key, const std::string& value);

// The names of the cells `cells` (each the values of the grid's `keys`, in order). Names that
// would coincide are told apart by the whole key before every value, then by the cell's number.
std::vector<std::string> cell_names(const std::vector<std::string>& keys,
                                    const std::vector<std::vector<std::string>>& cells);

}  // namespace heed
