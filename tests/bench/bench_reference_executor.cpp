// Float inference time of the reference executor on an exported model (default: ResNet-50
// from the workload cache). Not a test: run it by hand and record the figures in
// BENCHMARKS.md with the command line. Also prints the output's error against the saved
// torch output (MODEL_DIR/output.npy) and, with --profile, the time per op type.
//   bench_reference_executor [MODEL_DIR] [--runs N] [--threads N] [--profile]

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/reference_executor.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"

int main(int argc, char** argv) {
  std::filesystem::path dir = wb::test::workload_cache_dir() / "resnet50";
  int runs = 10;
  int threads = 0;
  bool profile = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--profile") == 0) profile = true;
    else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::stoi(argv[++i]);
    else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = std::stoi(argv[++i]);
    else dir = argv[i];
  }
  if (threads > 0) wb::set_reference_threads(threads);
  try {
    const wb::ImportedModel model = wb::import_onnx_file(dir / "model.onnx");
    const wb::Tensor input = wb::read_tensor_file(dir / "input.npy");
    const wb::ReferenceExecutor executor(model.graph);
    const wb::Tensor output = executor.run({input})[0];  // warm-up: page in weights, start the thread pool
    std::vector<double> ms;
    // Time between consecutive observer calls, i.e. per node, summed by op type over all runs.
    std::map<std::string, double> op_ms;
    using Clock = std::chrono::steady_clock;
    Clock::time_point last;
    const wb::ReferenceExecutor::Observer observer = [&](const wb::Value& value, const wb::Tensor&) {
      const Clock::time_point now = Clock::now();
      op_ms[value.producer ? value.producer->op_type : "?"] += std::chrono::duration<double, std::milli>(now - last).count();
      last = Clock::now();
    };
    for (int r = 0; r < runs; ++r) {
      const auto start = Clock::now();
      last = start;
      executor.run({input}, profile ? observer : wb::ReferenceExecutor::Observer{});
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    fmt::print("model {}\nruns {}  threads {}\nmin {:.1f} ms  median {:.1f} ms  max {:.1f} ms\n", dir.string(), runs,
               threads > 0 ? std::to_string(threads) : "default", ms.front(), ms[ms.size() / 2], ms.back());
    // The figure torch_reference.py prints for torch.
    if (std::filesystem::exists(dir / "output.npy")) {
      fmt::print("max error vs saved output, relative to peak: {:.2e}\n",
                 wb::test::max_error_relative_to_peak(output, wb::read_tensor_file(dir / "output.npy")));
    }
    if (profile) {
      for (const auto& [op, total] : op_ms) fmt::print("  {:<20} {:7.2f} ms/run\n", op, total / runs);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  return 0;
}
