#pragma once
// Charts drawn as SVG text, for the sweep report (no plotting library, no network: the page
// embeds them). Two kinds: an x-y chart (scatter, lines, staircase frontiers, linear or log
// axes with round ticks) and a horizontal bar chart (stacked or grouped segments per
// category). Every mark has a <title>, so hovering a point or bar shows what it is.

#include <string>
#include <vector>

namespace wb::sweep {

struct ChartPoint {
  double x = 0, y = 0;
  std::string label;  // tooltip, and the annotation when the series annotates
};

struct ChartSeries {
  std::string name;  // legend entry ("" : none)
  std::vector<ChartPoint> points;
  std::string color = "#4e79a7";
  bool line = false;      // connect the points in order
  bool step = false;      // as a staircase (a Pareto frontier), points sorted by x
  bool markers = true;
  double marker_radius = 4;
  bool annotate = false;  // write each point's label beside it
};

struct ChartAxis {
  std::string label;
  bool log = false;       // logarithmic (all values > 0)
  bool integers = false;  // counts (commit numbers): ticks at whole numbers, a lone value half a unit each side
};

struct XYChart {
  std::string title;
  ChartAxis x, y;
  std::vector<ChartSeries> series;
  int width = 760, height = 440;
};

// UserError-free: an empty chart (no finite points) draws its frame and a note.
std::string xy_chart_svg(const XYChart& chart);

struct BarSegment {
  std::string name;
  std::string color;
};

struct BarChart {
  std::string title, value_label;
  std::vector<std::string> categories;      // one row per category, top to bottom
  std::vector<BarSegment> segments;         // stacked or side by side within a row
  std::vector<std::vector<double>> values;  // [category][segment], >= 0
  bool stacked = true;
  bool log = false;  // logarithmic value axis (side by side only): for values orders of magnitude apart
  int width = 900;   // the height follows from the rows
};

std::string bar_chart_svg(const BarChart& chart);

// The i-th colour of a qualitative palette (Tableau 10).
const char* palette(std::size_t i);

// Round tick values covering [lo, hi]: about `count` on a linear axis, powers of ten times
// 1, 2, 5 on a log axis.
std::vector<double> nice_ticks(double lo, double hi, int count, bool log);
// A tick label: "0.25", "1,536", "2.5M".
std::string tick_label(double value);

}  // namespace wb::sweep
