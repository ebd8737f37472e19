// Float inference time of the reference executor on an exported model (default: ResNet-50
// from the workload cache). Not a test: run it by hand and record the figures in
// BENCHMARKS.md with the command line.
//   bench_reference_executor [MODEL_DIR] [--runs N] [--threads N]

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_io.h"
#include "compiler/golden/reference_executor.h"
#include "tests/support/test_paths.h"

int main(int argc, char** argv) {
  std::filesystem::path dir = wb::test::workload_cache_dir() / "resnet50";
  int runs = 10;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::stoi(argv[++i]);
    else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = std::stoi(argv[++i]);
    else dir = argv[i];
  }
  if (threads > 0) wb::set_reference_threads(threads);
  try {
    const wb::ImportedModel model = wb::import_onnx_file(dir / "model.onnx");
    const wb::Tensor input = wb::read_tensor_file(dir / "input.npy");
    const wb::ReferenceExecutor executor(model.graph);
    executor.run({input});  // warm-up: page in weights, start the thread pool
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      executor.run({input});
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    fmt::print("model {}\nruns {}  threads {}\nmin {:.1f} ms  median {:.1f} ms  max {:.1f} ms\n", dir.string(), runs,
               threads > 0 ? std::to_string(threads) : "default", ms.front(), ms[ms.size() / 2], ms.back());
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  return 0;
}
