#include "workbench/report/report_stats.h"

#include <fmt/format.h>

#include <algorithm>

#include "workbench/report/target_description.h"

namespace wb::report {

namespace {

using namespace declaring;

// A function's static, not a namespace-scope one: other files' static initialisers read it
// (regress's metric lists).
const std::vector<StatDecl>& declarations() {
// clang-format off
static const std::vector<StatDecl> kStatistics = {
    // ---- every layer row --------------------------------------------------------------------
    {"name", Layer, Text, "", "the layer (a fused layer: its first node's name)"},
    {"type", Layer, Text, "", "one vocabulary on every target: `conv`, `depthwise`, `grouped_conv`, `fc`, `add`, `maxpool`, `avgpool`, `conv+maxpool`, `conv+avgpool`, `concat`, `channel_gather`, `lut`, `mul`, `softmax`, `matmul`, `concat_w`, `pixel_copy`, ..."},
    {"unit", Layer, Text, "", "what ran it"},
    {"output", Layer, Text, "", "the QGraph tensor it writes (what `workbench compare` joins on)"},
    {"parts", Layer, Text, "", "the QGraph tensors a layer computing several at once writes (xDNN's merged sibling convs, whose `output` is the merged buffer; an array, absent otherwise)"},
    {"macs", Layer, Count, "MACs", "its multiply-accumulates", Tracked},
    {"ops", Layer, Count, "ops", "its operations (DESIGN.md §4.4)"},
    {"cycles", Layer, Count, "cycles", "its span (below)", Tracked},
    {"us", Layer, Real, "us", "`cycles` at the target's clock"},
    {"mac_per_cycle", Layer, Real, "MAC/cycle", "`macs` over `cycles`"},
    {"utilization", Layer, Real, "fraction", "`mac_per_cycle` over the int8 peak; never above 1"},
    {"stall_cycles", Layer, Count, "cycles", "the span's cycles it waited for memory or other work (below)", Part},
    {"bytes_in", Layer, Count, "bytes", "bytes it read from off-chip memory (`totals.offchip_level`)", Tracked},
    {"bytes_out", Layer, Count, "bytes", "bytes it wrote to off-chip memory", Tracked},
    {"tiles", Layer, Count, "", "the pieces it ran in"},
    {"time", Layer, Count, "cycles", "its span cut into named causes that add up to it (an object; below)"},
    {"bound", Layer, Count, "cycles", "what holds its span from below: compute and each memory level, which binds, how close it came (an object; below)"},
    {"energy_pj", Layer, Count, "pJ", "its energy (docs/energy.md): every event the simulator counted for it times that event's energy, and the static power over its span, rounded to a pJ", Tracked},
    {"pj_per_mac", Layer, Real, "pJ/MAC", "`energy_pj` over `macs`"},
    {"energy_delay", Layer, Real, "uJ x ms", "its energy-delay product: `energy_pj` in uJ x `us` in ms (a fused layer's: its group's; the layers' do not add up to the run's)"},
    {"energy", Layer, Real, "pJ", "`energy_pj` cut into the target's components: compute, each memory level, static (an object; below)"},
    {"predicted_cycles", Layer, Count, "cycles", "what the performance model expects its span to be: the same program's layers run in order on the target's predictor (absent on a target without one)", Prediction},
    {"prediction_error_pct", Layer, Real, "%", "how far the simulator measured from the prediction: (`cycles` - `predicted_cycles`) / `predicted_cycles` x 100, positive when slower than predicted (absent without a prediction)"},
    // ---- the run's totals -------------------------------------------------------------------
    {"cycles", Run, Count, "cycles", "the run: its last completion", Tracked},
    {"latency_ms", Run, Real, "ms", "`cycles` at the target's clock"},
    {"macs", Run, Count, "MACs", "the layers' MACs", Tracked},
    {"ops", Run, Count, "ops", "2 per MAC plus the pools' and eltwise ops (DESIGN.md §4.4)", Tracked},
    {"mac_per_cycle", Run, Real, "MAC/cycle", "`macs` over `cycles`"},
    {"utilization", Run, Real, "fraction", "`mac_per_cycle` over the int8 peak"},
    {"moveops", Run, Count, "bytes", "xfDNN's meaning (REFERENCE.md): intermediate activation bytes through off-chip memory, the network's own input and output not counted", Tracked},
    {"host_ms", Run, Real, "ms", "time on the host model"},
    {"offchip_level", Run, Text, "", "the target's off-chip memory, whose traffic `offchip_bytes` and the layers' `bytes_in` and `bytes_out` count"},
    {"offchip_bytes", Run, Count, "bytes", "traffic to and from off-chip memory, weights and activations", Tracked},
    {"bound", Run, Count, "cycles", "the run's bound: every unit's work and every level's bytes (an object; below)"},
    {"energy_pj", Run, Count, "pJ", "the run's energy: every counted event times its energy, and static power over `cycles` (docs/energy.md)", Tracked},
    {"energy_uj", Run, Real, "uJ", "`energy_pj` in uJ: the energy of one inference"},
    {"pj_per_mac", Run, Real, "pJ/MAC", "`energy_pj` over `macs`"},
    {"power_mw", Run, Real, "mW", "average power: `energy_pj` over `latency_ms`"},
    {"energy_delay", Run, Real, "uJ x ms", "the energy-delay product, `energy_uj` x `latency_ms`"},
    {"energy", Run, Real, "pJ", "`energy_pj` by component (an object, as the layers')"},
    {"tokens", Run, Count, "", "the token ids the network's inputs hold (an embedding's: a prefill's prompt, a decode step's one token); absent for a model without token inputs"},
    {"tokens_per_s", Run, Real, "tokens/s", "`tokens` over `latency_ms` (absent without `tokens`)"},
    {"uj_per_token", Run, Real, "uJ/token", "`energy_uj` over `tokens` (absent without `tokens` or energy)"},
    {"predicted_cycles", Run, Count, "cycles", "the predictor's run of the whole program: the layers' `predicted_cycles` added up (absent on a target without one)", Prediction},
    {"prediction_error_pct", Run, Real, "%", "(`cycles` - `predicted_cycles`) / `predicted_cycles` x 100 over the run (absent without a prediction)"},
};
// clang-format on
return kStatistics;
}

// "the text; <display name>: its note; ..." (each back end's note on a standard statistic).
std::string meaning_of(const StatDecl& stat, bool standard) {
  std::string meaning(stat.description);
  if (standard) {
    for (const TargetDescription* target : all_descriptions()) {
      for (const StatNote& note : target->statistic_notes) {
        if (note.name == stat.name && note.scope == stat.scope) {
          meaning += fmt::format("; {}: {}", target->display_name, note.text);
        }
      }
    }
  }
  if (stat.tracking == Tracking::Prediction) {
    meaning += " (tracked by `regress` as a prediction: a change is shown, never called worse)";
  } else if (stat.tracked()) {
    meaning += " (tracked by `regress`)";
  }
  return meaning;
}

void append_table(std::string& out, const std::vector<const StatDecl*>& rows, bool standard) {
  out += standard ? "| field | unit | meaning |\n|---|---|---|\n" : "| field | in | unit | meaning |\n|---|---|---|---|\n";
  for (const StatDecl* stat : rows) {
    if (standard) {
      out += fmt::format("| `{}` | {} | {} |\n", stat->name, stat->unit, meaning_of(*stat, true));
    } else {
      out += fmt::format("| `{}` | {} | {} | {} |\n", stat->name, stat->scope == Layer ? "`layers[]`" : "`totals`",
                         stat->unit, meaning_of(*stat, false));
    }
  }
}

const std::vector<StatDecl>* block_of(std::string_view target) {
  const TargetDescription* description = find_description(target);
  return description == nullptr ? nullptr : &description->statistics;
}

}  // namespace

const std::vector<StatDecl>& standard_statistics() { return declarations(); }

bool is_standard(StatScope scope, std::string_view name) {
  const auto& stats = standard_statistics();
  return std::any_of(stats.begin(), stats.end(), [&](const StatDecl& s) { return s.scope == scope && s.name == name; });
}

const StatDecl* target_statistic(std::string_view target, StatScope scope, std::string_view name) {
  const std::vector<StatDecl>* block = block_of(target);
  if (block == nullptr) return nullptr;
  for (const StatDecl& stat : *block) {
    if (stat.scope == scope && stat.name == name) return &stat;
  }
  return nullptr;
}

std::vector<const StatDecl*> target_statistics(std::string_view target, StatScope scope) {
  std::vector<const StatDecl*> out;
  if (const std::vector<StatDecl>* block = block_of(target)) {
    for (const StatDecl& stat : *block) {
      if (stat.scope == scope) out.push_back(&stat);
    }
  }
  return out;
}

std::vector<std::string> tracked_statistics(StatScope scope) {
  std::vector<std::string> out;
  const auto add = [&](const std::vector<StatDecl>& stats) {
    for (const StatDecl& stat : stats) {
      if (stat.scope != scope || !stat.tracked()) continue;
      if (std::find(out.begin(), out.end(), stat.name) == out.end()) out.emplace_back(stat.name);
    }
  };
  add(standard_statistics());
  for (const TargetDescription* target : all_descriptions()) add(target->statistics);
  return out;
}

bool is_part_of_cycles(std::string_view name) {
  const auto part = [&](const std::vector<StatDecl>& stats) {
    return std::any_of(stats.begin(), stats.end(),
                       [&](const StatDecl& s) { return s.name == name && s.tracking == Tracking::Part; });
  };
  if (part(standard_statistics())) return true;
  const auto targets = all_descriptions();
  return std::any_of(targets.begin(), targets.end(), [&](const TargetDescription* t) { return part(t->statistics); });
}

bool is_prediction(std::string_view name) {
  const auto prediction = [&](const std::vector<StatDecl>& stats) {
    return std::any_of(stats.begin(), stats.end(),
                       [&](const StatDecl& s) { return s.name == name && s.tracking == Tracking::Prediction; });
  };
  if (prediction(standard_statistics())) return true;
  const auto targets = all_descriptions();
  return std::any_of(targets.begin(), targets.end(),
                     [&](const TargetDescription* t) { return prediction(t->statistics); });
}

std::string statistics_markdown() {
  std::string out;
  for (const StatScope scope : {Layer, Run}) {
    out += fmt::format("Standard fields of {} (every target):\n\n", scope == Layer ? "`layers[]`" : "`totals`");
    std::vector<const StatDecl*> rows;
    for (const StatDecl& stat : standard_statistics()) {
      if (stat.scope == scope) rows.push_back(&stat);
    }
    append_table(out, rows, true);
    out += "\n";
  }
  for (const TargetDescription* target : all_descriptions()) {
    const char* name = target_name(target->target);
    out += fmt::format("The `{0}` block (`layers[].{0}`, `totals.{0}`; {1} reports only):\n\n", name,
                       target->display_name);
    std::vector<const StatDecl*> rows = target_statistics(name, Layer);
    const std::vector<const StatDecl*> run = target_statistics(name, Run);
    rows.insert(rows.end(), run.begin(), run.end());
    append_table(out, rows, false);
    out += "\n";
  }
  return out;
}

}  // namespace wb::report
