#include "compiler/quant/refusals.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include <fmt/format.h>

namespace wb::quant {
namespace {

// Ops that only move data (views, copies, joins and parts): a root cause strands the nodes it
// reaches through them, not through arithmetic.
bool moves_data(OpKind op) {
  switch (op) {
    case OpKind::Reshape:
    case OpKind::Flatten:
    case OpKind::Transpose:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Identity:
    case OpKind::Concat:
    case OpKind::Slice:
    case OpKind::Gather:
    case OpKind::Expand: return true;
    default: return false;
  }
}

std::vector<const Node*> neighbours(const Graph& graph, const Node& node) {
  std::vector<const Node*> around;
  for (const Value* in : node.inputs) {
    if (in != nullptr && !in->is_constant() && in->producer != nullptr) around.push_back(in->producer);
  }
  for (const Value* out : node.outputs) {
    if (out == nullptr) continue;
    for (const Node* user : graph.users(out)) around.push_back(user);
  }
  return around;
}

constexpr std::size_t kNamed = 6;

// A node as users know it: its name and op, or the model's node a pass made it from.
std::string known_as(const Node& node) {
  if (node.made_from.empty()) return fmt::format("{} ({})", node.name, node.op_type);
  return fmt::format("{} (as a pass rewrote it: a {})", node.made_from, node.op_type);
}

// "a (Op), b (Op), ... and 3 more" of the refusals `which`.
std::string named(const std::vector<Refusal>& refusals, std::vector<std::size_t> which) {
  std::sort(which.begin(), which.end());
  std::string names;
  for (std::size_t k = 0; k < which.size() && k < kNamed; ++k) {
    names += fmt::format("{}{}", k == 0 ? "" : ", ", known_as(*refusals[which[k]].node));
  }
  if (which.size() > kNamed) names += fmt::format(" and {} more", which.size() - kNamed);
  return names;
}

class RootCauses {
 public:
  RootCauses(const Graph& graph, const std::vector<Refusal>& refusals) : graph_(graph), refusals_(refusals) {
    for (std::size_t i = 0; i < refusals.size(); ++i) refused_.emplace(refusals[i].node, i);
    group_roots();
    fold_knock_ons();
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < refusals_.size(); ++i) {
      if (folded_.count(i) != 0) continue;
      const Refusal& r = refusals_[i];
      std::string line = known_as(*r.node);
      const auto same = same_cause_.find(i);
      const bool several = same != same_cause_.end() && !same->second.empty();
      if (several) {
        line += fmt::format(" and {} more joined to it by data moves ({})", same->second.size(),
                            named(refusals_, same->second));
      }
      line += ": " + r.reason;
      if (several) {
        // The others' reasons, each once, by the first that gives it.
        std::set<std::string> told{r.reason};
        for (const std::size_t other : same->second) {
          if (told.insert(refusals_[other].reason).second) {
            line += fmt::format("; {}: {}", known_as(*refusals_[other].node), refusals_[other].reason);
          }
        }
      }
      if (const auto it = stranded_.find(i); it != stranded_.end()) {
        const std::size_t n = it->second.size();
        line += fmt::format("; with {} {} node{} around fail{}, each with an integer form only in a pattern this "
                            "breaks: {}",
                            several ? "them" : "it", n, n == 1 ? "" : "s", n == 1 ? "s" : "", named(refusals_, it->second));
      }
      out.push_back(std::move(line));
    }
    return out;
  }

 private:
  // Root causes that move data, joined through data moves, are one cause (a pattern of data
  // moves none of the passes recognise, as torch's repeat_interleave): told once, by the first,
  // naming the others and their other reasons. Arithmetic without an integer form is a cause
  // each time.
  void group_roots() {
    std::set<std::size_t> grouped;
    for (std::size_t i = 0; i < refusals_.size(); ++i) {
      if (refusals_[i].for_where_it_is || grouped.count(i) != 0) continue;
      grouped.insert(i);
      leader_[i] = i;
      if (!moves_data(refusals_[i].node->op)) continue;
      std::set<const Node*> seen{refusals_[i].node};
      std::deque<const Node*> frontier{refusals_[i].node};
      while (!frontier.empty()) {
        const Node* node = frontier.front();
        frontier.pop_front();
        for (const Node* next : neighbours(graph_, *node)) {
          if (!seen.insert(next).second) continue;
          if (const auto r = refused_.find(next); r != refused_.end()) {
            const Refusal& other = refusals_[r->second];
            if (other.for_where_it_is || !moves_data(next->op) || grouped.count(r->second) != 0) continue;
            grouped.insert(r->second);
            leader_[r->second] = i;
            same_cause_[i].push_back(r->second);
            folded_.insert(r->second);
            frontier.push_back(next);
          } else if (moves_data(next->op)) {
            frontier.push_back(next);
          }
        }
      }
    }
  }

  // Breadth first from every root cause at once: a refusal of where joins the nearest.
  void fold_knock_ons() {
    std::set<const Node*> seen;
    std::deque<std::pair<const Node*, std::size_t>> frontier;
    for (const auto& [root, leader] : leader_) {
      frontier.emplace_back(refusals_[root].node, leader);
      seen.insert(refusals_[root].node);
    }
    while (!frontier.empty()) {
      const auto [node, leader] = frontier.front();
      frontier.pop_front();
      for (const Node* next : neighbours(graph_, *node)) {
        if (!seen.insert(next).second) continue;
        if (const auto r = refused_.find(next); r != refused_.end()) {
          if (!refusals_[r->second].for_where_it_is) continue;
          stranded_[leader].push_back(r->second);
          folded_.insert(r->second);
          frontier.emplace_back(next, leader);
        } else if (moves_data(next->op)) {
          frontier.emplace_back(next, leader);
        }
      }
    }
  }

  const Graph& graph_;
  const std::vector<Refusal>& refusals_;
  std::map<const Node*, std::size_t> refused_;
  std::map<std::size_t, std::size_t> leader_;                   // root cause -> the first of its group
  std::map<std::size_t, std::vector<std::size_t>> same_cause_;  // leader -> the other roots of its group
  std::map<std::size_t, std::vector<std::size_t>> stranded_;    // leader -> the refusals of where it strands
  std::set<std::size_t> folded_;                                // told in a leader's line
};

}  // namespace

std::vector<std::string> refusal_lines(const Graph& graph, const std::vector<Refusal>& refusals) {
  return RootCauses(graph, refusals).lines();
}

}  // namespace wb::quant
