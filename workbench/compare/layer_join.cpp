#include "workbench/compare/layer_join.h"

#include <algorithm>
#include <map>
#include <set>

namespace wb::compare {
namespace {

// Tensor -> layer index, for the tensors a report's layers write exactly once.
std::map<std::string, std::size_t> unique_writers(const std::vector<std::string>& outputs) {
  std::map<std::string, std::size_t> index;
  std::set<std::string> repeated;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const std::string& tensor = outputs[i];
    if (tensor.empty() || repeated.contains(tensor)) continue;
    if (!index.emplace(tensor, i).second) {
      index.erase(tensor);
      repeated.insert(tensor);
    }
  }
  return index;
}

}  // namespace

std::vector<JoinedRow> join_layers(const std::vector<std::vector<std::string>>& outputs) {
  if (outputs.empty()) return {};
  std::vector<std::map<std::string, std::size_t>> writers;
  for (const auto& report : outputs) writers.push_back(unique_writers(report));

  // A row per tensor every report writes once, in the first report's order.
  std::vector<JoinedRow> rows;
  std::map<std::string, std::size_t> row_of;
  for (const std::string& tensor : outputs[0]) {
    if (!writers[0].contains(tensor) || row_of.contains(tensor)) continue;
    if (std::all_of(writers.begin(), writers.end(), [&](const auto& w) { return w.contains(tensor); })) {
      row_of[tensor] = rows.size();
      rows.push_back({tensor, std::vector<std::vector<std::size_t>>(outputs.size())});
    }
  }
  JoinedRow tail{"", std::vector<std::vector<std::size_t>>(outputs.size())};
  // Each report's layers go to the row of the tensor they write, whatever order the report ran
  // them in; a layer that writes no common tensor (its work fused into another layer on some
  // target) goes with the next layer of its report that does.
  for (std::size_t r = 0; r < outputs.size(); ++r) {
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < outputs[r].size(); ++i) {
      pending.push_back(i);
      const auto row = row_of.find(outputs[r][i]);
      if (row == row_of.end() || writers[r].at(row->first) != i) continue;
      auto& layers = rows[row->second].layers[r];
      layers.insert(layers.end(), pending.begin(), pending.end());
      pending.clear();
    }
    tail.layers[r] = std::move(pending);
  }
  if (std::any_of(tail.layers.begin(), tail.layers.end(), [](const auto& l) { return !l.empty(); })) {
    rows.push_back(std::move(tail));
  }
  return rows;
}

}  // namespace wb::compare
