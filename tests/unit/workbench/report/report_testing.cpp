#include "tests/unit/workbench/report/report_testing.h"

#include <sstream>

namespace wb::report::fixtures {

RunReport sample_report() {
  RunReport r;
  r.tool_version = "0.1.0";
  r.tool_git = "2d8683c+dirty.0a1b";
  r.tool_commit = "2d8683c";
  r.tool_dirty = true;
  r.run = {"xdnn", "a=on,b=dory", std::string(16, 'c'), true, {"am_bytes=4MiB", "array.rows=56"},
           {{"source", "synthetic"}, {"method", "minmax"}, {"count", 16}, {"seed", 1}}};
  r.wall = {1.25, 0.5};
  r.model_path = "workloads/resnet18/model.onnx";
  r.model_sha256 = std::string(64, 'a');
  r.model_name = "resnet18";
  r.hw_path = "configs/v3_96.yaml";
  r.hw_sha256 = std::string(64, 'b');
  r.target = "xdnn";
  r.hw_resolved = {{"array", {{"rows", 96}, {"cols", 16}}}, {"clock_mhz", 700}};
  r.verdict = "bit-exact";
  r.totals.cycles = 1'234'567;
  r.totals.macs = 1'800'000'000;
  r.totals.ops = 3'600'500'000;
  r.totals.moveops = 42;
  r.totals.latency_ms = 1.7636671428571428;
  r.totals.mac_per_cycle = 1458.0;
  r.totals.utilization = 0.474609375;
  r.totals.host_ms = 12.5;
  r.totals.offchip_bytes = 98'765'432;
  r.totals.specific = {{"peak_am_bytes", 9000000}, {"am_allocator", "bestfit"}};

  LayerRow conv;
  conv.name = "/conv1/Conv";
  conv.type = "Conv+Relu";
  conv.output = "/conv1/Relu_output_0";
  conv.macs = 118'013'952;
  conv.ops = 236'027'904;
  conv.cycles = 100'000;
  conv.stall_cycles = 20'000;
  conv.bytes_in = 150'528;
  conv.bytes_out = 802'816;
  conv.tiles = 7;
  conv.unit = "array";
  conv.mac_per_cycle = 1180.13952;
  conv.utilization = 0.25;
  conv.us = 142.857;
  conv.specific = {{"ddr_weight_bytes", 9408}};
  LayerRow fc;
  fc.name = "fc, final";  // a comma: CSV must quote it
  fc.type = "Gemm";
  fc.macs = 512'000;
  fc.ops = 1'024'000;
  fc.cycles = 4'000;
  fc.stall_cycles = 0;
  fc.bytes_in = 512;
  fc.bytes_out = 1000;
  fc.tiles = 1;
  fc.unit = "host";
  fc.mac_per_cycle = 128;
  fc.utilization = 0.5;
  fc.specific = {{"mapping_efficiency", 0.625}, {"ddr_weight_bytes", 512000}};
  r.layers = {conv, fc};
  return r;
}

RunReport sample_pulp_report() {
  RunReport r = sample_report();
  r.target = "pulp";
  r.run.scheme = "pulp";
  r.hw_path = "configs/gap8.yaml";
  r.hw_resolved = {{"cores", 8}, {"clock_mhz", 100}};
  r.totals.cycles = 2'100;
  r.totals.predicted_cycles = 2'000;
  r.totals.specific = {{"tiler", "cost"}};
  LayerRow conv = r.layers[0], pool = r.layers[1];
  conv.unit = pool.unit = "cores";
  conv.cycles = 1'200;
  conv.stall_cycles = 200;
  conv.predicted_cycles = 1'000;
  conv.specific = {{"kernel", "conv"}, {"tiler_cycles", 990}};
  pool.name = "/pool/MaxPool";
  pool.type = "maxpool";
  pool.cycles = 900;
  pool.stall_cycles = 0;
  pool.predicted_cycles = 1'000;
  pool.specific = {{"kernel", "maxpool"}, {"tiler_cycles", 1'000}};
  r.layers = {conv, pool};
  return r;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  std::size_t i = 0;
  bool at_field_start = true;
  while (i < text.size()) {
    const char c = text[i];
    if (at_field_start && c == '"') {
      ++i;
      while (i < text.size()) {
        if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          i += 2;
        } else if (text[i] == '"') {
          ++i;
          break;
        } else {
          field += text[i++];
        }
      }
      at_field_start = false;
      continue;
    }
    at_field_start = false;
    if (c == ',') {
      row.push_back(field);
      field.clear();
      at_field_start = true;
    } else if (c == '\n') {
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
      at_field_start = true;
    } else {
      field += c;
    }
    ++i;
  }
  return rows;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace wb::report::fixtures
