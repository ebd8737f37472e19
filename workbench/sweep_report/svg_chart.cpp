#include "workbench/sweep_report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "workbench/sweep_report/html.h"

namespace wb::sweep {

namespace {

constexpr int kMarginLeft = 78, kMarginRight = 24, kMarginTop = 42, kMarginBottom = 58;
constexpr const char* kFont = "font-family=\"DejaVu Sans, Arial, sans-serif\"";

struct Scale {
  double lo = 0, hi = 1;
  double from = 0, to = 1;  // pixels
  bool log = false;
  double operator()(double v) const {
    const double a = log ? std::log10(lo) : lo;
    const double b = log ? std::log10(hi) : hi;
    const double t = ((log ? std::log10(v) : v) - a) / (b - a);
    return from + t * (to - from);
  }
};

// The data range of an axis, widened so a single value or a flat series still has extent.
std::pair<double, double> extent(std::vector<double> values, bool log, bool integers) {
  if (values.empty()) return {log ? 1.0 : 0.0, log ? 10.0 : 1.0};
  const auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  double lo = *min_it, hi = *max_it;
  if (integers && !log) return {lo - 0.5, hi + 0.5};
  if (lo == hi) {
    if (log) {
      lo /= 2;
      hi *= 2;
    } else {
      const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
      lo -= pad;
      hi += pad;
    }
  }
  return {lo, hi};
}

std::string text(double x, double y, const std::string& content, const std::string& attributes) {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" {} {}>{}</text>\n", x, y, kFont, attributes, escape_html(content));
}

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

}  // namespace

const char* palette(std::size_t i) {
  static const char* colors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                 "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return colors[i % (sizeof(colors) / sizeof(colors[0]))];
}

std::vector<double> nice_ticks(double lo, double hi, int count, bool log) {
  std::vector<double> ticks;
  if (!(hi > lo)) return {lo};
  if (log) {
    const int first = static_cast<int>(std::floor(std::log10(lo)));
    const int last = static_cast<int>(std::ceil(std::log10(hi)));
    const bool sparse = last - first > 4;
    for (int e = first; e <= last; ++e) {
      for (const double m : sparse ? std::vector<double>{1} : std::vector<double>{1, 2, 5}) {
        const double v = m * std::pow(10.0, e);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
      }
    }
    if (ticks.size() < 2) ticks = {lo, hi};
    return ticks;
  }
  const double raw = (hi - lo) / std::max(count, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

std::string tick_label(double value) {
  const double a = std::abs(value);
  if (a >= 1e9) return fmt::format("{:g}G", value / 1e9);
  if (a >= 1e6) return fmt::format("{:g}M", value / 1e6);
  if (a >= 1e4) return fmt::format("{:g}k", value / 1e3);
  if (a >= 1000 && value == std::floor(value)) {
    const auto v = static_cast<long long>(value);
    return fmt::format("{},{:03}", v / 1000, std::abs(v % 1000));
  }
  return fmt::format("{:.4g}", value);
}

std::string xy_chart_svg(const XYChart& chart) {
  std::vector<double> xs, ys;
  for (const ChartSeries& s : chart.series) {
    for (const ChartPoint& p : s.points) {
      if (usable(p.x, chart.x.log) && usable(p.y, chart.y.log)) {
        xs.push_back(p.x);
        ys.push_back(p.y);
      }
    }
  }
  const auto [x_lo, x_hi] = extent(xs, chart.x.log, chart.x.integers);
  const auto [y_lo, y_hi] = extent(ys, chart.y.log, chart.y.integers);
  // Linear axes start at the first round tick at or below the data, so no point sits on
  // the frame; an axis of counts has whole ticks only.
  const auto ticks_of = [](double lo, double hi, const ChartAxis& axis) {
    std::vector<double> ticks = nice_ticks(lo, hi, 6, axis.log);
    if (!axis.integers || axis.log) return ticks;
    std::erase_if(ticks, [](double t) { return t != std::floor(t); });
    if (ticks.empty()) ticks.push_back(std::round((lo + hi) / 2));
    return ticks;
  };
  const std::vector<double> x_ticks = ticks_of(x_lo, x_hi, chart.x);
  const std::vector<double> y_ticks = ticks_of(y_lo, y_hi, chart.y);
  Scale sx{std::min(x_lo, x_ticks.front()), std::max(x_hi, x_ticks.back()), double(kMarginLeft),
           double(chart.width - kMarginRight), chart.x.log};
  Scale sy{std::min(y_lo, y_ticks.front()), std::max(y_hi, y_ticks.back()), double(chart.height - kMarginBottom),
           double(kMarginTop), chart.y.log};
  // A margin of 4% inside the frame on each side.
  const auto widen = [](Scale& s) {
    if (s.log) {
      s.lo /= 1.08;
      s.hi *= 1.08;
    } else {
      const double pad = (s.hi - s.lo) * 0.04;
      s.lo -= pad;
      s.hi += pad;
    }
  };
  widen(sx);
  widen(sy);

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
      chart.width, chart.height);
  svg += text(chart.width / 2.0, 24, chart.title, "font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\"");
  const double left = kMarginLeft, right = chart.width - kMarginRight, top = kMarginTop,
               bottom = chart.height - kMarginBottom;
  for (const double t : x_ticks) {
    if (!usable(t, chart.x.log)) continue;
    const double x = sx(t);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e4e4e4\"/>\n", x, top,
                       bottom);
    svg += text(x, bottom + 18, tick_label(t), "font-size=\"11\" text-anchor=\"middle\" fill=\"#444\"");
  }
  for (const double t : y_ticks) {
    if (!usable(t, chart.y.log)) continue;
    const double y = sy(t);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#e4e4e4\"/>\n", left, y,
                       right);
    svg += text(left - 8, y + 4, tick_label(t), "font-size=\"11\" text-anchor=\"end\" fill=\"#444\"");
  }
  svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#888\"/>\n",
                     left, top, right - left, bottom - top);
  svg += text((left + right) / 2, chart.height - 14, chart.x.label + (chart.x.log ? " (log)" : ""),
              "font-size=\"13\" text-anchor=\"middle\"");
  svg += fmt::format("<g transform=\"translate(18,{:.1f}) rotate(-90)\">", (top + bottom) / 2) +
         text(0, 0, chart.y.label + (chart.y.log ? " (log)" : ""), "font-size=\"13\" text-anchor=\"middle\"") + "</g>\n";
  if (xs.empty()) {
    svg += text((left + right) / 2, (top + bottom) / 2, "no finished points to plot",
                "font-size=\"13\" text-anchor=\"middle\" fill=\"#888\"");
  }

  for (const ChartSeries& s : chart.series) {
    std::vector<ChartPoint> points;
    for (const ChartPoint& p : s.points) {
      if (usable(p.x, chart.x.log) && usable(p.y, chart.y.log)) points.push_back(p);
    }
    if (s.step) std::sort(points.begin(), points.end(), [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
    if ((s.line || s.step) && points.size() > 1) {
      std::string path = fmt::format("M{:.1f},{:.1f}", sx(points[0].x), sy(points[0].y));
      for (std::size_t i = 1; i < points.size(); ++i) {
        if (s.step) path += fmt::format(" H{:.1f}", sx(points[i].x));
        path += fmt::format(" {}{:.1f},{:.1f}", s.step ? "L" : "L", sx(points[i].x), sy(points[i].y));
      }
      svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", path, s.color);
    }
    if (s.markers) {
      for (const ChartPoint& p : points) {
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\" fill=\"{}\" fill-opacity=\"0.85\" "
                           "stroke=\"#ffffff\"><title>{}</title></circle>\n",
                           sx(p.x), sy(p.y), s.marker_radius, s.color, escape_html(p.label));
      }
    }
    if (s.annotate) {
      for (const ChartPoint& p : points) {
        const bool near_right = sx(p.x) > right - 160;
        svg += text(sx(p.x) + (near_right ? -8 : 8), sy(p.y) - 8, p.label,
                    fmt::format("font-size=\"10\" fill=\"{}\" text-anchor=\"{}\"", s.color, near_right ? "end" : "start"));
      }
    }
  }
  // Legend, top right inside the frame.
  double legend_y = top + 16;
  for (const ChartSeries& s : chart.series) {
    if (s.name.empty()) continue;
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"/>\n", right - 180, legend_y - 4, s.color);
    svg += text(right - 170, legend_y, s.name, "font-size=\"11\"");
    legend_y += 16;
  }
  svg += "</svg>\n";
  return svg;
}

std::string bar_chart_svg(const BarChart& chart) {
  constexpr double kRow = 16, kLabelWidth = 300, kTop = 48, kBottom = 46;
  const std::size_t rows = chart.categories.size();
  const std::size_t segments = chart.segments.size();
  const double row_height = chart.stacked ? kRow : std::max(kRow, 7.0 * static_cast<double>(segments) + 4);
  const int height = static_cast<int>(kTop + kBottom + row_height * static_cast<double>(std::max<std::size_t>(rows, 1)));
  double max_value = 0;
  for (const auto& row : chart.values) {
    double total = 0;
    for (const double v : row) {
      if (!std::isfinite(v) || v < 0) continue;
      total = chart.stacked ? total + v : std::max(total, v);
    }
    max_value = std::max(max_value, total);
  }
  if (max_value <= 0) max_value = 1;
  const bool log = chart.log && !chart.stacked;
  double min_positive = max_value;
  for (const auto& row : chart.values) {
    for (const double v : row) {
      if (std::isfinite(v) && v > 0) min_positive = std::min(min_positive, v);
    }
  }
  // A log axis starts at the power of ten below the smallest bar.
  const double axis_min = log ? std::pow(10.0, std::floor(std::log10(min_positive))) : 0.0;
  const std::vector<double> ticks = nice_ticks(axis_min, log ? std::max(max_value, axis_min * 10) : max_value, 6, log);
  const double axis_max = std::max(max_value, ticks.back());
  const double left = kLabelWidth, right = chart.width - 30.0;
  const auto sx = [&](double v) {
    if (!log) return left + v / axis_max * (right - left);
    const double t = (std::log10(std::max(v, axis_min)) - std::log10(axis_min)) /
                     (std::log10(axis_max) - std::log10(axis_min));
    return left + t * (right - left);
  };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
      chart.width, height);
  svg += text(chart.width / 2.0, 22, chart.title, "font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\"");
  const double bottom = height - kBottom;
  for (const double t : ticks) {
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e4e4e4\"/>\n", sx(t),
                       kTop - 4, bottom);
    svg += text(sx(t), bottom + 16, tick_label(t), "font-size=\"11\" text-anchor=\"middle\" fill=\"#444\"");
  }
  svg += text((left + right) / 2, height - 10, chart.value_label + (log ? " (log)" : ""),
              "font-size=\"13\" text-anchor=\"middle\"");
  for (std::size_t r = 0; r < rows; ++r) {
    const double y = kTop + row_height * static_cast<double>(r);
    std::string name = chart.categories[r];
    if (name.size() > 46) name = "\u2026" + name.substr(name.size() - 45);
    svg += text(left - 6, y + row_height / 2 + 4, name, "font-size=\"10.5\" text-anchor=\"end\"");
    double offset = 0;
    for (std::size_t s = 0; s < segments && r < chart.values.size() && s < chart.values[r].size(); ++s) {
      const double v = chart.values[r][s];
      if (!std::isfinite(v) || v <= 0) continue;
      const double bar_y = chart.stacked ? y + 2 : y + 2 + 7.0 * static_cast<double>(s);
      const double bar_h = chart.stacked ? row_height - 4 : 6;
      svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{}: {}: "
                         "{}</title></rect>\n",
                         sx(log ? axis_min : offset), bar_y, std::max(0.5, sx(offset + v) - sx(log ? axis_min : offset)),
                         bar_h, chart.segments[s].color,
                         escape_html(chart.categories[r]), escape_html(chart.segments[s].name), tick_label(v));
      if (chart.stacked) offset += v;
    }
  }
  double legend_x = left;
  for (const BarSegment& s : chart.segments) {
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"30\" width=\"10\" height=\"10\" fill=\"{}\"/>\n", legend_x, s.color);
    svg += text(legend_x + 14, 39, s.name, "font-size=\"11\"");
    legend_x += 24 + 7.0 * static_cast<double>(s.name.size());
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace wb::sweep
