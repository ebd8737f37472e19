#include "workbench/report/report_fields.h"

namespace wb::report {

const std::vector<PlainField<LayerRow>>& layer_fields() {
  using R = LayerRow;
  static const std::vector<PlainField<R>> fields = {
      {"name", &R::name},
      {"type", &R::type},
      {"unit", &R::unit, false},
      {"output", &R::output, false},
      {"macs", &R::macs},
      {"ops", &R::ops},
      {"cycles", &R::cycles},
      {"us", &R::us, false},
      {"mac_per_cycle", &R::mac_per_cycle},
      {"utilization", &R::utilization},
      {"stall_cycles", &R::stall_cycles},
      {"bytes_in", &R::bytes_in},
      {"bytes_out", &R::bytes_out},
      {"tiles", &R::tiles},
  };
  return fields;
}

const std::vector<PlainField<Totals>>& totals_fields() {
  using T = Totals;
  static const std::vector<PlainField<T>> fields = {
      {"cycles", &T::cycles},
      {"latency_ms", &T::latency_ms},
      {"macs", &T::macs},
      {"ops", &T::ops},
      {"mac_per_cycle", &T::mac_per_cycle},
      {"utilization", &T::utilization},
      {"moveops", &T::moveops},
      {"host_ms", &T::host_ms},
      {"offchip_bytes", &T::offchip_bytes},
  };
  return fields;
}

const std::vector<std::string_view>& composite_statistics(StatScope scope) {
  static const std::vector<std::string_view> layer = {
      "parts",  "time",   "bound",           "energy_pj", "pj_per_mac", "energy_delay",
      "energy", "predicted_cycles", "prediction_error_pct"};
  static const std::vector<std::string_view> run = {
      "offchip_level", "bound",  "energy_pj", "energy_uj",    "pj_per_mac",       "power_mw",
      "energy_delay",  "energy", "tokens",    "tokens_per_s", "uj_per_token",     "predicted_cycles",
      "prediction_error_pct"};
  return scope == StatScope::Layer ? layer : run;
}

}  // namespace wb::report
