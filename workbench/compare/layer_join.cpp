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

// The longest subsequence of `keys` whose positions (`position[k]`, all distinct) increase:
// for distinct keys that is the longest common subsequence of the two orders.
std::vector<std::string> longest_increasing(const std::vector<std::string>& keys,
                                            const std::map<std::string, std::size_t>& position) {
  std::vector<std::size_t> tails;        // tails[l]: index in keys ending a run of length l + 1
  std::vector<std::ptrdiff_t> previous(keys.size(), -1);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::size_t p = position.at(keys[i]);
    const auto it = std::lower_bound(tails.begin(), tails.end(), p,
                                     [&](std::size_t tail, std::size_t value) { return position.at(keys[tail]) < value; });
    const auto length = static_cast<std::size_t>(it - tails.begin());
    if (length > 0) previous[i] = static_cast<std::ptrdiff_t>(tails[length - 1]);
    if (it == tails.end()) {
      tails.push_back(i);
    } else {
      *it = i;
    }
  }
  std::vector<std::string> kept;
  for (std::ptrdiff_t i = tails.empty() ? -1 : static_cast<std::ptrdiff_t>(tails.back()); i >= 0; i = previous[i]) {
    kept.push_back(keys[static_cast<std::size_t>(i)]);
  }
  std::reverse(kept.begin(), kept.end());
  return kept;
}

}  // namespace

std::vector<JoinedRow> join_layers(const std::vector<std::vector<std::string>>& outputs) {
  if (outputs.empty()) return {};
  std::vector<std::map<std::string, std::size_t>> writers;
  for (const auto& report : outputs) writers.push_back(unique_writers(report));

  // The first report's order, then narrowed to what every other report agrees with.
  std::vector<std::string> keys;
  for (const std::string& tensor : outputs[0]) {
    if (!writers[0].contains(tensor)) continue;
    if (std::all_of(writers.begin(), writers.end(), [&](const auto& w) { return w.contains(tensor); })) {
      keys.push_back(tensor);
    }
  }
  for (std::size_t r = 1; r < writers.size(); ++r) keys = longest_increasing(keys, writers[r]);

  std::vector<JoinedRow> rows(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) {
    rows[k].output = keys[k];
    rows[k].layers.resize(outputs.size());
  }
  JoinedRow tail;
  tail.layers.resize(outputs.size());
  for (std::size_t r = 0; r < outputs.size(); ++r) {
    std::size_t row = 0;
    for (std::size_t i = 0; i < outputs[r].size(); ++i) {
      if (row == keys.size()) {
        tail.layers[r].push_back(i);
        continue;
      }
      rows[row].layers[r].push_back(i);
      const auto writer = writers[r].find(keys[row]);
      if (writer->second == i) ++row;
    }
  }
  if (std::any_of(tail.layers.begin(), tail.layers.end(), [](const auto& l) { return !l.empty(); })) {
    rows.push_back(std::move(tail));
  }
  return rows;
}

}  // namespace wb::compare
