#pragma once
// What the PEs of a card share (docs/xdnn.md, "Cards of several PEs"). Each PE has its own
// array, Active Memory and DDR channel (an Overlay of its own); the card has one host link
// (PCIe, full duplex: host_link_gbps each way) and one host. The link carries each image's input
// to the PE that runs it, its outputs back, and a host layer's input and output; the host runs
// host layers one at a time (host_gops is one core's). Each serves first come, first served.

#include <systemc>

#include <cstdint>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "sim/common/bandwidth_port.h"
#include "sim/xdnn/timing.h"

namespace wb::sim::xdnn {

// The shared stages' use over a run and, in the steady state, how busy each was.
struct CardStats {
  int pes = 1;
  // Per image, dealt to PE image % pes: when its outputs were back on the host, cycles.
  std::vector<std::uint64_t> image_done;
  // The steady state: the images after each PE's first, over the time they took (the whole
  // run when there is no second round). cycles_per_image: the card's time per image.
  double cycles_per_image = 0;
  std::uint64_t window_begin = 0, window_end = 0, window_images = 0;
  BandwidthPortStats host_link_to_card, host_link_to_host, host;
  // The link's (its busier direction's) and the host's work for the window's images as shares of
  // the window.
  double host_link_busy_share = 0, host_busy_share = 0;
  // What bounds the card's frames/s: "host_link" or "host" when that shared stage was busy
  // for at least kBindingShare of the steady state (no slack left), else "pes" (each PE's own
  // array, AM and DDR channel).
  std::string binding = "pes";
};

// A shared stage whose work fills this share of the steady state binds the card: it has no
// slack left (a share just under it: the stage nearly binds, the PEs still do).
inline constexpr double kBindingShare = 0.98;

class CardSharedStages {
 public:
  explicit CardSharedStages(const HwConfig& config);

  enum class Direction { ToCard, ToHost };
  // Moves `bytes` over the host link, requested now: returns when they have arrived.
  sc_core::sc_time link_transfer(Direction direction, std::uint64_t bytes);
  // An input on the card when the run starts (each PE's first image): the link's work, counted
  // in its statistics, done before the cycles count.
  void preloaded(std::uint64_t bytes);
  // Runs a host instruction of `total_cycles` (timing.h's host_cycles: its link time and
  // compute together) from a PE's host unit: its input over the link, its compute on the host,
  // its output back, each after whatever other PE's work holds that stage. Waits until done.
  void run_host_instruction(const HostLinkBytes& bytes, std::uint64_t total_cycles);

  // The statistics once the run is over: `image_done` in image order.
  CardStats finish(int pes, std::vector<std::uint64_t> image_done) const;

 private:
  BandwidthPort to_card_, to_host_;
  BandwidthPort host_;  // one "byte" per cycle of host compute
  BandwidthPortStats preloaded_;
};

}  // namespace wb::sim::xdnn
