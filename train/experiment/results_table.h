// results.md: an experiment's results per cell (variant x grid cell), mean ± standard deviation
// over its seeds (the sample standard deviation; none for one seed) of each metric column of
// results.csv, the best mean of each column in bold (the lowest for losses). With
// `select: {key: K, by: M}`, a second table keeps, for each variant and values of the other grid
// keys, the value of K whose mean M is best, and shows that cell's row.
#pragma once

#include <string>
#include <vector>

#include "train/experiment/results.h"

namespace heed {

std::string results_markdown(const ExperimentPlan& plan, const std::vector<RunResult>& results);

}  // namespace heed
