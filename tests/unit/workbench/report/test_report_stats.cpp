// The report's statistics are declared once (workbench/report/report_stats.h): the JSON writer uses no
// key the declarations lack, every standard declaration is a key the writer uses, and
// docs/report.md carries the declarations' own tables.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>

#include "tests/support/generated_docs.h"
#include "workbench/report/report.h"
#include "workbench/report/report_fields.h"
#include "workbench/report/report_json.h"
#include "workbench/report/report_stats.h"
#include "workbench/backends/target.h"

namespace wb::report {
namespace {

using nlohmann::json;

std::set<std::string> declared_standard(StatScope scope) {
  std::set<std::string> names;
  for (const StatDecl& stat : standard_statistics()) {
    if (stat.scope == scope) names.insert(std::string(stat.name));
  }
  return names;
}

// A report with every optional standard field set.
RunReport full_report(const std::string& target) {
  RunReport r;
  r.target = target;
  r.totals.offchip_bytes = 1;
  r.totals.bound = {10, {{"ddr_channel", 5, 64}}};
  r.totals.predicted_cycles = 12;
  r.totals.energy = {{"static", 2.5}};
  r.totals.latency_ms = 0.5;
  r.totals.tokens = 8;
  LayerRow row;
  row.predicted_cycles = 4;
  row.name = std::string(1, 'a');  // not = "a": GCC 12 misreads that copy inlined here (-Wstringop-overflow)
  row.time = {{"array", 3}};
  row.bound = {3, {{"ddr_channel", 1, 8}}};
  row.parts = {"b1", "b2"};  // a merged layer's tensors
  row.energy = {{"static", 1.5}};
  r.layers = {row};
  return r;
}

TEST(ReportStats, TheWriterUsesExactlyTheDeclaredStandardKeys) {
  for (const TargetBackend* backend : all_backends()) {
    const std::string target = backend->name();
    const json j = to_json(full_report(target));
    std::set<std::string> totals, layer;
    for (const auto& [key, value] : j.at("totals").items()) totals.insert(key);
    for (const auto& [key, value] : j.at("layers").at(0).items()) layer.insert(key);
    EXPECT_EQ(totals, declared_standard(StatScope::Run)) << target;
    EXPECT_EQ(layer, declared_standard(StatScope::Layer)) << target;
  }
}

// Each standard declaration is either a plain field bound once (report_fields.h: the writers
// iterate those) or one of the composite statistics with a writer of its own; never both, never
// neither; and a plain field's C++ type is its declared kind.
template <class Row>
void expect_fields_match_declarations(const std::vector<PlainField<Row>>& fields, StatScope scope) {
  std::set<std::string> bound;
  for (const PlainField<Row>& plain : fields) {
    EXPECT_TRUE(bound.insert(std::string(plain.name)).second) << plain.name << " is bound twice";
    const auto decl = std::find_if(standard_statistics().begin(), standard_statistics().end(),
                                   [&](const StatDecl& d) { return d.name == plain.name && d.scope == scope; });
    ASSERT_NE(decl, standard_statistics().end()) << plain.name << " is bound but not declared";
    const StatKind kind = std::holds_alternative<std::string Row::*>(plain.field)     ? StatKind::Text
                          : std::holds_alternative<std::uint64_t Row::*>(plain.field) ? StatKind::Count
                                                                                     : StatKind::Real;
    EXPECT_EQ(kind, decl->kind) << plain.name;
  }
  std::set<std::string> composite;
  for (std::string_view name : composite_statistics(scope)) {
    EXPECT_EQ(bound.count(std::string(name)), 0u) << name << " is both a plain field and composite";
    composite.insert(std::string(name));
  }
  std::set<std::string> both = bound;
  both.insert(composite.begin(), composite.end());
  EXPECT_EQ(both, declared_standard(scope));
}

TEST(ReportStats, EveryStandardStatisticIsAPlainFieldOrCompositeNeverBoth) {
  expect_fields_match_declarations(layer_fields(), StatScope::Layer);
  expect_fields_match_declarations(totals_fields(), StatScope::Run);
}

// A plain field goes through the writer and the reader unchanged (the two iterate one list).
TEST(ReportStats, PlainFieldsRoundTripThroughTheJson) {
  RunReport r = full_report(all_backends().front()->name());
  r.verdict = "not-verified";
  std::uint64_t count = 100;
  double real = 0.25;
  for (const PlainField<LayerRow>& plain : layer_fields()) {
    std::visit(
        [&](auto member) {
          using Value = std::remove_reference_t<decltype(r.layers[0].*member)>;
          if constexpr (std::is_same_v<Value, std::string>) {
            r.layers[0].*member = "text_" + std::string(plain.name);
          } else if constexpr (std::is_same_v<Value, std::uint64_t>) {
            r.layers[0].*member = ++count;
          } else {
            r.layers[0].*member = real += 0.5;
          }
        },
        plain.field);
  }
  for (const PlainField<Totals>& plain : totals_fields()) {
    std::visit(
        [&](auto member) {
          using Value = std::remove_reference_t<decltype(r.totals.*member)>;
          if constexpr (std::is_same_v<Value, std::uint64_t>) {
            r.totals.*member = ++count;
          } else if constexpr (!std::is_same_v<Value, std::string>) {
            r.totals.*member = real += 0.5;
          }
        },
        plain.field);
  }
  const RunReport back = from_json(to_json(r), "a test report");
  for (const PlainField<LayerRow>& plain : layer_fields()) {
    EXPECT_EQ(field_json(plain, back.layers[0]), field_json(plain, r.layers[0])) << plain.name;
  }
  for (const PlainField<Totals>& plain : totals_fields()) {
    EXPECT_EQ(field_json(plain, back.totals), field_json(plain, r.totals)) << plain.name;
  }
}

TEST(ReportStats, EachDeclarationIsWholeAndUnique) {
  const std::set<std::string_view> units = {"",   "cycles", "cycle",     "bytes",    "MACs",
                                            "ops", "us",     "MAC/cycle", "fraction", "ms", "%",
                                            "pJ", "pJ/MAC", "uJ", "mW", "uJ x ms", "tokens/s", "uJ/token", "frames/s"};
  std::set<std::string> seen;
  const auto check = [&](const StatDecl& stat, const std::string& block) {
    EXPECT_FALSE(stat.description.empty()) << stat.name;
    EXPECT_TRUE(units.contains(stat.unit)) << stat.name << ": " << stat.unit;
    const std::string key = block + "/" + (stat.scope == StatScope::Layer ? "layer/" : "run/") + std::string(stat.name);
    EXPECT_TRUE(seen.insert(key).second) << "declared twice: " << key;
    // A target's statistic may not shadow a standard one at its scope.
    if (!block.empty()) {
      EXPECT_FALSE(is_standard(stat.scope, stat.name)) << block << ": " << stat.name;
    }
    // Tracked figures are integers (regress compares them exactly).
    if (stat.tracked()) {
      EXPECT_EQ(stat.kind, StatKind::Count) << stat.name;
    }
  };
  for (const StatDecl& stat : standard_statistics()) check(stat, "");
  for (const TargetBackend* backend : all_backends()) {
    for (const StatDecl& stat : backend->statistics()) check(stat, backend->name());
    // A note belongs to a standard statistic.
    for (const StatNote& note : backend->statistic_notes()) {
      EXPECT_TRUE(is_standard(note.scope, note.name)) << backend->name() << " notes " << note.name;
    }
  }
  EXPECT_NE(target_statistic("xdnn", StatScope::Layer, "mapping_efficiency"), nullptr);
  EXPECT_EQ(target_statistic("pulp", StatScope::Layer, "mapping_efficiency"), nullptr);
  EXPECT_NE(target_statistic("pulp", StatScope::Layer, "start_cycle"), nullptr);  // declared for both
  EXPECT_EQ(target_statistic("no such target", StatScope::Layer, "start_cycle"), nullptr);
  EXPECT_EQ(target_statistic("xdnn", StatScope::Run, "kernel"), nullptr);
}

TEST(ReportStats, TrackedFiguresAreTheRegressMetrics) {
  const std::vector<std::string> run = tracked_statistics(StatScope::Run);
  EXPECT_EQ(run.front(), "cycles");  // standard ones first
  for (const char* name : {"moveops", "ddr_spill_bytes", "l1_dma_bytes_in", "instructions"}) {
    EXPECT_NE(std::find(run.begin(), run.end(), name), run.end()) << name;
  }
  const std::vector<std::string> layer = tracked_statistics(StatScope::Layer);
  EXPECT_EQ(std::count(layer.begin(), layer.end(), "cycles"), 1);
  EXPECT_EQ(std::find(layer.begin(), layer.end(), "tile"), layer.end());  // a name, not a figure
  // Energy, like cycles: a change of it fails `regress check` (docs/energy.md).
  EXPECT_NE(std::find(run.begin(), run.end(), "energy_pj"), run.end());
  EXPECT_NE(std::find(layer.begin(), layer.end(), "energy_pj"), layer.end());
  EXPECT_EQ(std::find(run.begin(), run.end(), "pj_per_mac"), run.end());  // derived, a real
}

TEST(ReportStats, PartsOfALayersCyclesAreKnownByName) {
  EXPECT_TRUE(is_part_of_cycles("stall_cycles"));     // standard
  EXPECT_TRUE(is_part_of_cycles("dma_wait_cycles"));  // a block's
  EXPECT_FALSE(is_part_of_cycles("cycles"));
  EXPECT_FALSE(is_part_of_cycles("offchip_bytes"));
}

TEST(ReportStats, ThePredictionIsRecordedButNeverAPartOfTheCycles) {
  EXPECT_TRUE(is_prediction("predicted_cycles"));
  EXPECT_FALSE(is_prediction("cycles"));
  EXPECT_FALSE(is_prediction("tiler_cycles"));  // PULP's block: the tiler's figure, not recorded
  EXPECT_FALSE(is_part_of_cycles("predicted_cycles"));
  for (const StatScope scope : {StatScope::Layer, StatScope::Run}) {
    const std::vector<std::string> tracked = tracked_statistics(scope);
    EXPECT_NE(std::find(tracked.begin(), tracked.end(), "predicted_cycles"), tracked.end());
    EXPECT_EQ(std::find(tracked.begin(), tracked.end(), "prediction_error_pct"), tracked.end());  // derived, a real
  }
}

TEST(ReportStats, DocsCarryTheDeclaredTables) {
  test::expect_generated_section(
      "report.md",
      "<!-- statistics:begin (generated from workbench/report/report_stats.cpp and each back end's statistics()) -->\n",
      "<!-- statistics:end -->", statistics_markdown());
}

}  // namespace
}  // namespace wb::report
