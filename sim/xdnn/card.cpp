#include "sim/xdnn/card.h"

#include <algorithm>
#include <cmath>

namespace wb::sim::xdnn {

namespace {

sc_core::sc_time period_of(const HwConfig& config) { return sc_core::sc_time(1000.0 / config.clock_mhz, sc_core::SC_NS); }

BandwidthPortParams link_params(const HwConfig& config) {
  BandwidthPortParams params;
  params.bytes_per_cycle = config.xdnn().host_link_gbps * 1e3 / config.clock_mhz;
  params.clock_period = period_of(config);
  return params;
}

BandwidthPortParams host_params(const HwConfig& config) {
  BandwidthPortParams params;
  params.bytes_per_cycle = 1.0;
  params.clock_period = period_of(config);
  return params;
}

void wait_until(sc_core::sc_time t) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::wait(t > now ? t - now : sc_core::SC_ZERO_TIME);
}

}  // namespace

CardSharedStages::CardSharedStages(const HwConfig& config)
    : to_card_(link_params(config)),
      to_host_(link_params(config)),
      host_(host_params(config)) {}

sc_core::sc_time CardSharedStages::link_transfer(Direction direction, std::uint64_t bytes) {
  BandwidthPort& link = direction == Direction::ToCard ? to_card_ : to_host_;
  const BandwidthPort::Occupancy held = link.reserve(sc_core::sc_time_stamp(), bytes);
  return held.done;
}

void CardSharedStages::preloaded(std::uint64_t bytes) {
  preloaded_.transfers += 1;
  preloaded_.bytes += bytes;
  preloaded_.busy_cycles += to_card_.occupancy_cycles(bytes);
}

void CardSharedStages::run_host_instruction(const HostLinkBytes& bytes, std::uint64_t total_cycles) {
  // The link's share of the instruction as its own stage; the rest of host_cycles' time is the
  // host's compute, so a PE alone takes host_cycles (give or take the rounding of the parts).
  const std::uint64_t link_cycles = to_host_.occupancy_cycles(bytes.in) + to_card_.occupancy_cycles(bytes.out);
  const std::uint64_t compute_cycles = total_cycles > link_cycles ? total_cycles - link_cycles : 0;
  wait_until(link_transfer(Direction::ToHost, bytes.in));
  const BandwidthPort::Occupancy computed = host_.reserve(sc_core::sc_time_stamp(), compute_cycles);
  wait_until(computed.done);
  wait_until(link_transfer(Direction::ToCard, bytes.out));
}

CardStats CardSharedStages::finish(int pes, std::vector<std::uint64_t> image_done) const {
  CardStats stats;
  stats.pes = pes;
  stats.host_link_to_card = to_card_.stats();
  stats.host_link_to_card.transfers += preloaded_.transfers;
  stats.host_link_to_card.bytes += preloaded_.bytes;
  stats.host_link_to_card.busy_cycles += preloaded_.busy_cycles;
  stats.host_link_to_host = to_host_.stats();
  stats.host = host_.stats();
  std::vector<std::uint64_t> sorted = image_done;
  std::sort(sorted.begin(), sorted.end());
  stats.image_done = std::move(image_done);
  if (sorted.empty()) return stats;
  const std::size_t first_round = static_cast<std::size_t>(pes);
  if (sorted.size() > first_round) {
    stats.window_begin = sorted[first_round - 1];
    stats.window_images = sorted.size() - first_round;
  } else {
    stats.window_images = sorted.size();
  }
  stats.window_end = sorted.back();
  const std::uint64_t window = stats.window_end - stats.window_begin;
  stats.cycles_per_image = static_cast<double>(window) / static_cast<double>(stats.window_images);
  // The stages' work for the window's images (their work per image over the run, the inputs
  // on the card at the start included), as a share of the window: a stage's work runs ahead of
  // the images it serves (the next input goes over the link while the PE runs the current one),
  // so its busy time inside the window would not be.
  const auto share = [&](std::uint64_t busy_cycles) {
    if (window == 0) return 0.0;
    return static_cast<double>(busy_cycles) * static_cast<double>(stats.window_images) /
           static_cast<double>(sorted.size()) / static_cast<double>(window);
  };
  stats.host_link_busy_share = share(std::max(stats.host_link_to_card.busy_cycles, stats.host_link_to_host.busy_cycles));
  stats.host_busy_share = share(stats.host.busy_cycles);
  if (stats.host_link_busy_share >= kBindingShare && stats.host_link_busy_share >= stats.host_busy_share) {
    stats.binding = "host_link";
  } else if (stats.host_busy_share >= kBindingShare) {
    stats.binding = "host";
  }
  return stats;
}

}  // namespace wb::sim::xdnn
