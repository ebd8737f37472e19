#include "workbench/tensor_dump.h"

#include <fmt/format.h>

#include "compiler/frontend/tensor_files.h"

namespace wb {

std::vector<Tensor> run_and_dump(const golden::IntegerExecutor& executor, const std::vector<Tensor>& float_inputs,
                                 const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  int step = 0;
  return executor.run(float_inputs, [&](int index, const Tensor& q) {
    std::string name = executor.graph().tensor(index).name;
    for (char& ch : name) {
      const bool keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                        ch == '_' || ch == '-';
      if (!keep) ch = '_';
    }
    write_tensor_file(dir / fmt::format("{:03d}_{}.npy", step++, name), q, executor.graph().tensor(index).name);
  });
}

}  // namespace wb
