// SVG charts: round ticks, log axes, every point and bar drawn with its tooltip, and text
// escaped.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "workbench/sweep_report/html.h"
#include "workbench/sweep_report/svg_chart.h"

namespace wb {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(SvgChart, NiceTicks) {
  EXPECT_THAT(sweep::nice_ticks(0, 10, 5, false), ElementsAre(0, 2, 4, 6, 8, 10));
  EXPECT_THAT(sweep::nice_ticks(512, 1536, 5, false), ElementsAre(750, 1000, 1250, 1500));
  EXPECT_THAT(sweep::nice_ticks(2, 16, 5, true), ElementsAre(2, 5, 10));
  EXPECT_EQ(sweep::tick_label(1536), "1,536");
  EXPECT_EQ(sweep::tick_label(2.5e6), "2.5M");
  EXPECT_EQ(sweep::tick_label(0.25), "0.25");
}

TEST(SvgChart, XYChartDrawsEveryPointWithItsTooltip) {
  sweep::XYChart chart;
  chart.title = "latency <vs> DSPs";
  chart.x = {"DSPs", false};
  chart.y = {"ms", false};
  chart.series.push_back({"all", {{1, 2, "a&b"}, {2, 1, "c"}, {3, 3, "d"}}, "#123456"});
  sweep::ChartSeries frontier{"frontier", {{2, 1, "c"}, {1, 2, "a&b"}}, "#654321"};
  frontier.step = true;
  frontier.annotate = true;
  chart.series.push_back(frontier);
  const std::string svg = sweep::xy_chart_svg(chart);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(count(svg, "<circle cx"), 5u + 2u);  // five markers, two legend dots
  EXPECT_THAT(svg, HasSubstr("<title>a&amp;b</title>"));
  EXPECT_THAT(svg, HasSubstr("latency &lt;vs&gt; DSPs"));
  EXPECT_THAT(svg, HasSubstr("<path d=\"M"));  // the staircase
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  // No points: a frame and a note, not a broken document.
  EXPECT_THAT(sweep::xy_chart_svg({}), HasSubstr("no finished points"));
}

TEST(SvgChart, BarChartStackedAndLog) {
  sweep::BarChart chart;
  chart.title = "layers";
  chart.value_label = "cycles";
  chart.categories = {"conv1", "conv2"};
  chart.segments = {{"busy", "#111"}, {"stalled", "#222"}};
  chart.values = {{10, 5}, {0, 20}};
  const std::string svg = sweep::bar_chart_svg(chart);
  EXPECT_EQ(count(svg, "<title>"), 3u);  // zero-length bars are not drawn
  EXPECT_THAT(svg, HasSubstr("<title>conv1: stalled: 5</title>"));
  chart.stacked = false;
  chart.log = true;
  chart.values = {{0.5, 5000}, {3, 200}};
  EXPECT_THAT(sweep::bar_chart_svg(chart), HasSubstr("cycles (log)"));
}

TEST(Html, EscapesAndEncodes) {
  EXPECT_EQ(sweep::escape_html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  EXPECT_EQ(sweep::base64("Man"), "TWFu");
  EXPECT_EQ(sweep::base64("Ma"), "TWE=");
  EXPECT_EQ(sweep::svg_data_uri("<svg/>"), "data:image/svg+xml;base64,PHN2Zy8+");
}

}  // namespace
}  // namespace wb
