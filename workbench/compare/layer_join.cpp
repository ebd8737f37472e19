#include "workbench/compare/layer_join.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace wb::compare {
namespace {

// Tensor -> layer index, for the tensors exactly one of a report's layers writes.
std::map<std::string, std::size_t> unique_writers(const std::vector<LayerWrites>& layers) {
  std::map<std::string, std::size_t> index;
  std::set<std::string> repeated;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    for (const std::string& tensor : layers[i]) {
      if (tensor.empty() || repeated.contains(tensor)) continue;
      if (!index.emplace(tensor, i).second) {
        index.erase(tensor);
        repeated.insert(tensor);
      }
    }
  }
  return index;
}

// Union-find over the rows: a layer that writes several common tensors (xDNN's merged sibling
// convs) makes their rows one.
struct RowGroups {
  std::vector<std::size_t> parent;
  std::size_t find(std::size_t r) {
    while (parent[r] != r) r = parent[r] = parent[parent[r]];
    return r;
  }
  void join(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the earlier row stands for the group
  }
};

}  // namespace

std::vector<JoinedRow> join_layers(const std::vector<std::vector<LayerWrites>>& reports) {
  if (reports.empty()) return {};
  std::vector<std::map<std::string, std::size_t>> writers;
  for (const auto& report : reports) writers.push_back(unique_writers(report));

  // A row per tensor every report writes once, in the first report's order.
  std::vector<std::string> tensors;
  std::map<std::string, std::size_t> row_of;
  for (const LayerWrites& layer : reports[0]) {
    for (const std::string& tensor : layer) {
      if (!writers[0].contains(tensor) || row_of.contains(tensor)) continue;
      if (std::all_of(writers.begin(), writers.end(), [&](const auto& w) { return w.contains(tensor); })) {
        row_of[tensor] = tensors.size();
        tensors.push_back(tensor);
      }
    }
  }
  RowGroups groups{std::vector<std::size_t>(tensors.size())};
  for (std::size_t r = 0; r < tensors.size(); ++r) groups.parent[r] = r;
  for (const auto& report : reports) {
    for (const LayerWrites& layer : report) {
      std::optional<std::size_t> first;
      for (const std::string& tensor : layer) {
        const auto row = row_of.find(tensor);
        if (row == row_of.end()) continue;
        if (first) groups.join(*first, row->second);
        first = row->second;
      }
    }
  }
  // The groups as rows, in the order of their first tensor; each named by its tensors.
  std::vector<JoinedRow> rows;
  std::vector<std::size_t> row_of_group(tensors.size(), 0);
  for (std::size_t r = 0; r < tensors.size(); ++r) {
    const std::size_t group = groups.find(r);
    if (group == r) {
      row_of_group[r] = rows.size();
      rows.push_back({tensors[r], std::vector<std::vector<std::size_t>>(reports.size())});
    } else {
      rows[row_of_group[group]].output += " + " + tensors[r];
    }
  }
  JoinedRow tail{"", std::vector<std::vector<std::size_t>>(reports.size())};
  // Each report's layers go to the row of the tensors they write, whatever order the report ran
  // them in; a layer that writes no common tensor (its work fused into another layer on some
  // target) goes with the next layer of its report that does.
  for (std::size_t r = 0; r < reports.size(); ++r) {
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < reports[r].size(); ++i) {
      pending.push_back(i);
      std::optional<std::size_t> row;
      for (const std::string& tensor : reports[r][i]) {
        const auto it = row_of.find(tensor);
        if (it != row_of.end() && writers[r].at(tensor) == i) row = row_of_group[groups.find(it->second)];
      }
      if (!row) continue;
      auto& layers = rows[*row].layers[r];
      layers.insert(layers.end(), pending.begin(), pending.end());
      std::sort(layers.begin(), layers.end());
      pending.clear();
    }
    tail.layers[r] = std::move(pending);
  }
  if (std::any_of(tail.layers.begin(), tail.layers.end(), [](const auto& l) { return !l.empty(); })) {
    rows.push_back(std::move(tail));
  }
  return rows;
}

std::vector<JoinedRow> join_layers(const std::vector<std::vector<std::string>>& outputs) {
  std::vector<std::vector<LayerWrites>> reports;
  for (const auto& report : outputs) {
    std::vector<LayerWrites> layers;
    for (const std::string& tensor : report) layers.push_back({tensor});
    reports.push_back(std::move(layers));
  }
  return join_layers(reports);
}

}  // namespace wb::compare
