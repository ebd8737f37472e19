#pragma once
// The run report's statistics, each declared once (gem5's Stats style, DESIGN.md's rules of the
// house): its name, where it sits, its unit and what it means. The JSON writer and reader, the
// CSV, the console totals, `workbench regress`'s figures and docs/report.md's table all read
// these declarations; none of them invents a key of its own.
//
// Two kinds: the standard statistics every report has (typed fields of report.h's rows, same
// name on both targets), and the target's own, which the JSON keeps in a block named after the
// target (`layers[i].xdnn`, `totals.pulp`) and the CSV writes after the standard columns.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wb::report {

enum class StatScope { Layer, Run };  // a layer row's, or the run's totals'

// What a value is: a count (a non-negative integer), a fraction or other real, or a name.
enum class StatKind { Count, Real, Text };

struct StatDecl {
  std::string_view name;
  StatScope scope;
  // "" for a standard statistic (every report, outside the blocks); else the targets whose
  // block holds it, space-separated ("xdnn", "pulp", "xdnn pulp").
  std::string_view targets;
  StatKind kind;
  std::string_view unit;  // "cycles", "bytes", "MACs", "ms", "us", "fraction", "" (a plain count or name)
  std::string_view description;
  // A figure `workbench regress` records and compares (an integer the model computes
  // deterministically: cycles, bytes, counts).
  bool tracked = false;

  bool standard() const { return targets.empty(); }
  bool of_target(std::string_view target) const;
};

// Every declaration, standard ones first, in the order the CSV and the docs list them.
const std::vector<StatDecl>& statistics();

// The declaration of `name` in `target`'s block at `scope` (nullptr when there is none).
const StatDecl* target_statistic(std::string_view target, StatScope scope, std::string_view name);
// `target`'s block statistics at `scope`, in declaration order.
std::vector<const StatDecl*> target_statistics(std::string_view target, StatScope scope);
// The tracked statistics at `scope` (standard and every target's), in declaration order.
std::vector<std::string> tracked_statistics(StatScope scope);

// The Markdown tables docs/report.md carries between its `statistics:begin/end` markers (a
// test keeps them equal).
std::string statistics_markdown();

}  // namespace wb::report
