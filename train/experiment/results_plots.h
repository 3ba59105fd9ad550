// An experiment's plots (DIR/plots/), PNGs drawn by the run report's chart code from the
// finished runs of each cell (variant x grid cell), one line per cell:
//
//   length.png       accuracy against evaluation length: at the run's task.max_len the
//                    validation set (lengths up to it), then each of task.eval_lengths; the
//                    mean over seeds with min-max whiskers. When the variants evaluate
//                    different lengths, one length-VARIANT.png per variant instead.
//   curves.png       the validation accuracy at each evaluation of the training
//                    (metrics.jsonl), the mean over seeds.
//
// The accuracy is exact-sequence accuracy, or a classifier's accuracy. The same results give
// byte-identical files; each is written atomically.
#pragma once

#include <string>
#include <vector>

#include "train/experiment/results.h"
#include "train/report/chart.h"

namespace heed {

struct ResultsPlot {
  std::string file;  // relative to DIR: plots/NAME.png
  ChartSpec spec;
};

// The plots, in the order above, as charts to draw.
std::vector<ResultsPlot> results_plots(const ExperimentPlan& plan,
                                       const std::vector<RunResult>& results);

// Draws and writes them; returns their paths relative to DIR.
std::vector<std::string> write_results_plots(const ExperimentPlan& plan,
                                             const std::vector<RunResult>& results);

}  // namespace heed
