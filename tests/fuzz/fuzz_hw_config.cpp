// The HwConfig YAML loader with `--set` overrides (isa/hw_config.h). Input: the YAML text,
// then optionally a NUL byte and the overrides, one KEY=VALUE a line. A config that loads is
// also resolved, fingerprinted and its derived figures computed, as `hw show` and the program
// headers do.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/error.h"
#include "isa/hw_config.h"
#include "isa/program_file.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = wb::fuzz::as_text(data, size);
  const std::size_t split = input.find('\0');
  const std::string_view yaml = input.substr(0, split);
  std::vector<std::string> overrides;
  if (split != std::string_view::npos) {
    std::string_view rest = input.substr(split + 1);
    while (!rest.empty()) {
      const std::size_t end = rest.find('\n');
      overrides.emplace_back(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  try {
    const wb::HwConfig config = wb::parse_hw_config(yaml, "fuzz.yaml", overrides);
    (void)wb::resolved_keys(config);
    (void)wb::derived_figures(config);
    (void)wb::isa::hw_fingerprint(config);
  } catch (const wb::UserError& e) {
    wb::fuzz::ignore(e);
  }
  return 0;
}
