#include "compiler/passes/pass_manager.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>

#include "compiler/ir/printer.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/verifier.h"
#include "compiler/passes/pass_registry.h"
#include "support/atomic_file.h"
#include "support/error.h"

namespace wb {
namespace {

std::vector<std::string> split_pipeline(std::string_view text) {
  std::vector<std::string> names;
  std::string current;
  for (char c : text) {
    if (c == ',') {
      names.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  names.push_back(current);
  std::vector<std::string> expanded;
  for (const auto& name : names) {
    if (name.empty()) throw UserError(fmt::format("empty pass name in pipeline '{}'", text));
    if (name == "default") {
      for (auto& n : split_pipeline(kDefaultPipeline)) expanded.push_back(n);
    } else {
      expanded.push_back(name);
    }
  }
  return expanded;
}

// Values nothing reads or produces any more (the constants of folded nodes).
void remove_dead_values(Graph& graph) {
  std::set<const Value*> used;
  for (const Node* node : graph.nodes()) {
    used.insert(node->inputs.begin(), node->inputs.end());
    used.insert(node->outputs.begin(), node->outputs.end());
  }
  for (Value* value : graph.values()) {
    const bool is_input = std::find(graph.inputs().begin(), graph.inputs().end(), value) != graph.inputs().end();
    if (used.count(value) == 0 && !is_input && !graph.is_graph_output(value) && value->producer == nullptr) {
      graph.erase_value(value);
    }
  }
}

}  // namespace

PassManager::PassManager(PassManagerOptions options) : options_(std::move(options)) {}

PassManager PassManager::from_pipeline(std::string_view pipeline, PassManagerOptions options) {
  PassManager manager(std::move(options));
  for (const auto& name : split_pipeline(pipeline)) manager.add(create_pass(name));
  return manager;
}

void PassManager::add(std::unique_ptr<Pass> pass) {
  // A pass named in an earlier pass's must_follow() may not come after it.
  for (const auto& existing : passes_) {
    for (std::string_view must_precede : existing->must_follow()) {
      if (must_precede == pass->name()) {
        throw UserError(fmt::format("pass '{}' must run before '{}' in the pipeline", pass->name(), existing->name()));
      }
    }
  }
  passes_.push_back(std::move(pass));
}

std::string PassManager::pipeline() const {
  std::vector<std::string_view> names;
  for (const auto& pass : passes_) names.push_back(pass->name());
  return fmt::format("{}", fmt::join(names, ","));
}

void PassManager::print(const Graph& graph, const std::string& title, std::size_t index, const std::string& pass) {
  const std::string text = fmt::format("// -----// IR {} //----- //\n{}", title, to_string(graph));
  if (options_.dump_dir) {
    std::filesystem::create_directories(*options_.dump_dir);
    write_file_atomically(*options_.dump_dir / fmt::format("{:02}-{}.txt", index, pass), text);
  } else {
    *(options_.print_stream ? options_.print_stream : &std::cerr) << text << '\n';
  }
}

std::vector<PassRecord> PassManager::run(Graph& graph) {
  std::vector<PassRecord> records;
  for (std::size_t i = 0; i < passes_.size(); ++i) {
    Pass& pass = *passes_[i];
    PassRecord record;
    record.name = std::string(pass.name());
    PassStatistics stats;
    const auto start = std::chrono::steady_clock::now();
    try {
      record.changed = pass.run(graph, stats);
      remove_dead_values(graph);
      infer_shapes(graph);
      verify_graph(graph);
    } catch (const UserError& e) {
      print(graph, fmt::format("after failure of {}", pass.name()), i + 1, record.name + "-failed");
      throw UserError(fmt::format("pass {}: {}", pass.name(), e.what()));
    } catch (const std::exception& e) {
      print(graph, fmt::format("after failure of {}", pass.name()), i + 1, record.name + "-failed");
      throw std::logic_error(fmt::format("pass {}: {}", pass.name(), e.what()));
    }
    record.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    record.counters = stats.counters();
    const bool wanted = options_.print_after_all || options_.print_after.count(record.name) != 0;
    if (wanted && (record.changed || !options_.print_only_if_changed)) {
      print(graph, fmt::format("after {}", pass.name()), i + 1, record.name);
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::string format_pass_statistics(const std::vector<PassRecord>& records) {
  std::string text;
  for (const auto& record : records) {
    for (const auto& [counter, count] : record.counters) text += fmt::format("{}: {} {}\n", record.name, counter, count);
  }
  return text;
}

}  // namespace wb
