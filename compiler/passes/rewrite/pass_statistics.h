#pragma once
// What a rewrite did, by counter ("convs fused: 53"): kept by every pass (pass.h) and by the
// rewriters below the passes (token_layout/), reported on request.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace wb {

class PassStatistics {
 public:
  void add(std::string_view counter, std::int64_t count = 1) { counters_[std::string(counter)] += count; }
  const std::map<std::string, std::int64_t>& counters() const { return counters_; }

 private:
  std::map<std::string, std::int64_t> counters_;
};

}  // namespace wb
