#include "train/report/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "train/report/font.h"

namespace heed {
namespace {

// A 1-2-5 step giving about `target` intervals over `span` (Heckbert's "nice numbers").
double nice_step(double span, int target) {
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

// Rounds [lo, hi] out to multiples of a nice step; a degenerate range gets some width.
void nice_range(double& lo, double& hi, double& step, int target) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  step = nice_step(hi - lo, target);
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
}

std::string tick_label(double v, double step) {
  if (std::abs(v) < step * 1e-6) v = 0;  // no "-0" or "1e-17"
  const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 6);
  char buf[32];
  if (std::abs(v) >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3g", v);
  else
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

constexpr int kLegendRowHeight = 14;

// Where each legend entry's swatch starts: rows right-aligned above the plot area, filled in the
// series' order, a new row when the next entry would not fit between `left` and `right` (the
// first row also clear of the title).
struct LegendEntry {
  int x = 0, row = 0;
};

std::vector<LegendEntry> legend_layout(const ChartSpec& spec, int left, int right) {
  std::vector<LegendEntry> out;
  std::vector<int> widths;
  for (const Series& s : spec.series) widths.push_back(text_width(s.name) + 28);
  std::size_t i = 0;
  for (int row = 0; i < widths.size(); ++row) {
    const int room = right - left - (row == 0 ? text_width(spec.title, 2) + 16 : 0);
    const std::size_t first = i;
    int width = widths[i++];  // at least one entry per row, however long its name
    while (i < widths.size() && width + widths[i] <= room) width += widths[i++];
    int x = right - width;
    for (std::size_t j = first; j < i; x += widths[j++]) out.push_back({x, row});
  }
  return out;
}

int legend_rows(const std::vector<LegendEntry>& legend) {
  return legend.empty() ? 1 : legend.back().row + 1;
}

// A vertical bar from lo to hi with short caps, at each point that has both.
void draw_whiskers(Image& img, const ChartFrame& f, const Series& s) {
  const double ylo = std::min(f.y0, f.y1), yhi = std::max(f.y0, f.y1);
  for (std::size_t i = 0; i < s.x.size() && i < s.lo.size() && i < s.hi.size(); ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.lo[i]) || !std::isfinite(s.hi[i])) continue;
    const double x = f.px(s.x[i]);
    const double a = f.py(std::clamp(s.lo[i], ylo, yhi)), b = f.py(std::clamp(s.hi[i], ylo, yhi));
    img.line(x, a, x, b, s.color, 1);
    img.line(x - 4, a, x + 4, a, s.color, 1);
    img.line(x - 4, b, x + 4, b, s.color, 1);
  }
}

}  // namespace

Rgb series_color(std::size_t i) {
  static constexpr Rgb kColors[] = {{0, 114, 178},   {230, 159, 0},  {0, 158, 115},  {213, 94, 0},
                                    {204, 121, 167}, {86, 180, 233}, {240, 228, 66}, {0, 0, 0}};
  return kColors[i % (sizeof kColors / sizeof kColors[0])];
}

ChartFrame chart_frame(const ChartSpec& spec) {
  ChartFrame f;
  f.left = 72;
  f.right = spec.width - 24;
  // Title and legend above: one legend row fits in 48 pixels, each further row takes more.
  f.top = 48 + kLegendRowHeight * (legend_rows(legend_layout(spec, f.left, f.right)) - 1);
  f.bottom = spec.height - 48;
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (const Series& s : spec.series)
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xlo = std::min(xlo, s.x[i]);
      xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i]);
      yhi = std::max(yhi, s.y[i]);
      if (i < s.lo.size() && std::isfinite(s.lo[i])) ylo = std::min(ylo, s.lo[i]);
      if (i < s.hi.size() && std::isfinite(s.hi[i])) yhi = std::max(yhi, s.hi[i]);
    }
  if (!std::isfinite(xlo)) xlo = 0, xhi = 1, ylo = 0, yhi = 1;  // no data: empty axes
  if (spec.y_min) ylo = *spec.y_min;
  if (spec.y_max) yhi = *spec.y_max;
  f.x0 = xlo;
  f.x1 = xhi;
  f.y0 = ylo;
  f.y1 = yhi;
  nice_range(f.x0, f.x1, f.x_step, 8);
  if (spec.integer_x && f.x_step < 1) {
    f.x_step = 1;
    f.x0 = std::floor(f.x0);
    f.x1 = std::ceil(f.x1);
  }
  if (spec.y_min && spec.y_max && yhi > ylo)
    f.y_step = nice_step(yhi - ylo, 5);  // keep the fixed range exactly
  else
    nice_range(f.y0, f.y1, f.y_step, 5);
  return f;
}

Image draw_chart(const ChartSpec& spec) {
  Image img(spec.width, spec.height, kChartBackground);
  const ChartFrame f = chart_frame(spec);

  // Grid and tick labels first, so the curves draw over them.
  // Ticks by index, not by accumulating the step, which drifts and can drop the last one.
  for (int i = 0; f.y0 + i * f.y_step <= f.y1 + f.y_step * 1e-6; ++i) {
    const double y = f.y0 + i * f.y_step;
    const int py = static_cast<int>(std::lround(f.py(y)));
    img.fill_rect(f.left, py, f.right + 1, py + 1, kChartGrid);
    const std::string label = tick_label(y, f.y_step);
    draw_text(img, f.left - 6 - text_width(label), py - 3, label, kChartInk);
  }
  for (int i = 0; f.x0 + i * f.x_step <= f.x1 + f.x_step * 1e-6; ++i) {
    const double x = f.x0 + i * f.x_step;
    const int px = static_cast<int>(std::lround(f.px(x)));
    img.fill_rect(px, f.top, px + 1, f.bottom + 1, kChartGrid);
    img.fill_rect(px, f.bottom, px + 1, f.bottom + 5, kChartInk);
    const std::string label = tick_label(x, f.x_step);
    draw_text(img, px - text_width(label) / 2, f.bottom + 8, label, kChartInk);
  }
  // Axes.
  img.fill_rect(f.left, f.top, f.left + 1, f.bottom + 1, kChartInk);
  img.fill_rect(f.left, f.bottom, f.right + 1, f.bottom + 1, kChartInk);

  draw_text(img, f.left, 10, spec.title, kChartInk, 2);
  draw_text(img, (f.left + f.right - text_width(spec.x_label)) / 2, spec.height - 20, spec.x_label,
            kChartInk);
  draw_text_up(img, 10, (f.top + f.bottom - text_width(spec.y_label)) / 2, spec.y_label, kChartInk);

  // Legend, right-aligned above the plot area so it never hides a curve.
  const std::vector<LegendEntry> legend = legend_layout(spec, f.left, f.right);
  for (std::size_t i = 0; i < legend.size(); ++i) {
    const int lx = legend[i].x, ly = 31 + kLegendRowHeight * legend[i].row;
    img.fill_rect(lx, ly + 3, lx + 16, ly + 6, spec.series[i].color);
    draw_text(img, lx + 20, ly, spec.series[i].name, kChartInk);
  }

  // Curves. A data-derived range holds every point; a fixed one clamps outliers to its edge.
  for (const Series& s : spec.series) {
    draw_whiskers(img, f, s);
    auto clamp_y = [&](double y) {
      return std::clamp(y, std::min(f.y0, f.y1), std::max(f.y0, f.y1));
    };
    bool have_prev = false;
    double prev_x = 0, prev_y = 0;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        have_prev = false;  // a gap, not a line through it
        continue;
      }
      const double x = f.px(s.x[i]), y = f.py(clamp_y(s.y[i]));
      if (have_prev)
        img.line(prev_x, prev_y, x, y, s.color, kSeriesThickness);
      else
        img.line(x, y, x, y, s.color, kSeriesThickness);
      if (s.markers) img.line(x, y, x, y, s.color, kSeriesThickness + 3);
      prev_x = x;
      prev_y = y;
      have_prev = true;
    }
  }
  return img;
}

}  // namespace heed
