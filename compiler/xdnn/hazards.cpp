#include "compiler/xdnn/hazards.h"

#include <algorithm>


namespace wb::xdnn {

namespace {

void set_flag(isa::xdnn::Wait& wait, Unit unit) {
  switch (unit) {
    case Unit::Upload: wait.set_upload(true); break;
    case Unit::Download: wait.set_download(true); break;
    case Unit::Conv: wait.set_conv(true); break;
    case Unit::Pool: wait.set_pool(true); break;
    case Unit::Eltwise: wait.set_eltwise(true); break;
    case Unit::Weights: wait.set_weights(true); break;
    case Unit::Host: wait.set_host(true); break;
    case Unit::kCount: break;
  }
}

}  // namespace

isa::xdnn::Wait HazardTracker::add(Unit unit, const std::vector<Access>& accesses) {
  isa::xdnn::Wait wait;
  const auto u = static_cast<std::size_t>(unit);
  for (std::size_t v = 0; v < kUnitCount; ++v) {
    if (v == u) continue;
    bool must_wait = false;
    for (const Pending& p : pending_[v]) {
      if (p.index < known_[v]) continue;
      for (const Access& a : accesses) {
        for (const Access& b : p.accesses) {
          if (isa::xdnn::conflict(a, b)) must_wait = true;
        }
      }
      if (must_wait) break;
    }
    if (!must_wait) continue;
    set_flag(wait, static_cast<Unit>(v));
    known_[v] = issued_[v];
    // Everything the waited-for unit's last instruction had waited for is complete too.
    if (!pending_[v].empty()) {
      const Clock& implied = pending_[v].back().clock;
      for (std::size_t w = 0; w < kUnitCount; ++w) known_[w] = std::max(known_[w], implied[w]);
    }
  }
  // Forget instructions known complete.
  for (std::size_t v = 0; v < kUnitCount; ++v) {
    auto& list = pending_[v];
    list.erase(std::remove_if(list.begin(), list.end(), [&](const Pending& p) { return p.index < known_[v]; }),
               list.end());
  }
  Clock clock = known_;
  clock[u] = issued_[u];  // its own unit's earlier instructions finish before it
  pending_[u].push_back({issued_[u], accesses, clock});
  ++issued_[u];
  return wait;
}

}  // namespace wb::xdnn
