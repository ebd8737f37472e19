// workbench._core: the library calls behind the Python package `workbench` (docs/python.md).
// Each call is what the command of the same name does (the same functions, no second
// implementation): the package around it only shapes their results into DataFrames. Errors
// of the input raise WorkbenchError (a ValueError) with the message the command line prints;
// Ctrl-C raises KeyboardInterrupt once the running phase has stopped.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "compiler/golden/reference_executor.h"
#include "isa/hw_config.h"
#include "python/call_scope.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/interrupt.h"
#include "workbench/compare/compare_reports.h"
#include "workbench/compile.h"
#include "workbench/hw_show.h"
#include "workbench/model_cache.h"
#include "workbench/regress/history_db.h"
#include "workbench/report/report_json.h"
#include "workbench/report/report_stats.h"
#include "workbench/run.h"
#include "workbench/sweep/executor.h"
#include "workbench/sweep/results_db.h"
#include "workbench/sweep/sweep.h"
#include "workbench/sweep/tables.h"
#include "workbench/sweep_report/pareto.h"
#include "workbench/sweep_report/roofline.h"
#include "workbench/version.h"

namespace py = pybind11;

namespace wb::python {

namespace {

// Runs `work` with the GIL released and Ctrl-C polled; its log and the library's warnings are
// returned beside its result.
template <class Result>
struct Called {
  Result result;
  std::string log;
  std::vector<std::string> warnings;
};

template <class Work>
auto call(Work&& work) {
  using Result = decltype(work(std::declval<std::ostream&>()));
  std::ostringstream log;
  std::optional<Result> result;
  {
    py::gil_scoped_release release;
    InterruptScope interrupts;
    try {
      result.emplace(work(log));
    } catch (...) {
      take_warnings();  // the error's message says it all; a half-done step's warnings would mislead
      throw;
    }
  }
  return Called<Result>{std::move(*result), log.str(), take_warnings()};
}

py::dict called_dict(std::string log, std::vector<std::string> warnings) {
  py::dict d;
  d["log"] = std::move(log);
  d["warnings"] = std::move(warnings);
  return d;
}

CompileRequest compile_request(const std::string& model, const std::string& hw, std::vector<std::string> overrides,
                               std::vector<std::string> compile_opts, const std::string& scheme,
                               const std::string& calib_dir, const std::string& calib_method, int calib_count,
                               std::uint64_t seed, int threads, std::vector<std::string> shapes) {
  if (threads > 0) set_reference_threads(threads);
  CompileRequest request;
  request.shapes = std::move(shapes);
  request.model = model;
  request.hw = hw;
  request.overrides = std::move(overrides);
  request.compile_opts = std::move(compile_opts);
  request.scheme = scheme;
  request.calib_dir = calib_dir;
  request.calib_method = calib_method;
  if (calib_count < 1) throw UserError(fmt::format("calib_count {}: need at least one input", calib_count));
  request.calib_count = calib_count;
  request.seed = seed;
  return request;
}

// The report as JSON text (the package parses it once, as the CLI's --json would read), the
// simulated outputs as integer arrays, the log and the warnings.
py::dict run_result(Called<report::RunReport> called, const std::vector<NetworkOutput>& outputs) {
  py::dict d = called_dict(std::move(called.log), std::move(called.warnings));
  d["report"] = report::to_json(called.result).dump();
  py::list arrays;
  for (const NetworkOutput& o : outputs) {
    py::array_t<std::int32_t> values(o.shape);
    std::copy(o.values.begin(), o.values.end(), values.mutable_data());
    arrays.append(py::make_tuple(o.name, values, o.scale));
  }
  d["outputs"] = arrays;
  return d;
}

// Runs one of run_model / sim_program / verify_program on `command` with the simulated outputs
// kept and no console table (the log keeps the totals).
template <class Command>
py::dict reported(Command& command, report::RunReport (*step)(const Command&, std::ostream&)) {
  std::vector<NetworkOutput> outputs;
  command.outputs.table = false;
  command.outputs.network_outputs = &outputs;
  auto called = call([&](std::ostream& log) { return step(command, log); });
  return run_result(std::move(called), outputs);
}

// "NAME=PATH" or "PATH" each, as --input takes them.
InputFiles input_files(const std::vector<std::string>& inputs) {
  InputFiles files;
  for (const std::string& text : inputs) files.push_back(parse_input_option(text));
  return files;
}

py::dict run(const std::string& model, const std::string& hw, std::vector<std::string> overrides,
             std::vector<std::string> compile_opts, const std::string& scheme, const std::string& calib_dir,
             const std::string& calib_method, int calib_count, std::uint64_t seed, bool data,
             const std::vector<std::string>& inputs, bool cache, int threads, std::vector<std::string> shapes) {
  RunCommand command;
  command.compile = to_compile_command(compile_request(model, hw, std::move(overrides), std::move(compile_opts), scheme,
                                                       calib_dir, calib_method, calib_count, seed, threads,
                                                       std::move(shapes)));
  command.inputs = input_files(inputs);
  command.no_data = !data;
  if (!data && !command.inputs.empty()) {
    throw UserError(fmt::format("inputs: data=False runs no arithmetic, so no input is read; drop one of them"));
  }
  if (cache) command.compile.model_cache = default_cache_dir() / "models";
  return reported(command, &run_model);
}

py::dict simulate(const std::string& program, const std::string& hw, std::vector<std::string> overrides,
                  const std::vector<std::string>& inputs, std::uint64_t seed, bool data) {
  SimCommand command;
  command.program = program;
  command.hw = hw;
  command.overrides = std::move(overrides);
  command.inputs = input_files(inputs);
  command.seed = seed;
  command.no_data = !data;
  return reported(command, &sim_program);
}

py::dict verify(const std::string& dir, const std::string& hw, std::vector<std::string> overrides,
                const std::vector<std::string>& inputs, std::uint64_t seed) {
  VerifyCommand command;
  command.dir = dir;
  command.hw = hw;
  command.overrides = std::move(overrides);
  command.inputs = input_files(inputs);
  command.seed = seed;
  return reported(command, &verify_program);
}

py::dict compile(const std::string& model, const std::string& hw, const std::string& out_dir,
                 std::vector<std::string> overrides, std::vector<std::string> compile_opts, const std::string& scheme,
                 const std::string& calib_dir, const std::string& calib_method, int calib_count, std::uint64_t seed,
                 bool cache, int threads, std::vector<std::string> shapes) {
  CompileCommand command = to_compile_command(compile_request(model, hw, std::move(overrides), std::move(compile_opts),
                                                              scheme, calib_dir, calib_method, calib_count, seed, threads,
                                                              std::move(shapes)));
  command.out_dir = out_dir;
  if (cache) command.model_cache = default_cache_dir() / "models";
  auto called = call([&](std::ostream& log) {
    run_compile(command, log);
    return 0;
  });
  return called_dict(std::move(called.log), std::move(called.warnings));
}

py::object hw_value(const HwValue& value) {
  return std::visit([](const auto& v) -> py::object { return py::cast(v); }, value);
}

// The resolved config (`hw show --json`'s form) and its key table: one entry per key with its
// value, unit, range, meaning and where the value comes from.
py::dict hw_config(const std::string& path, std::vector<std::string> overrides) {
  auto called = call([&](std::ostream&) { return load_hw_config(path, overrides); });
  const HwConfig& config = called.result;
  py::dict d = called_dict(std::move(called.log), std::move(called.warnings));
  d["json"] = hw_config_json(config).dump();
  py::list keys;
  for (const HwKeyValue& kv : resolved_keys(config)) {
    py::dict key;
    key["key"] = std::string(kv.key.path);
    key["value"] = hw_value(kv.value);
    key["text"] = hw_value_text(kv.key.kind, kv.value);
    key["unit"] = std::string(kv.key.unit);
    key["range"] = hw_key_range(config.target(), kv.key.path);
    key["meaning"] = std::string(kv.key.meaning);
    key["provenance"] = std::string(provenance_name(kv.key.provenance));
    key["source"] = std::string(kv.key.source);
    key["default"] = kv.key.default_value ? hw_value(*kv.key.default_value) : py::none();
    keys.append(key);
  }
  d["keys"] = keys;
  return d;
}

py::dict sweep(const std::string& spec, const std::string& db, std::size_t jobs, std::optional<double> timeout_s,
               bool retry_failed, const std::string& executable) {
  sweep::SweepOptions options;
  options.spec = spec;
  if (!db.empty()) options.db = db;
  options.jobs = jobs;
  options.timeout_s = timeout_s;
  options.retry_failed = retry_failed;
  options.executable = executable;
  auto called = call([&](std::ostream& log) {
    const int status = sweep::run_sweep(options, log, log);
    // The process pool stopped its points itself (those finished are stored).
    if (status == sweep::kExitInterrupted) throw Interrupted();
    return status;
  });
  py::dict d = called_dict(std::move(called.log), std::move(called.warnings));
  d["exit_code"] = called.result;
  d["db"] = (db.empty() ? sweep::resolve_db(spec) : std::filesystem::path(db)).string();
  return d;
}

py::dict sweep_export(const std::string& db, const std::string& csv, const std::string& layers_csv) {
  sweep::ExportOptions options;
  options.db = db;
  options.csv = csv;
  if (!layers_csv.empty()) options.layers_csv = layers_csv;
  auto called = call([&](std::ostream& log) { return sweep::run_export(options, log); });
  return called_dict(std::move(called.log), std::move(called.warnings));
}

// Opens a sweep's results database to check it is one (Sweep.open): UserError naming the
// file otherwise, in the command line's words.
void check_sweep_db(const std::string& db) {
  call([&](std::ostream&) {
    sweep::ResultsDb opened(db, false);
    return 0;
  });
}

// The frontier of (x, y) pairs as the sweep report draws it: indices by increasing x.
py::dict pareto(const std::vector<std::pair<double, double>>& points, const std::string& y) {
  const bool maximize = sweep::higher_is_better(y);
  py::dict d;
  d["indices"] = sweep::pareto_frontier(points, maximize);
  d["maximize_y"] = maximize;
  return d;
}

// `compare` of run reports given as JSON text, labelled A, B, ... in the order given; the
// joined table as compare --csv writes it.
std::string compare(const std::vector<std::string>& reports, const std::vector<std::string>& sources,
                    const std::string& unit, const std::vector<std::string>& stats) {
  std::optional<compare::TimeUnit> asked;
  if (unit == "cycles") asked = compare::TimeUnit::Cycles;
  else if (unit == "us") asked = compare::TimeUnit::Microseconds;
  else if (!unit.empty()) throw UserError(fmt::format("unit {}: cycles or us", unit));
  if (reports.size() < 2) {
    throw UserError(fmt::format("compare needs at least two runs or run reports (got {})", reports.size()));
  }
  auto called = call([&](std::ostream&) {
    std::vector<compare::ReportSide> sides;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const nlohmann::json doc = nlohmann::json::parse(reports[i], nullptr, false);
      if (doc.is_discarded()) throw UserError(fmt::format("{}: not valid JSON", sources.at(i)));
      sides.push_back(compare::side_of(doc, i, sources.at(i)));
    }
    return compare::comparison_csv(compare::compare(std::move(sides), asked, stats));
  });
  return called.result;
}

// Every recorded figure of the history database, one row per run, layer ("" for the totals)
// and figure, commits in recording order: the long table `regress history` draws from.
py::dict history(const std::string& db_path) {
  struct Row {
    std::size_t commit_index;
    std::string commit, first_recorded, model, config, target, scheme, compile_options, layer, metric;
    bool data;
    std::uint64_t value;
  };
  auto called = call([&](std::ostream&) {
    const regress::HistoryDb db(db_path, false);
    std::vector<Row> rows;
    const std::vector<regress::RecordedCommit> commits = db.commits();
    for (std::size_t c = 0; c < commits.size(); ++c) {
      for (const regress::RunRecord& run : db.runs_of(commits[c])) {
        const auto add = [&](const std::string& layer, const regress::Figures& figures) {
          for (const auto& [metric, value] : figures) {
            rows.push_back({c, commits[c].label(), commits[c].first_recorded, run.model, run.config, run.target,
                            run.scheme, run.compile_options, layer, metric, run.data, value});
          }
        };
        add("", run.totals);
        for (const regress::LayerRecord& layer : run.layers) add(layer.name, layer.figures);
      }
    }
    return rows;
  });
  std::map<std::string, py::list> columns;
  const char* names[] = {"commit_index", "commit", "first_recorded", "model", "config", "target", "scheme",
                         "compile_options", "data", "layer", "metric", "value"};
  for (const char* n : names) columns[n] = py::list();
  for (const Row& r : called.result) {
    columns["commit_index"].append(r.commit_index);
    columns["commit"].append(r.commit);
    columns["first_recorded"].append(r.first_recorded);
    columns["model"].append(r.model);
    columns["config"].append(r.config);
    columns["target"].append(r.target);
    columns["scheme"].append(r.scheme);
    columns["compile_options"].append(r.compile_options);
    columns["data"].append(r.data);
    columns["layer"].append(r.layer);
    columns["metric"].append(r.metric);
    columns["value"].append(r.value);
  }
  py::dict d;
  for (const char* n : names) d[n] = columns[n];
  return d;
}

void plot(const std::string& report_json, const std::string& dir) {
  const report::RunReport report = report::from_json(nlohmann::json::parse(report_json), "run");
  call([&](std::ostream& log) {
    sweep::plot_run_roofline(report, dir, log, log);
    return 0;
  });
}

}  // namespace

}  // namespace wb::python

PYBIND11_MODULE(_core, m) {
  using namespace wb::python;
  m.doc() = "The workbench library behind the Python package `workbench` (docs/python.md).";
  static py::exception<wb::UserError> error(m, "WorkbenchError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const wb::UserError& e) {
      error(e.what());
    } catch (const wb::Interrupted&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });
  m.attr("version") = wb::build_id();
  m.attr("executable") = WB_EXECUTABLE;
  m.def("run", &run, py::arg("model"), py::arg("hw"), py::arg("overrides"), py::arg("compile_opts"), py::arg("scheme"),
        py::arg("calib_dir"), py::arg("calib_method"), py::arg("calib_count"), py::arg("seed"), py::arg("data"),
        py::arg("inputs"), py::arg("cache"), py::arg("threads"), py::arg("shapes"));
  m.def("simulate", &simulate, py::arg("program"), py::arg("hw"), py::arg("overrides"), py::arg("inputs"),
        py::arg("seed"), py::arg("data"));
  m.def("verify", &verify, py::arg("dir"), py::arg("hw"), py::arg("overrides"), py::arg("inputs"), py::arg("seed"));
  m.def("compile", &compile, py::arg("model"), py::arg("hw"), py::arg("out_dir"), py::arg("overrides"),
        py::arg("compile_opts"), py::arg("scheme"), py::arg("calib_dir"), py::arg("calib_method"),
        py::arg("calib_count"), py::arg("seed"), py::arg("cache"), py::arg("threads"), py::arg("shapes"));
  m.def("hw_config", &hw_config, py::arg("path"), py::arg("overrides"));
  m.def("sweep", &sweep, py::arg("spec"), py::arg("db"), py::arg("jobs"), py::arg("timeout_s"),
        py::arg("retry_failed"), py::arg("executable"));
  m.def("sweep_export", &sweep_export, py::arg("db"), py::arg("csv"), py::arg("layers_csv"));
  m.def("check_sweep_db", &check_sweep_db, py::arg("db"));
  m.def("pareto", &pareto, py::arg("points"), py::arg("y"));
  m.def("compare", &compare, py::arg("reports"), py::arg("sources"), py::arg("unit"), py::arg("stats"));
  m.def("history", &history, py::arg("db"));
  m.def("default_history_path", [] { return wb::regress::default_history_path().string(); });
  m.def("plot", &plot, py::arg("report"), py::arg("dir"));
  // The standard per-layer statistics in declaration order (report_stats.cpp): Run.layers' leading
  // columns, so the Python side lists none by hand.
  m.def("layer_statistics", [] {
    std::vector<std::string> names;
    for (const wb::report::StatDecl& stat : wb::report::standard_statistics()) {
      if (stat.scope == wb::report::StatScope::Layer) names.emplace_back(stat.name);
    }
    return names;
  });
}
