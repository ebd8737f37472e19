#include "compiler/xdnn/throughput_split.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "compiler/xdnn/hazards.h"
#include "isa/xdnn_access.h"
#include "isa/xdnn_program.h"
#include "support/error.h"
#include "support/math.h"

namespace wb::xdnn {

namespace {

using isa::xdnn::Instr;

// The hazard tracker's unit of an emitted instruction (as the emitter pushed it).
Unit unit_of(const Instr& instr) {
  if (instr.has_conv()) return instr.conv().on_host() ? Unit::Host : Unit::Conv;
  if (instr.has_pool()) return Unit::Pool;
  if (instr.has_eltwise()) return Unit::Eltwise;
  if (instr.has_upload()) return Unit::Upload;
  if (instr.has_download()) return Unit::Download;
  if (instr.has_load_weights()) return Unit::Weights;
  return Unit::Host;
}

bool reads_bytes(const Instr& instr, const isa::xdnn::Access& range) {
  for (const isa::xdnn::Access& a : isa::xdnn::instruction_accesses(instr)) {
    if (!a.write && a.memory == range.memory && a.begin < range.end && range.begin < a.end) return true;
  }
  return false;
}

[[noreturn]] void refuse(const isa::xdnn::Program& program, const std::string& why) {
  throw UserError(fmt::format("mode=throughput: '{}' {}; ML Suite's Dedicated Block runs only a network's first "
                              "convolution, reading the network input from DDR: compile with mode=latency",
                              program.header().model_name(), why));
}

// The instructions of the first layer, when the Dedicated Block can run it.
std::vector<int> dedicated_instructions(const isa::xdnn::Program& program) {
  if (program.inputs_size() != 1) refuse(program, fmt::format("has {} inputs, not one", program.inputs_size()));
  const isa::xdnn::Region& input = program.inputs(0).region();
  if (input.memory() != isa::xdnn::MEMORY_DDR) refuse(program, "keeps its input in AM");
  const isa::xdnn::Access input_bytes = isa::xdnn::region_access(input, false);
  std::string layer;
  for (const Instr& instr : program.instrs()) {
    if (!reads_bytes(instr, input_bytes)) continue;
    if (layer.empty()) {
      if (!instr.has_conv() || instr.conv().on_host() || instr.conv().input().memory() != isa::xdnn::MEMORY_DDR) {
        refuse(program, fmt::format("starts with layer '{}' ({}), not a convolution on the array streaming its input "
                                    "(input_streaming=on)",
                                    instr.layer(), isa::xdnn::instr_mnemonic(instr)));
      }
      layer = instr.layer();
    } else if (instr.layer() != layer) {
      refuse(program, fmt::format("reads its input in layer '{}' too, besides the first convolution '{}'",
                                  instr.layer(), layer));
    }
  }
  if (layer.empty()) refuse(program, "never reads its input");
  std::vector<int> mine;
  for (int i = 0; i < program.instrs_size(); ++i) {
    const Instr& instr = program.instrs(i);
    if (instr.layer() != layer) continue;
    const bool conv = instr.has_conv() && !instr.conv().on_host();
    const bool weights = instr.has_load_weights() && instr.load_weights().source_memory() == isa::xdnn::MEMORY_DDR;
    if (!conv && !weights) {
      refuse(program, fmt::format("runs instruction {} ({}) in its first layer '{}' besides the convolution", i,
                                  isa::xdnn::instr_mnemonic(instr), layer));
    }
    mine.push_back(i);
  }
  return mine;
}

// Sets every instruction's flags again, each block on its own tracker: the blocks have their
// own arrays and weight memories, and meet only through the image queue (Wait.dedicated).
void set_dependency_flags(isa::xdnn::Program& program) {
  HazardTracker main, dedicated;
  for (int i = 0; i < program.instrs_size(); ++i) {
    Instr& instr = *program.mutable_instrs(i);
    instr.set_id(static_cast<std::uint32_t>(i));
    const bool handover = instr.wait().dedicated();
    HazardTracker& tracker = instr.block() == isa::xdnn::BLOCK_DEDICATED ? dedicated : main;
    *instr.mutable_wait() = tracker.add(unit_of(instr), isa::xdnn::instruction_accesses(instr));
    instr.mutable_wait()->set_dedicated(handover);
  }
}

// Weights staged in AM (weight_staging.h) are uploaded ahead of the first layer, in latency mode
// while it computes. In throughput mode that layer is the Dedicated Block's, and the Main
// Block's first reader of the handover waits for every earlier upload (a flag waits for its
// whole unit): those uploads would all sit between the images. They are issued after that
// reader instead, while the Main Block's first layer computes.
void issue_staged_uploads_after_first_reader(isa::xdnn::Program& program, int handover, int reader) {
  if (reader <= handover) return;
  std::vector<Instr> ahead, staged;
  for (int i = handover + 1; i < reader; ++i) {
    const Instr& instr = program.instrs(i);
    (instr.has_upload() && instr.upload().staged_weights() ? staged : ahead).push_back(instr);
  }
  if (staged.empty()) return;
  int at = handover + 1;
  for (Instr& instr : ahead) *program.mutable_instrs(at++) = std::move(instr);
  *program.mutable_instrs(at++) = program.instrs(reader);
  for (Instr& instr : staged) *program.mutable_instrs(at++) = std::move(instr);
}

// The Main Block's instructions after `from` that read `buffer` before anything writes over it.
std::vector<int> readers_of(const isa::xdnn::Program& program, int from, const isa::xdnn::Region& buffer) {
  const isa::xdnn::Access bytes = isa::xdnn::region_access(buffer, false);
  std::vector<int> readers;
  for (int i = from + 1; i < program.instrs_size(); ++i) {
    const Instr& instr = program.instrs(i);
    if (instr.block() == isa::xdnn::BLOCK_DEDICATED) continue;
    bool reads = false, writes = false;
    for (const isa::xdnn::Access& a : isa::xdnn::instruction_accesses(instr)) {
      if (a.memory != bytes.memory || a.end <= bytes.begin || bytes.end <= a.begin) continue;
      (a.write ? writes : reads) = true;
    }
    if (reads) readers.push_back(i);
    if (writes) break;
  }
  return readers;
}

// Whether the Main Block's first layer can read the handover straight from its DDR slot, as
// ML Suite's GoogLeNet reads it (conv2/3x3_reduce `ddr_to_am`, srcAddrReadFromImgQ): every
// reader is that layer's conv on the array, reading the whole buffer; the tiling engine streams
// it as it streams a network input, when one instruction reads it (each streaming instruction
// reads its whole input). Otherwise a gather brings it into AM (ResNet-50's mb_input).
bool streamable(const isa::xdnn::Program& program, const std::vector<int>& readers, const isa::xdnn::Region& buffer) {
  // One conv instruction: each streaming instruction reads its whole input from DDR again.
  if (readers.size() != 1) return false;
  const std::string& layer = program.instrs(readers.front()).layer();
  return std::all_of(readers.begin(), readers.end(), [&](int i) {
    const Instr& instr = program.instrs(i);
    return instr.layer() == layer && instr.has_conv() && !instr.conv().on_host() &&
           instr.conv().input().memory() == buffer.memory() && instr.conv().input().address() == buffer.address() &&
           isa::xdnn::buffer_bytes(instr.conv().input().layout()) == isa::xdnn::buffer_bytes(buffer.layout());
  });
}

// Records `layer`'s output in slot 0 of the image queue (the per-layer check reads it in the
// checked image's slot); false, changing nothing, for a layer with merged parts.
bool check_in_slot(isa::xdnn::Program& program, const std::string& layer_name, const isa::xdnn::ImageQueue& queue,
                   const isa::xdnn::TensorLayout& layout) {
  for (isa::xdnn::Layer& layer : *program.mutable_layers()) {
    if (layer.name() != layer_name) continue;
    if (layer.parts_size() > 0) return false;
    auto* region = layer.mutable_output_region();
    region->set_memory(isa::xdnn::MEMORY_DDR);
    region->set_address(queue.address());
    *region->mutable_layout() = layout;
    return true;
  }
  return false;
}

// The flags set again; the layer recorded as the Dedicated Block's.
void finish_split(isa::xdnn::Program& program, const ThroughputSplit& split) {
  set_dependency_flags(program);
  for (isa::xdnn::Layer& layer : *program.mutable_layers()) {
    if (layer.name() == split.dedicated_layer) layer.set_unit("dedicated");
  }
}

}  // namespace

ThroughputSplit split_for_throughput(isa::xdnn::Program& program, const XdnnParams& hw) {
  const std::vector<int> mine = dedicated_instructions(program);
  ThroughputSplit split;
  split.dedicated_layer = program.instrs(mine.front()).layer();
  const isa::xdnn::Region* output = nullptr;
  for (const int i : mine) {
    const Instr& instr = program.instrs(i);
    if (!instr.has_conv()) continue;
    const isa::xdnn::Region& region = instr.conv().output();
    if (region.memory() != isa::xdnn::MEMORY_AM) refuse(program, "writes its first convolution's output to DDR");
    if (output != nullptr && (region.address() != output->address())) {
      refuse(program, "writes its first convolution's output in pieces at different addresses");
    }
    output = &region;
  }
  const isa::xdnn::Region am_output = *output;
  // In DDR the handover holds the tensor's channels only, pixel by pixel (ML Suite's interbuf
  // for GoogLeNet: 200,704 bytes = 64 x 56 x 56), not AM's 96-lane words; the Main Block's
  // gather spreads each pixel over its word. A buffer of several sections or replicas goes whole.
  const isa::xdnn::TensorLayout& am_layout = am_output.layout();
  const bool compact = am_layout.replication() <= 1 && am_layout.channel_offset() == 0 &&
                       am_layout.buffer_channels() <= am_layout.section_channels();
  isa::xdnn::TensorLayout queue_layout = am_layout;
  if (compact) {
    queue_layout.set_section_channels(am_layout.buffer_channels());
    queue_layout.set_width_stride(am_layout.width());
  }
  split.handover_bytes = isa::xdnn::buffer_bytes(queue_layout);

  constexpr std::uint64_t kAlign = 64;
  auto* queue = program.mutable_image_queue();
  queue->set_address(align_up<std::uint64_t>(program.ddr_bytes_used(), kAlign));
  queue->set_slot_bytes(align_up<std::uint64_t>(split.handover_bytes, kAlign));
  queue->set_slots(kImageQueueSlots);
  program.set_ddr_bytes_used(queue->address() + queue->slot_bytes() * queue->slots());
  if (program.ddr_bytes_used() > static_cast<std::uint64_t>(hw.ddr_bytes)) {
    throw UserError(fmt::format("mode=throughput: '{}' needs {} bytes of DDR with its image queue, more than "
                                "ddr_bytes = {}",
                                program.header().model_name(), program.ddr_bytes_used(), hw.ddr_bytes));
  }

  // Ping-pong on the Dedicated Block's own DSPs: its rows hold the weights (one layer, so one
  // answer for every block of it and for their loads).
  bool whole = false;
  for (const int i : mine) {
    const Instr& instr = program.instrs(i);
    whole = whole || (instr.has_conv() && hw.array.weight_depth > 0 &&
                      2 * isa::xdnn::weights_per_dsp(instr.conv(), static_cast<std::uint64_t>(hw.dedicated.rows)) >
                          static_cast<std::uint64_t>(hw.array.weight_depth));
  }
  for (const int i : mine) {
    Instr& instr = *program.mutable_instrs(i);
    instr.set_block(isa::xdnn::BLOCK_DEDICATED);
    if (instr.has_load_weights()) instr.mutable_load_weights()->set_without_pingpong(whole);
    if (!instr.has_conv()) continue;
    instr.mutable_conv()->set_without_pingpong(whole);
    auto* region = instr.mutable_conv()->mutable_output();
    region->set_memory(isa::xdnn::MEMORY_DDR);
    region->set_address(queue->address());
    *region->mutable_layout() = queue_layout;
    instr.set_output_from_image_queue(true);
  }

  const std::vector<int> readers = readers_of(program, mine.back(), am_output);
  if (compact && streamable(program, readers, am_output)) {
    for (const int i : readers) {
      Instr& instr = *program.mutable_instrs(i);
      auto* input = instr.mutable_conv()->mutable_input();
      input->set_memory(isa::xdnn::MEMORY_DDR);
      input->set_address(queue->address());
      *input->mutable_layout() = queue_layout;
      instr.set_source_from_image_queue(true);
      instr.mutable_wait()->set_dedicated(true);
    }
    split.streamed = true;
    // Its output is never in AM: the per-layer check reads it from the image's slot.
    if (!check_in_slot(program, split.dedicated_layer, *queue, queue_layout)) {
      refuse(program, "merges sibling convolutions in its first layer (compile with sibling_merge=off)");
    }
    issue_staged_uploads_after_first_reader(program, mine.back(), readers.front());
    finish_split(program, split);
    return split;
  }

  // The Main Block takes the image over where the convolution was, as ML Suite's pass put its
  // mb_input gather in the first layer's place: first on the upload queue, so the handover does
  // not wait behind weights staged ahead. (Placed before its first reader instead, it would
  // queue behind those and the steady state would lose the overlap; a stream's first image pays
  // instead: its Main Block waits for the Dedicated Block before it prefetches.)
  const int take_over = mine.back() + 1;
  Instr upload;
  // The gather is the Main Block's work for its first reader's layer, so the Dedicated Block's
  // layer spans its own conv (its output checked in the slot) and not the wait for the Main Block.
  const bool in_slot = !readers.empty() && check_in_slot(program, split.dedicated_layer, *queue, queue_layout);
  upload.set_layer(in_slot ? program.instrs(readers.front()).layer() : split.dedicated_layer);
  upload.set_source_from_image_queue(true);
  upload.mutable_wait()->set_dedicated(true);
  isa::xdnn::Copy& copy = *upload.mutable_upload();
  copy.set_source_memory(isa::xdnn::MEMORY_DDR);
  copy.set_source(queue->address());
  copy.set_destination_memory(isa::xdnn::MEMORY_AM);
  copy.set_destination(am_output.address());
  if (compact) {
    const std::uint64_t pixel = std::uint64_t{am_layout.buffer_channels()} * am_layout.element_bytes();
    const std::uint64_t word = std::uint64_t{am_layout.section_channels()} * am_layout.element_bytes();
    copy.set_chunk_bytes(pixel);
    copy.set_count(am_layout.width());
    copy.set_source_stride(pixel);
    copy.set_destination_stride(word);
    copy.set_rows(am_layout.height());
    copy.set_source_row_stride(pixel * am_layout.width());
    copy.set_destination_row_stride(word * am_layout.width_stride());
  } else {
    copy.set_chunk_bytes(split.handover_bytes);
    copy.set_count(1);
  }
  copy.set_intermediate(true);
  auto* instrs = program.mutable_instrs();
  instrs->Add(std::move(upload));
  for (int at = instrs->size() - 1; at > take_over; --at) instrs->SwapElements(at, at - 1);
  const std::vector<int> gathered = readers_of(program, take_over, am_output);
  if (!gathered.empty()) issue_staged_uploads_after_first_reader(program, take_over, gathered.front());
  finish_split(program, split);
  return split;
}

}  // namespace wb::xdnn
