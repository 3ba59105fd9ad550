// Line charts: axes with round-number ticks, a light grid, labels, a legend above the plot area
// (in as many rows as it needs), one polyline per series, optional whiskers (a spread such as
// min-max over seeds) at its points. Enough for loss and accuracy curves a person can read.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "train/report/image.h"

namespace heed {

struct Series {
  std::string name;
  Rgb color;
  std::vector<double> x, y;  // same length; non-finite points are skipped
  bool markers = false;      // a dot at each point (sparse series such as evaluations)
  // Optional whiskers: a vertical bar from lo[i] to hi[i] at x[i] (empty: none; non-finite: none
  // at that point).
  std::vector<double> lo = {}, hi = {};
};

struct ChartSpec {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::optional<double> y_min, y_max;  // fixed range (e.g. accuracy in [0, 1]); else from data
  bool integer_x = false;              // x is a count (steps, lengths): no ticks between integers
  int width = 720, height = 420;
};

// Where data lands: the plot rectangle [left, right] x [top, bottom] in pixels and the axis
// ranges it spans (rounded out to ticks). Exposed so tests can check pixels at data points.
struct ChartFrame {
  int left = 0, top = 0, right = 0, bottom = 0;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  double x_step = 1, y_step = 1;  // tick spacing
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (right - left); }
  double py(double y) const { return bottom - (y - y0) / (y1 - y0) * (bottom - top); }
};

ChartFrame chart_frame(const ChartSpec& spec);
Image draw_chart(const ChartSpec& spec);

inline constexpr Rgb kChartBackground{255, 255, 255};
inline constexpr Rgb kChartGrid{232, 232, 232};
inline constexpr Rgb kChartInk{40, 40, 40};
inline constexpr int kSeriesThickness = 2;

// The color of the i-th series: Okabe-Ito's, which a color-blind reader can tell apart, cycled.
Rgb series_color(std::size_t i);

}  // namespace heed
