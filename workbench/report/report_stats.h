#pragma once
// The run report's statistics, each declared once (gem5's Stats style, DESIGN.md's rules of the
// house): its name, where it sits, its unit and what it means. The JSON writer and reader, the
// CSV, the console totals, `workbench regress`'s figures and docs/report.md's table all read
// these declarations; none of them invents a key of its own.
//
// Two kinds: the standard statistics every report has (typed fields of report.h's rows, same
// name on every target), declared here, and a target's own, which its description declares
// (report/<target>_description.cpp) and the JSON keeps in a block named after the target
// (`layers[i].<target>`, `totals.<target>`), the CSV after the standard columns.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wb::report {

enum class StatScope { Layer, Run };  // a layer row's, or the run's totals'

// What a value is: a count (a non-negative integer), a fraction or other real, or a name.
enum class StatKind { Count, Real, Text };

// Whether `workbench regress` records and compares it: an integer the model computes
// deterministically (cycles, bytes, counts). A Part is a share of its layer's cycles, or of
// its cores' work inside them (conflict cycles): a shift between parts is shown but fails
// nothing unless the cycles themselves move. A Prediction is
// the compiler's expectation, not a measurement: `regress check` pins it as every recorded
// figure, `compare` shows a change of it but never calls one worse (a higher prediction is
// not a slower design).
enum class Tracking { No, Tracked, Part, Prediction };

struct StatDecl {
  std::string_view name;
  StatScope scope;
  StatKind kind;
  std::string_view unit;  // "cycles", "bytes", "MACs", "ms", "us", "fraction", "%", "" (a plain count or name)
  std::string_view description;
  Tracking tracking = Tracking::No;

  bool tracked() const { return tracking != Tracking::No; }
};

// What a standard statistic means on one target, beyond its description ("`array`, `pool`,
// ...": the units a target's `unit` names). A target's description lists its notes; the docs append them.
struct StatNote {
  std::string_view name;
  StatScope scope;
  std::string_view text;
};

// The statistics more than one target's block holds, declared once here; a description lists
// those it reports among its own (TargetDescription::statistics).
inline constexpr StatDecl kStartCycle{"start_cycle", StatScope::Layer, StatKind::Count, "cycle", "its span's first cycle"};
inline constexpr StatDecl kEndCycle{"end_cycle", StatScope::Layer, StatKind::Count, "cycle",
                                    "its span's end (its last completion)"};
inline constexpr StatDecl kLayersVerified{"layers_verified", StatScope::Run, StatKind::Count, "",
                                          "layers compared with the golden model (with data only)"};

// What a table of declarations wants in scope (`using namespace report::declaring;`): the
// scopes, kinds and trackings by their names, and the shared declarations.
namespace declaring {
using enum StatScope;
using enum StatKind;
using enum Tracking;
using report::kEndCycle;
using report::kLayersVerified;
using report::kStartCycle;
}  // namespace declaring

// The standard declarations, in the order the CSV and the docs list them.
const std::vector<StatDecl>& standard_statistics();
// Whether `name` is a standard statistic at `scope`.
bool is_standard(StatScope scope, std::string_view name);

// The declaration of `name` in `target`'s block at `scope` (nullptr when there is none, or
// when no back end is called `target`).
const StatDecl* target_statistic(std::string_view target, StatScope scope, std::string_view name);
// `target`'s block statistics at `scope`, in declaration order.
std::vector<const StatDecl*> target_statistics(std::string_view target, StatScope scope);
// The tracked statistics at `scope` (standard and every target's), in declaration order.
std::vector<std::string> tracked_statistics(StatScope scope);
// Whether any declaration of `name` is a Part (see Tracking).
bool is_part_of_cycles(std::string_view name);
// Whether any declaration of `name` is a Prediction (see Tracking).
bool is_prediction(std::string_view name);

// The Markdown tables docs/report.md carries between its `statistics:begin/end` markers (a
// test keeps them equal).
std::string statistics_markdown();

}  // namespace wb::report
