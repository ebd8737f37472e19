#include "workbench/sweep_report/sweep_report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <set>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/text.h"
#include "workbench/compare/compare_reports.h"
#include "workbench/sweep/expression.h"
#include "workbench/sweep/point_result.h"
#include "workbench/sweep/spec.h"
#include "workbench/sweep/sweep.h"
#include "workbench/sweep_report/html.h"
#include "workbench/sweep_report/pareto.h"
#include "workbench/sweep_report/svg_chart.h"
#include "workbench/version.h"

namespace wb::sweep {

namespace {


constexpr const char* kStyle = R"css(
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px 32px; color: #222; max-width: 1400px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin-top: 22px; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 12.5px; margin: 8px 0 16px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; cursor: pointer; user-select: none; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #eef7ee; } tr.failed td { background: #fbeeee; } tr.frontier td { background: #fff6e5; }
td.error { color: #a33; max-width: 700px; }
img.plot { max-width: 100%; border: 1px solid #eee; margin: 6px 0; display: block; }
pre { background: #f7f7f7; padding: 10px; font-size: 12px; overflow-x: auto; }
.note { color: #555; font-size: 13px; }
#plot-warning { display: none; background: #fde; border: 1px solid #c66; padding: 8px; }
)css";

// Marks the page with how many plots loaded (headless tests read it), warns when one did
// not, and sorts a table by a clicked header.
constexpr const char* kScript = R"js(
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-plots-loaded', loaded + '/' + images.length);
  if (loaded < images.length) {
    var w = document.getElementById('plot-warning');
    w.textContent = (images.length - loaded) + ' of ' + images.length + ' plots did not load.';
    w.style.display = 'block';
  }
});
document.addEventListener('click', function (e) {
  var th = e.target.closest('th'); if (!th) return;
  var table = th.closest('table'), body = table.tBodies[0]; if (!body) return;
  var col = Array.prototype.indexOf.call(th.parentNode.children, th);
  var asc = th.getAttribute('data-sort') !== 'asc';
  Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute('data-sort'); });
  th.setAttribute('data-sort', asc ? 'asc' : 'desc');
  var rows = Array.prototype.slice.call(body.rows);
  var key = function (r) { var t = (r.cells[col] || {}).textContent || ''; var n = parseFloat(t.replace(/,/g, ''));
                           return isNaN(n) ? t : n; };
  rows.sort(function (a, b) { var x = key(a), y = key(b);
    var c = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
    return asc ? c : -c; });
  rows.forEach(function (r) { body.appendChild(r); });
});
)js";

std::string params_text(const StoredPoint& p, const std::vector<std::string>& axes) {
  std::vector<std::string> parts;
  for (const std::string& axis : axes) {
    if (const auto it = p.params.find(axis); it != p.params.end()) parts.push_back(axis + "=" + it->get<std::string>());
  }
  return fmt::format("{}", fmt::join(parts, " "));
}

std::string point_name(const StoredPoint& p, const std::vector<std::string>& axes) {
  const std::string params = params_text(p, axes);
  return fmt::format("#{} {} on {}{}", p.position, p.model, p.config, params.empty() ? "" : " (" + params + ")");
}

std::string slug(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.substr(0, 60);
}

class Page {
 public:
  void add(const std::string& html) { body_ += html; }

  // Embeds a plot (and keeps it to write beside the page).
  void plot(const std::string& name, const std::string& svg, const std::string& alt) {
    std::string file = slug(name) + ".svg";
    for (int n = 2; used_.count(file) != 0; ++n) file = fmt::format("{}-{}.svg", slug(name), n);
    used_.insert(file);
    plots_.emplace_back(file, svg);
    body_ += fmt::format("<img class=\"plot\" alt=\"{}\" src=\"{}\">\n", escape_html(alt), svg_data_uri(svg));
  }

  ReportPage finish(const std::string& title) {
    ReportPage page;
    page.html = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{}</style>\n"
        "</head>\n<body>\n<div id=\"plot-warning\"></div>\n{}\n<script>{}</script>\n</body>\n</html>\n",
        escape_html(title), kStyle, body_, kScript);
    page.plots = std::move(plots_);
    return page;
  }

 private:
  std::string body_;
  std::vector<std::pair<std::string, std::string>> plots_;
  std::set<std::string> used_;
};

struct Table {
  std::vector<std::string> header;
  std::vector<bool> numeric;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row_classes;

  void row(std::vector<std::string> cells, std::string css = "") {
    rows.push_back(std::move(cells));
    row_classes.push_back(std::move(css));
  }

  std::string html() const {
    std::string out = "<table>\n<thead><tr>";
    for (const std::string& h : header) out += "<th>" + escape_html(h) + "</th>";
    out += "</tr></thead>\n<tbody>\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      out += row_classes[r].empty() ? "<tr>" : "<tr class=\"" + row_classes[r] + "\">";
      for (std::size_t c = 0; c < rows[r].size(); ++c) {
        const bool num = c < numeric.size() && numeric[c];
        out += (num ? "<td class=\"num\">" : "<td>") + escape_html(rows[r][c]) + "</td>";
      }
      out += "</tr>\n";
    }
    return out + "</tbody></table>\n";
  }
};

// ---- sections ----------------------------------------------------------------------------

void points_section(Page& page, const std::vector<StoredPoint>& points, const std::vector<std::string>& axes) {
  page.add("<h2>Design points</h2>\n<p class=\"note\">Every point of the sweep; the fastest of each model is "
           "highlighted. Click a header to sort.</p>\n");
  std::map<std::string, std::string> fastest;  // model -> key
  for (const StoredPoint& p : points) {
    if (p.status != "done") continue;
    const auto it = fastest.find(p.model);
    if (it == fastest.end()) {
      fastest[p.model] = p.key;
      continue;
    }
    const auto best = std::find_if(points.begin(), points.end(), [&](const StoredPoint& q) { return q.key == it->second; });
    if (p.latency_ms < best->latency_ms) it->second = p.key;
  }
  // The predictor's cycles beside the simulated ones, when a point's target has a predictor.
  const bool with_predictions =
      std::any_of(points.begin(), points.end(), [](const StoredPoint& p) { return p.predicted_cycles.has_value(); });
  Table t;
  t.header = {"#", "model", "config"};
  t.header.insert(t.header.end(), axes.begin(), axes.end());
  t.header.emplace_back("status");
  t.header.emplace_back("cycles");
  if (with_predictions) {
    t.header.emplace_back("predicted cycles");
    t.header.emplace_back("error %");
  }
  for (const char* h : {"latency ms", "MAC/cycle", "util %", "DDR/L3 bytes", "energy uJ", "verdict", "error"}) {
    t.header.emplace_back(h);
  }
  t.numeric.assign(t.header.size(), false);
  t.numeric[0] = true;
  for (std::size_t i = 3 + axes.size() + 1; i < t.header.size() - 2; ++i) t.numeric[i] = true;
  for (const StoredPoint& p : points) {
    std::vector<std::string> row = {std::to_string(p.position), p.model, p.config};
    for (const std::string& axis : axes) {
      const auto it = p.params.find(axis);
      row.push_back(it == p.params.end() ? "-" : it->get<std::string>());
    }
    const bool done = p.status == "done";
    row.push_back(p.status.empty() ? "pending" : p.status);
    row.push_back(done ? grouped(p.cycles) : "");
    if (with_predictions) {
      const std::optional<double> error = report::prediction_error_pct(p.cycles, p.predicted_cycles);
      row.push_back(done && p.predicted_cycles ? grouped(*p.predicted_cycles) : "");
      row.push_back(done && error ? fmt::format("{:+.1f}", *error) : "");
    }
    row.push_back(done ? fmt::format("{:.3f}", p.latency_ms) : "");
    row.push_back(done ? fmt::format("{:.2f}", p.mac_per_cycle) : "");
    row.push_back(done ? fmt::format("{:.1f}", 100 * p.utilization) : "");
    row.push_back(done ? grouped(p.memory_bytes) : "");
    const std::optional<double> energy = result_metric(p, "energy_uj");  // none from a build before energy
    row.push_back(energy ? fmt::format("{:.1f}", *energy) : "");
    row.push_back(done ? p.verdict : "");
    row.push_back(p.error);
    const bool best = done && fastest[p.model] == p.key;
    t.row(std::move(row), p.status == "failed" ? "failed" : best ? "best" : "");
  }
  page.add(t.html());
}

struct ParetoRequest {
  std::string x, x_label, y;
  std::string group;  // an axis whose values colour the points ("": one colour)
};

std::vector<ParetoRequest> pareto_requests(const ResultsDb& db, const std::vector<std::string>& axes) {
  std::vector<ParetoRequest> requests;
  const std::string text = db.meta("pareto");
  if (!text.empty()) {
    for (const auto& p : nlohmann::json::parse(text)) {
      requests.push_back({p.at("x").get<std::string>(), p.at("x_label").get<std::string>(), p.at("y").get<std::string>(),
                          p.value("group", std::string())});
    }
  }
  if (requests.empty()) {
    for (const std::string& axis : axes) {
      if (axis != kCompileOptAxis) requests.push_back({axis, axis, "latency_ms", ""});
    }
  }
  return requests;
}

void pareto_section(Page& page, const ResultsDb& db, const std::vector<StoredPoint>& points,
                    const std::vector<std::string>& axes) {
  const std::vector<ParetoRequest> requests = pareto_requests(db, axes);
  if (requests.empty()) return;
  page.add("<h2>Pareto frontiers</h2>\n<p class=\"note\">Each plot puts a cost of the design (x, smaller is cheaper) "
           "against a result (y). A point is on the frontier (orange) when no other point is at least as cheap and at "
           "least as good with one of the two strictly better: the designs worth considering.</p>\n");
  std::set<std::pair<std::string, std::string>> groups;  // model, target
  for (const StoredPoint& p : points) groups.insert({p.model, p.target});
  for (const ParetoRequest& request : requests) {
    const Expression x(request.x, "report.pareto x");
    const bool maximize = higher_is_better(request.y);
    for (const auto& [model, target] : groups) {
      std::vector<const StoredPoint*> members;
      std::vector<std::pair<double, double>> xy;
      for (const StoredPoint& p : points) {
        if (p.model != model || p.target != target) continue;
        const auto y = result_metric(p, request.y);
        if (!y) continue;
        std::map<std::string, double> values;
        for (const auto& [name, value] : p.hw_values.items()) values[name] = value.get<double>();
        // x is a cost over the config's keys, or a result itself (latency against energy).
        std::optional<double> cost;
        if (std::all_of(x.names().begin(), x.names().end(), [&](const std::string& n) { return values.count(n) > 0; })) {
          cost = x.evaluate(values);
        } else {
          cost = result_metric(p, request.x);
        }
        if (!cost) continue;
        members.push_back(&p);
        xy.emplace_back(*cost, *y);
      }
      if (members.size() < 2) continue;
      const std::vector<std::size_t> frontier = pareto_frontier(xy, maximize);
      std::set<std::size_t> on_frontier(frontier.begin(), frontier.end());
      // The design points in one colour, or one per value of the grouping axis (in the order met).
      std::vector<ChartSeries> design;
      const auto series_of = [&](const StoredPoint& p) -> ChartSeries& {
        std::string name = "design points";
        if (!request.group.empty()) {
          const auto it = p.params.find(request.group);
          name = fmt::format("{}={}", request.group, it == p.params.end() ? std::string("-") : it->get<std::string>());
        }
        for (ChartSeries& s : design) {
          if (s.name == name) return s;
        }
        const std::size_t colour = design.empty() ? 0 : design.size() + 1;  // palette(1) is the frontier's
        design.push_back({name, {}, palette(colour)});
        return design.back();
      };
      ChartSeries front{"Pareto frontier", {}, palette(1)};
      front.step = true;
      front.annotate = true;
      front.marker_radius = 5.5;
      for (std::size_t i = 0; i < members.size(); ++i) {
        const std::string label = params_text(*members[i], axes);
        series_of(*members[i]).points.push_back({xy[i].first, xy[i].second, point_name(*members[i], axes)});
        if (on_frontier.count(i) != 0) front.points.push_back({xy[i].first, xy[i].second, label});
      }
      double x_min = std::numeric_limits<double>::infinity(), x_max = 0;
      for (const auto& [px, py] : xy) {
        x_min = std::min(x_min, px);
        x_max = std::max(x_max, px);
      }
      XYChart chart;
      chart.title = fmt::format("{} on {}: {} vs {}{}", model, target, metric_label(request.y), request.x_label,
                                request.group.empty() ? "" : ", by " + request.group);
      chart.x = {request.x_label, x_min > 0 && x_max / x_min >= 16};
      chart.y = {metric_label(request.y) + (maximize ? " (higher is better)" : " (lower is better)"), false};
      chart.series = design;
      chart.series.push_back(front);
      page.add(fmt::format("<h3>{}</h3>\n", escape_html(chart.title)));
      page.plot(chart.title, xy_chart_svg(chart), chart.title);
      Table t;
      t.header = {"#", "config", "point", request.x_label, metric_label(request.y)};
      t.numeric = {true, false, false, true, true};
      for (const std::size_t i : frontier) {
        t.row({std::to_string(members[i]->position), members[i]->config, params_text(*members[i], axes),
               tick_label(xy[i].first), fmt::format("{:.4g}", xy[i].second)},
              "frontier");
      }
      page.add(fmt::format("<p class=\"note\">{} of {} points are on the frontier:</p>\n", frontier.size(),
                           members.size()) +
               t.html());
    }
  }
}

// The fastest done point of each config of a model.
std::vector<const StoredPoint*> fastest_per_config(const std::vector<StoredPoint>& points, const std::string& model) {
  std::map<std::string, const StoredPoint*> best;
  std::vector<std::string> order;
  for (const StoredPoint& p : points) {
    if (p.model != model || p.status != "done") continue;
    auto it = best.find(p.config);
    if (it == best.end()) {
      best[p.config] = &p;
      order.push_back(p.config);
    } else if (p.latency_ms < it->second->latency_ms) {
      it->second = &p;
    }
  }
  std::vector<const StoredPoint*> out;
  for (const std::string& c : order) out.push_back(best[c]);
  return out;
}

void targets_section(Page& page, const ResultsDb& db, const std::vector<StoredPoint>& points,
                     const std::vector<std::string>& axes) {
  std::vector<std::string> models;
  for (const StoredPoint& p : points) {
    if (std::find(models.begin(), models.end(), p.model) == models.end()) models.push_back(p.model);
  }
  bool header = false;
  for (const std::string& model : models) {
    const std::vector<const StoredPoint*> chosen = fastest_per_config(points, model);
    std::set<std::string> targets;
    for (const StoredPoint* p : chosen) targets.insert(p->target);
    if (targets.size() < 2) continue;
    if (!header) {
      page.add("<h2>One network, two targets</h2>\n<p class=\"note\">The same network on each config (its fastest "
               "point), layer by layer, joined by the tensors the layers write (as <code>workbench compare</code> "
               "does): a row holds, on each target, the layers up to the one writing its tensor, so a layer one "
               "target fuses (xDNN runs a max pool behind the conv that feeds it) shares a row with the layers the "
               "other runs apart (+k: k more layers in the row). Times are in microseconds: the clocks differ. A dash: "
               "no layer of that target in the row.</p>\n");
      header = true;
    }
    Table totals;
    totals.header = {"config", "target", "point", "clock MHz", "latency ms", "cycles", "MAC/cycle", "util %",
                     "DDR/L3 bytes", "verdict"};
    totals.numeric = {false, false, false, true, true, true, true, true, true, false};
    for (const StoredPoint* p : chosen) {
      totals.row({p->config, p->target, params_text(*p, axes), fmt::format("{:g}", p->clock_mhz),
                  fmt::format("{:.3f}", p->latency_ms), grouped(p->cycles), fmt::format("{:.2f}", p->mac_per_cycle),
                  fmt::format("{:.1f}", 100 * p->utilization), grouped(p->memory_bytes), p->verdict});
    }
    page.add(fmt::format("<h3>{}</h3>\n", escape_html(model)) + totals.html());

    // Layers joined as `workbench compare` joins them: by the tensors they write, so a layer
    // one target fuses shares a row with the layers the other runs apart.
    std::vector<compare::ReportSide> sides;
    for (const StoredPoint* p : chosen) {
      compare::ReportSide side;
      side.label = p->config;
      side.clock_mhz = p->clock_mhz;
      side.report.target = p->target;
      side.report.layers = db.layers(p->key);
      sides.push_back(std::move(side));
    }
    const compare::Comparison comparison = compare::compare(std::move(sides), compare::TimeUnit::Microseconds);
    Table joined;
    joined.header = {"layer"};
    for (const StoredPoint* p : chosen) {
      for (const char* h : {"type", "us", "MAC/cycle", "bytes in+out"}) joined.header.push_back(fmt::format("{} {}", p->config, h));
    }
    joined.header.push_back(fmt::format("time {} / {}", chosen[1]->config, chosen[0]->config));
    joined.numeric.assign(joined.header.size(), true);
    joined.numeric[0] = false;
    BarChart chart;
    chart.title = fmt::format("{}: time per layer on each target", model);
    chart.value_label = "microseconds";
    chart.stacked = false;
    chart.log = true;  // the targets are orders of magnitude apart
    for (std::size_t c = 0; c < chosen.size(); ++c) chart.segments.push_back({chosen[c]->config, palette(c)});
    std::vector<double> total_us(chosen.size(), 0.0);
    for (const compare::RowFigures& figures : comparison.rows) {
      const std::string name = compare::row_name(figures);
      std::vector<std::string> row = {name};
      std::vector<double> us(chosen.size(), std::numeric_limits<double>::quiet_NaN());
      for (std::size_t c = 0; c < chosen.size(); ++c) {
        if (figures.names[c].empty()) {
          row.insert(row.end(), {"-", "-", "-", "-"});
          continue;
        }
        us[c] = figures.microseconds[c];
        total_us[c] += us[c];
        const double mac_per_cycle = figures.cycles[c] == 0 ? 0.0
                                                            : static_cast<double>(figures.macs[c]) /
                                                                  static_cast<double>(figures.cycles[c]);
        row.insert(row.end(), {fmt::format("{}", fmt::join(figures.types[c], " + ")), fmt::format("{:.1f}", us[c]),
                               fmt::format("{:.2f}", mac_per_cycle), grouped(figures.bytes[c])});
      }
      row.push_back(std::isfinite(us[0]) && std::isfinite(us[1]) && us[0] > 0 ? fmt::format("{:.1f}x", us[1] / us[0]) : "-");
      joined.row(std::move(row));
      chart.categories.push_back(name);
      std::vector<double> values;
      for (const double v : us) values.push_back(std::isfinite(v) ? v : 0.0);
      chart.values.push_back(std::move(values));
    }
    std::vector<std::string> total_row = {"total of the layers"};
    for (std::size_t c = 0; c < chosen.size(); ++c) total_row.insert(total_row.end(), {"", fmt::format("{:.1f}", total_us[c]), "", ""});
    total_row.push_back(total_us[0] > 0 ? fmt::format("{:.1f}x", total_us[1] / total_us[0]) : "-");
    joined.row(std::move(total_row), "best");
    page.plot(chart.title, bar_chart_svg(chart), chart.title);
    page.add(joined.html());
  }
}

void ablation_section(Page& page, const std::vector<StoredPoint>& points, const std::vector<std::string>& axes) {
  if (std::find(axes.begin(), axes.end(), std::string(kCompileOptAxis)) == axes.end()) return;
  page.add("<h2>Compiler optimisations: ablation</h2>\n<p class=\"note\">Each row turns optimisations off against "
           "the same design with the compiler's defaults; the cost is how much slower (more cycles) the design runs "
           "without them.</p>\n");
  // Groups: the same model, config and other axis values.
  std::map<std::string, std::vector<const StoredPoint*>> groups;
  std::vector<std::string> order;
  for (const StoredPoint& p : points) {
    std::string group = p.model + " on " + p.config;
    for (const std::string& axis : axes) {
      if (axis != kCompileOptAxis && p.params.contains(axis)) group += " " + axis + "=" + p.params[axis].get<std::string>();
    }
    if (groups.count(group) == 0) order.push_back(group);
    groups[group].push_back(&p);
  }
  for (const std::string& group : order) {
    const auto& members = groups[group];
    const auto base_it = std::find_if(members.begin(), members.end(), [](const StoredPoint* p) {
      return p->params.value(std::string(kCompileOptAxis), std::string()) == "default";
    });
    const StoredPoint* base = base_it != members.end() ? *base_it : members.front();
    Table t;
    t.header = {"compile options", "cycles", "cost (slower by)", "latency ms", "MAC/cycle", "DDR/L3 bytes",
                "bytes vs defaults"};
    t.numeric = {false, true, true, true, true, true, true};
    BarChart chart;
    chart.title = fmt::format("{}: slowdown with each optimisation off", group);
    chart.value_label = "% more cycles than with every optimisation on";
    chart.segments = {{"slowdown %", palette(2)}};
    for (const StoredPoint* p : members) {
      const std::string options = p->params.value(std::string(kCompileOptAxis), std::string("-"));
      if (p->status != "done" || base->status != "done") {
        t.row({options, "", "", "", "", "", p->error}, p->status == "failed" ? "failed" : "");
        continue;
      }
      const double cost = base->cycles > 0 ? 100.0 * (static_cast<double>(p->cycles) / static_cast<double>(base->cycles) - 1) : 0;
      const double bytes = base->memory_bytes > 0
                               ? 100.0 * (static_cast<double>(p->memory_bytes) / static_cast<double>(base->memory_bytes) - 1)
                               : 0;
      t.row({options, grouped(p->cycles), p == base ? "(baseline)" : fmt::format("{:+.1f}%", cost),
             fmt::format("{:.3f}", p->latency_ms), fmt::format("{:.2f}", p->mac_per_cycle), grouped(p->memory_bytes),
             p == base ? "" : fmt::format("{:+.1f}%", bytes)},
            p == base ? "best" : "");
      if (p != base) {
        chart.categories.push_back(options);
        chart.values.push_back({std::max(0.0, cost)});
      }
    }
    page.add(fmt::format("<h3>{}</h3>\n", escape_html(group)));
    if (!chart.categories.empty()) page.plot(chart.title, bar_chart_svg(chart), chart.title);
    page.add(t.html());
  }
}

// The points whose layers the page draws: those asked for, or the fastest of each model on
// each config.
std::vector<const StoredPoint*> chosen_points(const ResultsDb& db, const std::vector<StoredPoint>& points,
                                              const std::vector<std::string>& requested) {
  std::vector<const StoredPoint*> chosen;
  if (requested.empty()) {
    std::vector<std::string> models;
    for (const StoredPoint& p : points) {
      if (std::find(models.begin(), models.end(), p.model) == models.end()) models.push_back(p.model);
    }
    for (const std::string& model : models) {
      for (const StoredPoint* p : fastest_per_config(points, model)) chosen.push_back(p);
    }
  } else {
    for (const std::string& wanted : requested) {
      const auto it = std::find_if(points.begin(), points.end(), [&](const StoredPoint& p) {
        return std::to_string(p.position) == wanted || (wanted.size() >= 4 && p.key.rfind(wanted, 0) == 0);
      });
      if (it == points.end()) {
        throw UserError(fmt::format("--point {}: no such point in {} (give its # or a key prefix of 4+ digits)", wanted,
                                    db.path().string()));
      }
      if (it->status != "done") {
        throw UserError(fmt::format("--point {}: that point has no result ({})", wanted, it->status.empty() ? "pending" : it->status));
      }
      chosen.push_back(&*it);
    }
  }
  return chosen;
}

void breakdown_section(Page& page, const ResultsDb& db, const std::vector<const StoredPoint*>& chosen,
                       const std::vector<std::string>& axes, bool requested) {
  if (chosen.empty()) return;
  page.add(fmt::format("<h2>Per-layer breakdown</h2>\n<p class=\"note\">{} Each bar is a layer's cycles, cut into "
                       "where they went (the time causes of docs/report.md; busy and stalled for points stored before "
                       "them); each label ends with the unit the layer ran on, what bound it and how close it came, "
                       "and on xDNN the share of the array its shape fills.</p>\n",
                       requested ? "The points asked for." : "The fastest point of each model on each config."));
  for (const StoredPoint* p : chosen) {
    const std::vector<report::LayerRow> layers = db.layers(p->key);
    BarChart chart;
    chart.title = point_name(*p, axes);
    chart.value_label = "cycles";
    const bool with_causes =
        !layers.empty() && std::all_of(layers.begin(), layers.end(), [](const report::LayerRow& r) { return !r.time.empty(); });
    if (with_causes) {
      for (const auto& [cause, cycles] : layers.front().time) chart.segments.push_back({cause, palette(chart.segments.size())});
    } else {
      chart.segments = {{"busy", palette(0)}, {"stalled", palette(2)}};
    }
    for (const report::LayerRow& row : layers) {
      std::vector<std::string> notes;
      if (!row.unit.empty()) notes.push_back(row.unit);
      if (!row.bound.empty() && row.cycles > 0) {
        notes.push_back(fmt::format("{} {:.0f}%", row.bound.binding(),
                                    100.0 * static_cast<double>(row.bound.cycles()) / static_cast<double>(row.cycles)));
      }
      if (const auto m = row.specific.find("mapping_efficiency"); m != row.specific.end() && m->is_number() && row.macs > 0) {
        notes.push_back(fmt::format("map {:.0f}%", 100 * m->get<double>()));
      }
      chart.categories.push_back(notes.empty() ? row.name : fmt::format("{} [{}]", row.name, fmt::join(notes, ", ")));
      if (with_causes) {
        std::vector<double> values;
        for (const BarSegment& segment : chart.segments) {
          const auto it = std::find_if(row.time.begin(), row.time.end(), [&](const auto& t) { return t.first == segment.name; });
          values.push_back(it == row.time.end() ? 0.0 : static_cast<double>(it->second));
        }
        chart.values.push_back(std::move(values));
      } else {
        const double stall = static_cast<double>(std::min(row.stall_cycles, row.cycles));
        chart.values.push_back({static_cast<double>(row.cycles) - stall, stall});
      }
    }
    page.add(fmt::format("<h3>{}</h3>\n<p class=\"note\">{} layers, {} cycles, {:.3f} ms, {:.2f} MAC/cycle, {}</p>\n",
                         escape_html(chart.title), layers.size(), grouped(p->cycles), p->latency_ms, p->mac_per_cycle,
                         escape_html(p->verdict)));
    page.plot("layers " + chart.title, bar_chart_svg(chart), chart.title);
  }
}

// Per chosen point whose target predicts: each layer's simulated cycles against the cycles the
// compiler's performance model predicted for it, on the diagonal where the two agree.
void prediction_section(Page& page, const ResultsDb& db, const std::vector<const StoredPoint*>& chosen,
                        const std::vector<std::string>& axes) {
  bool heading = false;
  for (const StoredPoint* p : chosen) {
    if (!p->predicted_cycles) continue;
    const std::vector<report::LayerRow> layers = db.layers(p->key);
    ChartSeries measured{"layers", {}, palette(0)};
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    std::string worst_layer;  // the layer furthest from its prediction
    double worst_error = 0;
    for (const report::LayerRow& row : layers) {
      const std::optional<double> error = report::prediction_error_pct(row.cycles, row.predicted_cycles);
      if (!error || row.cycles == 0) continue;  // nothing to place on log axes
      const auto predicted = static_cast<double>(*row.predicted_cycles), simulated = static_cast<double>(row.cycles);
      measured.points.push_back({predicted, simulated,
                                 fmt::format("{}: predicted {}, simulated {} ({:+.1f} %)", row.name,
                                             grouped(*row.predicted_cycles), grouped(row.cycles), *error)});
      lo = std::min({lo, predicted, simulated});
      hi = std::max({hi, predicted, simulated});
      if (worst_layer.empty() || std::abs(*error) > std::abs(worst_error)) {
        worst_layer = row.name;
        worst_error = *error;
      }
    }
    if (measured.points.empty()) continue;
    if (!heading) {
      page.add("<h2>Predicted against simulated</h2>\n<p class=\"note\">Each dot is a layer: the cycles the compiler's "
               "performance model predicted for it (x) against the cycles the simulator measured (y). On the grey "
               "diagonal the two agree; above it the layer ran slower than predicted. Hover a dot for the "
               "layer.</p>\n");
      heading = true;
    }
    ChartSeries diagonal{"simulated = predicted", {{lo, lo, ""}, {hi, hi, ""}}, "#9a9a9a"};
    diagonal.line = true;
    diagonal.markers = false;
    XYChart chart;
    chart.title = point_name(*p, axes);
    const bool log = hi / lo >= 16;
    chart.x = {"predicted cycles", log};
    chart.y = {"simulated cycles", log};
    chart.series = {diagonal, measured};
    const std::optional<double> total_error = report::prediction_error_pct(p->cycles, p->predicted_cycles);
    page.add(fmt::format("<h3>{}</h3>\n<p class=\"note\">The run: predicted {} cycles, simulated {} ({}); the "
                         "layer furthest from its prediction: {} ({:+.1f} %).</p>\n",
                         escape_html(point_name(*p, axes)), grouped(*p->predicted_cycles), grouped(p->cycles),
                         total_error ? fmt::format("{:+.1f} %", *total_error) : "-", escape_html(worst_layer),
                         worst_error));
    page.plot("predicted vs simulated " + chart.title, xy_chart_svg(chart), "predicted vs simulated: " + chart.title);
  }
}

void failures_section(Page& page, const std::vector<StoredPoint>& points, const std::vector<std::string>& axes) {
  Table t;
  t.header = {"#", "point", "exit code", "error"};
  t.numeric = {true, false, true, false};
  for (const StoredPoint& p : points) {
    if (p.status == "failed") t.row({std::to_string(p.position), point_name(p, axes), std::to_string(p.exit_code), p.error}, "failed");
  }
  if (t.rows.empty()) return;
  page.add("<h2>Failed points</h2>\n<p class=\"note\">Exit code 2: the design cannot run this network (it does not "
           "fit, or the compiler refuses it), with the reason; anything else is a crash or a timeout (logs in the "
           "sweep's folder).</p>\n" +
           t.html());
}

}  // namespace

ReportPage build_report_page(const ResultsDb& db, const std::vector<std::string>& requested_points) {
  const std::vector<StoredPoint> points = db.points();
  const std::vector<std::string> axes = db.axes();
  std::size_t done = 0, failed = 0, pending = 0;
  for (const StoredPoint& p : points) {
    done += p.status == "done" ? 1 : 0;
    failed += p.status == "failed" ? 1 : 0;
    pending += p.status.empty() ? 1 : 0;
  }
  const std::string name = db.meta("name");
  Page page;
  page.add(fmt::format("<h1>Sweep {}</h1>\n<p class=\"meta\">{}</p>\n", escape_html(name), escape_html(db.meta("description"))));
  page.add(fmt::format("<p class=\"meta\">{} points ({} mode): {} done, {} failed{}. Axes: {}.</p>\n", points.size(),
                       escape_html(db.meta("mode")), done, failed, pending > 0 ? fmt::format(", {} without a result", pending) : "",
                       axes.empty() ? "none" : escape_html(fmt::format("{}", fmt::join(axes, ", ")))));
  points_section(page, points, axes);
  pareto_section(page, db, points, axes);
  targets_section(page, db, points, axes);
  ablation_section(page, points, axes);
  const std::vector<const StoredPoint*> chosen = chosen_points(db, points, requested_points);
  breakdown_section(page, db, chosen, axes, !requested_points.empty());
  prediction_section(page, db, chosen, axes);
  failures_section(page, points, axes);
  page.add(fmt::format(
      "<h2>Provenance</h2>\n<p class=\"note\">Results database {}; sweep created {}, last run {} by workbench {}; this "
      "page written {} by workbench {}.</p>\n<details><summary>Sweep spec ({})</summary>\n<pre>{}</pre></details>\n",
      escape_html(db.path().string()), escape_html(db.meta("created_at")), escape_html(db.meta("updated_at")),
      escape_html(db.meta("build")), utc_now(), escape_html(build_id()), escape_html(db.meta("spec_path")),
      escape_html(db.meta("spec_text"))));
  return page.finish("Sweep " + name);
}

int run_report(const ReportOptions& options, std::ostream& out) {
  const ResultsDb db(resolve_db(options.db), false);
  const ReportPage page = build_report_page(db, options.points);
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) throw UserError(fmt::format("{}: cannot create the report folder: {}", options.out_dir.string(), ec.message()));
  for (const auto& [file, svg] : page.plots) write_file_atomically(options.out_dir / file, svg);
  write_file_atomically(options.out_dir / "index.html", page.html);
  out << fmt::format("wrote {} ({} plots) for sweep {}\n", (options.out_dir / "index.html").string(), page.plots.size(),
                     db.meta("name"));
  return 0;
}

}  // namespace wb::sweep
