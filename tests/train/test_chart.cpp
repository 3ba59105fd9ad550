// The chart's whiskers, its legend in rows, and its palette, decoded back and checked by pixel.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/test_util.h"
#include "tests/train/png_test_util.h"
#include "train/report/chart.h"

namespace heed {
namespace {

constexpr Rgb kRed{220, 30, 30};

class ChartTest : public testing::TempDirTest {
 protected:
  testing::Decoded drawn(const ChartSpec& spec) {
    write_png((dir_ / "c.png").string(), draw_chart(spec));
    return testing::decode(dir_ / "c.png");
  }
};

TEST_F(ChartTest, WhiskersSpanTheirRangeAndWidenTheAxis) {
  ChartSpec spec;
  spec.series.push_back({"acc", kRed, {10, 20}, {0.5, 0.5}, true, {0.2, 0.5}, {0.9, 0.5}});
  const ChartFrame f = chart_frame(spec);
  EXPECT_LE(f.y0, 0.2) << "the axis holds the whiskers, not only the means";
  EXPECT_GE(f.y1, 0.9);
  const testing::Decoded img = drawn(spec);
  const int x = static_cast<int>(std::lround(f.px(10)));
  // Along the bar at x = 10, from 0.2 to 0.9: the series' color; beyond its ends: not.
  for (double y : {0.25, 0.4, 0.6, 0.85})
    EXPECT_EQ(img.at(x, static_cast<int>(std::lround(f.py(y)))), kRed) << y;
  EXPECT_NE(img.at(x, static_cast<int>(std::lround(f.py(0.9))) - 4), kRed);
  EXPECT_NE(img.at(x, static_cast<int>(std::lround(f.py(0.2))) + 4), kRed);
  // Caps: 4 pixels either side at both ends.
  EXPECT_EQ(img.at(x + 4, static_cast<int>(std::lround(f.py(0.9)))), kRed);
  EXPECT_EQ(img.at(x - 4, static_cast<int>(std::lround(f.py(0.2)))), kRed);
}

TEST_F(ChartTest, WithoutWhiskersAPointIsOnlyItsMarker) {
  ChartSpec spec;
  spec.y_min = 0;
  spec.y_max = 1;
  spec.series.push_back({"acc", kRed, {10, 20}, {0.5, 0.5}, true});
  const ChartFrame f = chart_frame(spec);
  const testing::Decoded img = drawn(spec);
  const int x = static_cast<int>(std::lround(f.px(10)));
  EXPECT_EQ(img.at(x, static_cast<int>(std::lround(f.py(0.5)))), kRed);
  EXPECT_NE(img.at(x, static_cast<int>(std::lround(f.py(0.7)))), kRed);
}

TEST_F(ChartTest, LongLegendWrapsIntoRowsAboveThePlot) {
  ChartSpec spec;
  spec.title = "accuracy";
  spec.series.push_back({"one", kRed, {0, 1}, {0, 1}});
  const int one_row_top = chart_frame(spec).top;
  for (int i = 0; i < 12; ++i)
    spec.series.push_back(
        {"a long series name " + std::to_string(i), series_color(i), {0, 1}, {0, 1}});
  const ChartFrame f = chart_frame(spec);
  EXPECT_GT(f.top, one_row_top + 14) << "more than two rows of legend";
  const testing::Decoded img = drawn(spec);
  // Every entry's swatch is inside the image, above the plot: its color appears there.
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    bool found = false;
    for (int y = 0; y < f.top && !found; ++y)
      for (int x = 0; x < img.width && !found; ++x) found = img.at(x, y) == spec.series[i].color;
    EXPECT_TRUE(found) << spec.series[i].name;
  }
}

TEST(ChartFrame, IntegerXHasNoTicksBetweenIntegers) {
  ChartSpec spec;
  spec.series.push_back({"acc", kRed, {6, 8, 10}, {0, 0.5, 1}});
  EXPECT_LT(chart_frame(spec).x_step, 1) << "without integer_x, half steps";
  spec.integer_x = true;
  const ChartFrame f = chart_frame(spec);
  EXPECT_EQ(f.x_step, 1);
  EXPECT_LE(f.x0, 6);
  EXPECT_GE(f.x1, 10);
  EXPECT_EQ(f.x0, std::floor(f.x0));
}

TEST(ChartPalette, EightDistinctColorsThenTheyRepeat) {
  for (std::size_t i = 0; i < 8; ++i)
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(series_color(i), series_color(j)) << i << j;
  EXPECT_EQ(series_color(8), series_color(0));
}

}  // namespace
}  // namespace heed
