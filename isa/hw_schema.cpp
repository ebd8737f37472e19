#include "isa/hw_schema.h"

#include <iterator>
#include <type_traits>

namespace wb::hw_schema {
namespace {


XdnnParams& xd(HwConfig& c) { return std::get<XdnnParams>(c.params); }
PulpParams& pu(HwConfig& c) { return std::get<PulpParams>(c.params); }

constexpr double kKiB = 1024.0;
constexpr double kMiB = kKiB * 1024;
constexpr double kGiB = kMiB * 1024;

using K = HwValueKind;
constexpr HwProvenance kPublished = HwProvenance::Published;
constexpr HwProvenance kChosen = HwProvenance::Chosen;
constexpr HwProvenance kDerived = HwProvenance::Derived;
constexpr HwProvenance kPerConfig = HwProvenance::PerConfig;

// One key of the schema: path, kind, unit, inclusive range, meaning, where its value comes from
// (and which source, or how), the field it fills. Required: see defaulted().
KeySpec key(std::string_view path, HwValueKind kind, std::string_view unit, double min, double max,
            std::string_view meaning, HwProvenance provenance, std::string_view source,
            FieldRef (*field)(HwConfig&)) {
  return KeySpec{HwKeyInfo{path, kind, unit, meaning, provenance, source, std::nullopt}, min, max, field};
}

KeySpec power_of_two(KeySpec spec) {
  spec.power_of_two = true;
  return spec;
}

// A key a config may leave out: its default is the field's initialiser in `Params`.
template <class Params>
KeySpec defaulted(KeySpec spec) {
  HwConfig fresh;
  fresh.params = Params{};
  spec.info.default_value = value_of(spec, fresh);
  return spec;
}

// An instruction count or latency of the PULP cluster with its default (isa/pulp_timing.h).
KeySpec pulp_cycles(std::string_view path, double min, double max, std::string_view meaning,
                    HwProvenance provenance, std::string_view source, FieldRef (*field)(HwConfig&)) {
  return defaulted<PulpParams>(key(path, K::Integer, "cycles", min, max, meaning, provenance, source, field));
}

template <int PulpKernelCycles::*count>
FieldRef predictor_field(HwConfig& c) {
  return &(pu(c).predictor.*count);
}

template <int PulpCorePipeline::*latency>
FieldRef core_field(HwConfig& c) {
  return &(pu(c).core.*latency);
}

// The predictor's count `field` of PulpKernelCycles as key `predictor.<field>`.
template <int PulpKernelCycles::*count>
KeySpec predictor(std::string_view path, std::string_view meaning, HwProvenance provenance, std::string_view source) {
  return pulp_cycles(path, 0, 10000, meaning, provenance, source, &predictor_field<count>);
}

template <double PulpEnergyParams::*energy>
FieldRef pulp_energy_field(HwConfig& c) {
  return &(pu(c).energy.*energy);
}

template <double XdnnEnergyParams::*energy>
FieldRef xdnn_energy_field(HwConfig& c) {
  return &(xd(c).energy.*energy);
}

// An energy key `energy.<event>` (isa/energy_params.h, docs/energy.md): pJ per event or mW.
template <class Params>
KeySpec energy(std::string_view path, std::string_view unit, std::string_view meaning, HwProvenance provenance,
               std::string_view source, FieldRef (*field)(HwConfig&)) {
  return defaulted<Params>(key(path, K::Real, unit, 0, unit == "mW" ? 1e6 : 1e5, meaning, provenance, source, field));
}

}  // namespace

const std::vector<KeySpec>& common_keys() {
  static const std::vector<KeySpec> keys = {
      key("name", K::Text, "", 0, 0, "name of the machine (letters, digits, '_', '-', '.')", kPerConfig,
          "names the file's machine; not a figure", [](HwConfig& c) -> FieldRef { return &c.name; }),
      key("target", K::Choice, "", 0, 0, "which machine this is: xdnn or pulp; selects the keys below", kPerConfig,
          "the kind of machine the file describes; not a figure", nullptr),
      key("clock_mhz", K::Real, "MHz", 1, 10000, "clock of the array (xdnn) or cluster (pulp)", kPerConfig,
          "xDNN: published (REFERENCE.md); gap8: published (DORY's GAP8 description); pulp_open: chosen (DORY's "
          "PULP_gvsoc description, 100 MHz as GAP8)",
          [](HwConfig& c) -> FieldRef { return &c.clock_mhz; }),
  };
  return keys;
}

namespace {

const std::vector<KeySpec>& xdnn_keys() {
  static const std::vector<KeySpec> keys = {
      key("array.rows", K::Integer, "DSP", 1, 1024, "DSP rows of the systolic array (its height)", kPublished,
          "REFERENCE.md: 28 x 32, 56 x 32, 96 x 16 arrays", [](HwConfig& c) -> FieldRef { return &xd(c).array.rows; }),
      key("array.cols", K::Integer, "DSP", 1, 1024, "DSP columns of the systolic array", kPublished, "REFERENCE.md",
          [](HwConfig& c) -> FieldRef { return &xd(c).array.cols; }),
      key("array.macs_per_dsp_int8", K::Integer, "MAC/DSP/cycle", 1, 8, "MACs one DSP does per cycle on 8-bit operands",
          kPublished, "WP486: one DSP48E2 does two int8 MACs sharing a weight",
          [](HwConfig& c) -> FieldRef { return &xd(c).array.macs_per_dsp_int8; }),
      key("array.macs_per_dsp_int16", K::Integer, "MAC/DSP/cycle", 1, 8,
          "MACs one DSP does per cycle on 16-bit operands", kPublished,
          "REFERENCE.md: the int16 peak is half the int8 peak",
          [](HwConfig& c) -> FieldRef { return &xd(c).array.macs_per_dsp_int16; }),
      defaulted<XdnnParams>(key(
          "array.weight_depth", K::Integer, "weights", 0, 1 << 16,
          "weights each DSP holds for a conv's column group (ML Suite's DSPWgtCnt): at most half of them ping-pong "
          "(the next weights load while the array computes), up to all run without ping-pong, up to twice at half "
          "rate; 0 models no limit",
          kPublished,
          "v3: ML Suite's hardware description (xfdnn hardware.pyc, DSP.DSPWgtCnt: <= 32 ping-pong, <= 64 ping-pong "
          "off, <= 128 half rate; its ResNet-50 JSON runs res5's 512-channel 3x3 convs with en_pingpong_weight 0); "
          "not published for v2 (0)",
          [](HwConfig& c) -> FieldRef { return &xd(c).array.weight_depth; })),
      key("am_bytes", K::Bytes, "bytes", kKiB, static_cast<double>(kMaxAmBytes), "on-chip Active Memory holding activations",
          kPublished, "REFERENCE.md's 4 / 6 / 9 MB, read as MiB (on-chip RAM comes in binary sizes)",
          [](HwConfig& c) -> FieldRef { return &xd(c).am_bytes; }),
      key("am_read_ports", K::Integer, "ports", 1, 16, "AM read ports, one AM word each per cycle", kPerConfig,
          "published for v3 (2 read, 2 write); v2: chosen, taken as v3's",
          [](HwConfig& c) -> FieldRef { return &xd(c).am_read_ports; }),
      key("am_write_ports", K::Integer, "ports", 1, 16, "AM write ports, one AM word each per cycle", kPerConfig,
          "as am_read_ports", [](HwConfig& c) -> FieldRef { return &xd(c).am_write_ports; }),
      key("am_width_align", K::Integer, "words", 1, 1024,
          "a tensor row in AM starts on a multiple of this many AM words (v2 aligns rows)", kChosen,
          "v3 addresses AM by word (1); v2's layout is not published, rows aligned to 8 words; calibration knob",
          [](HwConfig& c) -> FieldRef { return &xd(c).am_width_align; }),
      key("filter_cache_bytes", K::Bytes, "bytes", kKiB, kGiB, "on-chip weight buffer, both halves of the ping-pong",
          kChosen, "the ping-pong is published, its size is not: 2 x array.cols x max_filter_elements int8 weights",
          [](HwConfig& c) -> FieldRef { return &xd(c).filter_cache_bytes; }),
      key("max_filter_elements", K::Integer, "elements", 1, 1 << 24, "largest filter H x W x D the array accepts",
          kPublished, "rules.txt", [](HwConfig& c) -> FieldRef { return &xd(c).max_filter_elements; }),
      key("depthwise", K::Boolean, "", 0, 0, "depthwise convolution runs on the array", kPublished,
          "REFERENCE.md lists it for v3 only", [](HwConfig& c) -> FieldRef { return &xd(c).depthwise; }),
      key("pool_elements_per_cycle", K::Integer, "elements/cycle", 1, 65536,
          "standalone pool unit: output elements per cycle", kChosen,
          "one AM word (array.rows int8 values) per cycle; calibration knob",
          [](HwConfig& c) -> FieldRef { return &xd(c).pool_elements_per_cycle; }),
      key("eltwise_elements_per_cycle", K::Integer, "elements/cycle", 1, 65536,
          "eltwise-add unit: output elements per cycle", kChosen, "as the pool unit (one pool/eltwise block)",
          [](HwConfig& c) -> FieldRef { return &xd(c).eltwise_elements_per_cycle; }),
      key("ddr_gbps", K::Real, "GB/s", 0.01, 10000,
          "theoretical bandwidth of the PE's DDR channel (1 GB/s = 1e9 bytes/s)", kPublished,
          "UG1393: each PE has its own DDR4 channel", [](HwConfig& c) -> FieldRef { return &xd(c).ddr_gbps; }),
      key("ddr_efficiency", K::Real, "fraction", 0.01, 1, "share of ddr_gbps sustained on long bursts", kChosen,
          "DDR4 controllers sustain ~80-90% on long sequential bursts; calibration knob",
          [](HwConfig& c) -> FieldRef { return &xd(c).ddr_efficiency; }),
      key("ddr_latency_ns", K::Real, "ns", 0, 100000, "latency of one DDR transfer before data flows", kChosen,
          "a DDR4 read through an FPGA memory controller and AXI, 100-200 ns; calibration knob",
          [](HwConfig& c) -> FieldRef { return &xd(c).ddr_latency_ns; }),
      key("ddr_bytes", K::Bytes, "bytes", kMiB, 1024 * kGiB, "DDR capacity a program may address", kChosen,
          "one 16 GB DDR4 channel of an Alveo U200/U250; only bounds addresses",
          [](HwConfig& c) -> FieldRef { return &xd(c).ddr_bytes; }),
      key("instr_issue_cycles", K::Integer, "cycles", 0, 1 << 20,
          "controller cycles to decode and issue one instruction to its unit", kChosen,
          "decode and dispatch over the control bus, a few tens of cycles; calibration knob",
          [](HwConfig& c) -> FieldRef { return &xd(c).instr_issue_cycles; }),
      key("host_fc_softmax", K::Boolean, "", 0, 0,
          "FC runs on a host model (as ML Suite did), not on the array (a Softmax always does: the overlay has no unit for it)",
          kChosen, "issue #4: FC runs on the array as a 1x1 convolution",
          [](HwConfig& c) -> FieldRef { return &xd(c).host_fc_softmax; }),
      key("host_gops", K::Real, "GOP/s", 0.001, 1e6,
          "host CPU throughput for host layers (what the overlay cannot run, and FC with host_fc_softmax)", kChosen,
          "batch-1 fp32 FC on one Xeon core is memory bound: ~10 GB/s over 4-byte weights, 2 ops each",
          [](HwConfig& c) -> FieldRef { return &xd(c).host_gops; }),
      key("host_link_gbps", K::Real, "GB/s", 0.001, 1e6,
          "host <-> card link (PCIe) that each image's input and outputs and a host layer's input and output cross; "
          "one link shared by the card's PEs",
          kChosen, "PCIe Gen3 x16 of an Alveo U200/U250 (15.75 GB/s theoretical), ~75% sustained by DMA",
          [](HwConfig& c) -> FieldRef { return &xd(c).host_link_gbps; }),
      defaulted<XdnnParams>(key(
          "pes", K::Integer, "PEs", 1, kMaxXdnnPes,
          "processing elements on the card, each with its own array, Active Memory and DDR channel, running its own "
          "images; they share the host link and the host (docs/xdnn.md, \"Cards of several PEs\")",
          kChosen,
          "one PE, as ML Suite's per-PE figures; its overlays carry 2 PEs on a U200 and 4 on a U250 (ml-suite "
          "overlaybins README)",
          [](HwConfig& c) -> FieldRef { return &xd(c).pes; })),
      defaulted<XdnnParams>(key(
          "dedicated.rows", K::Integer, "DSP", 1, 1024,
          "DSP rows of the Dedicated Block, the small array that runs the first convolution in throughput mode",
          kChosen,
          "not published (ML Suite: \"a smaller block that will only run the first convolution\"): the smallest "
          "height whose one pass holds a 7x7 RGB stem's input replicated 7 times (3 x 7 = 21 rows), rounded up to a "
          "multiple of 8",
          [](HwConfig& c) -> FieldRef { return &xd(c).dedicated.rows; })),
      defaulted<XdnnParams>(key("dedicated.cols", K::Integer, "DSP", 1, 1024, "DSP columns of the Dedicated Block",
                                kChosen, "not published: one column group of output channels, as the v3 main array",
                                [](HwConfig& c) -> FieldRef { return &xd(c).dedicated.cols; })),

      // Energy (perf/energy, docs/energy.md): per counted event, and static power.
      energy<XdnnParams>("energy.dsp_mac_pj", "pJ", "one MAC slot of the array (an int8 MAC of a DSP48, used or padding)",
                         kChosen, "no FPGA figure is published: Accelergy's 8-bit MAC at 45 nm (0.315 pJ) scaled to 16 nm at 0.85 V by Stillmaker & Baas (x0.18), times 7.1 for an FPGA with hard DSPs against an ASIC (Kuon & Rose 2007)", &xdnn_energy_field<&XdnnEnergyParams::dsp_mac_pj>),
      energy<XdnnParams>("energy.am_byte_pj", "pJ", "one byte read or written in Active Memory", kChosen, "no FPGA figure is published: Accelergy's 64 KiB SRAM at 45 nm (1.62 pJ/byte read) scaled to 16 nm at 0.85 V (x0.18), times 7.1 (FPGA against ASIC, Kuon & Rose 2007)",
                         &xdnn_energy_field<&XdnnEnergyParams::am_byte_pj>),
      energy<XdnnParams>("energy.filter_cache_byte_pj", "pJ", "one weight byte into or out of the filter cache", kChosen,
                         "taken as energy.am_byte_pj (block RAM; no figure is published)", &xdnn_energy_field<&XdnnEnergyParams::filter_cache_byte_pj>),
      energy<XdnnParams>("energy.pool_eltwise_element_pj", "pJ", "one output element of the pool/eltwise block", kChosen,
                         "two DSP MACs' worth (the compare or add, and the requant multiply); no figure is published", &xdnn_energy_field<&XdnnEnergyParams::pool_eltwise_element_pj>),
      energy<XdnnParams>("energy.ddr_byte_pj", "pJ", "one byte over the DDR4 channel", kChosen, "Micron DDR4-2666 (MT40A512M16) IDD4R at 1.2 V: 7.4 pJ/bit with the background current; the PHY and termination are not counted (a lower bound)",
                         &xdnn_energy_field<&XdnnEnergyParams::ddr_byte_pj>),
      energy<XdnnParams>("energy.host_mw", "mW", "the host CPU while it runs a host layer (0: not counted)", kChosen,
                         "0: the host CPU is not the overlay; set it to count a host layer's CPU power", &xdnn_energy_field<&XdnnEnergyParams::host_mw>),
      energy<XdnnParams>("energy.static_mw", "mW", "the overlay's static and clock power, over the whole run", kChosen,
                         "no figure is published for xDNN or its boards (ML Suite's demo page shows a constant 43 W per card); 10 W per PE is a placeholder of the order of a 16 nm FPGA's static power and its board share: set your card's XPE figure", &xdnn_energy_field<&XdnnEnergyParams::static_mw>),
  };
  return keys;
}

// The PULP keys. Sources: REFERENCE.md's PULP section, DORY's GAP8 and PULP_gvsoc hardware
// descriptions, the CV32E40P user manual ("Pipeline Details"), and PULP-NN's loops as
// docs/pulp.md derives them ("The timing model"). "Estimated" counts name what the sequence
// does but were not counted instruction by instruction.
// The cluster's hardware: cores, memories, DMA engines, barrier and wake-up.
std::vector<KeySpec> pulp_hardware_keys() {
  return {
    key("cores", K::Integer, "cores", 1, 16, "cluster cores running kernels", kPublished,
        "REFERENCE.md: 8 RI5CY cluster cores", [](HwConfig& c) -> FieldRef { return &pu(c).cores; }),
    key("core_macs_per_cycle_int8", K::Integer, "MAC/core/cycle", 1, 16,
        "one core's SIMD dot product on 8-bit operands", kPublished,
        "REFERENCE.md: the 4-way pv.sdotsp.b, 8 x 4 = 32 MAC/cycle",
        [](HwConfig& c) -> FieldRef { return &pu(c).core_macs_per_cycle_int8; }),
    key("core_macs_per_cycle_int16", K::Integer, "MAC/core/cycle", 1, 16,
        "one core's SIMD dot product on 16-bit operands", kChosen,
        "not in REFERENCE.md; pv.sdotsp.h works on two halfwords: half the int8 rate",
        [](HwConfig& c) -> FieldRef { return &pu(c).core_macs_per_cycle_int16; }),
    key("l1_bytes", K::Bytes, "bytes", kKiB, 16 * kMiB, "shared L1 TCDM", kPublished,
        "REFERENCE.md: 64 KiB (DORY's descriptions round it to 64000)",
        [](HwConfig& c) -> FieldRef { return &pu(c).l1_bytes; }),
    power_of_two(key("l1_banks", K::Integer, "banks", 1, 64, "word-interleaved L1 banks (a power of two)",
                     kPublished, "REFERENCE.md: 16 banks, bank = (addr >> 2) & 15",
                     [](HwConfig& c) -> FieldRef { return &pu(c).l1_banks; })),
    key("l1_tile_budget_bytes", K::Bytes, "bytes", kKiB, 16 * kMiB,
        "L1 the tiler may fill with tiles (L1 minus stacks)", kPerConfig,
        "gap8: published, DORY's GAP8 description, 64000 - 3500 - 7 x 3400 (the tutorial's 38000 is a --set); "
        "pulp_open: chosen, DORY's PULP_gvsoc description, 64000 - 3800 - 7 x 3600",
        [](HwConfig& c) -> FieldRef { return &pu(c).l1_tile_budget_bytes; }),
    key("l2_bytes", K::Bytes, "bytes", kKiB, kGiB, "L2 memory", kPerConfig,
        "gap8: published as 512 kB, read as KiB; pulp_open: chosen, as GAP8 (DORY's PULP_gvsoc description too)",
        [](HwConfig& c) -> FieldRef { return &pu(c).l2_bytes; }),
    key("l3_bytes", K::Bytes, "bytes", kKiB, 64 * kGiB, "L3 memory (HyperRAM)", kPerConfig,
        "gap8: published as 8 MB, read as MiB (a 64 Mbit device); pulp_open: chosen, as GAP8",
        [](HwConfig& c) -> FieldRef { return &pu(c).l3_bytes; }),
    key("l3_flash_bytes", K::Bytes, "bytes", 0, 64 * kGiB,
        "read-only L3 (HyperFlash) on the same bus, where the weights stay", kChosen,
        "GAP8 boards carry a 64 MB HyperFlash on the HyperRAM's bus, read by the uDMA; ResNet-18's weights fit",
        [](HwConfig& c) -> FieldRef { return &pu(c).l3_flash_bytes; }),
    key("dma_bytes_per_cycle", K::Integer, "bytes/cycle", 1, 1024, "cluster DMA bandwidth L2<->L1, per direction",
        kPublished, "REFERENCE.md: up to 8 bytes/cycle each direction",
        [](HwConfig& c) -> FieldRef { return &pu(c).dma_bytes_per_cycle; }),
    key("dma_burst_bytes", K::Bytes, "bytes", 4, 65536, "largest cluster DMA burst", kPublished,
        "REFERENCE.md: bursts of at most 256 B", [](HwConfig& c) -> FieldRef { return &pu(c).dma_burst_bytes; }),
    key("dma_outstanding_transfers", K::Integer, "transfers", 1, 64, "cluster DMA transfers in flight per direction",
        kPublished, "REFERENCE.md: up to 8 per direction",
        [](HwConfig& c) -> FieldRef { return &pu(c).dma_outstanding_transfers; }),
    key("dma_latency_cycles", K::Integer, "cycles", 0, 100000,
        "latency of one cluster DMA transfer before data flows", kChosen,
        "not in REFERENCE.md; DORY's descriptions give L2, as the cluster DMA sees it, a latency of 10 cycles",
        [](HwConfig& c) -> FieldRef { return &pu(c).dma_latency_cycles; }),
    pulp_cycles("dma_command_cycles", 0, 10000, "core cycles programming one 2-D cluster DMA transfer", kDerived,
                "an mchan command: 3 register writes and the push (docs/pulp.md)",
                [](HwConfig& c) -> FieldRef { return &pu(c).dma_command_cycles; }),
    key("l3_bytes_per_cycle", K::Real, "bytes/cycle", 0.001, 1024, "uDMA bandwidth L3<->L2", kChosen,
        "REFERENCE.md: \"much slower than L2\"; HyperBus, 8-bit DDR at half the cluster clock: 1 byte/cycle; "
        "calibration knob",
        [](HwConfig& c) -> FieldRef { return &pu(c).l3_bytes_per_cycle; }),
    key("l3_latency_cycles", K::Integer, "cycles", 0, 1000000, "latency of one L3 transfer before data flows",
        kChosen,
        "HyperRAM command and initial latency (~30 cycles) plus the uDMA's programming and end-of-transfer "
        "event, rounded to 100; calibration knob",
        [](HwConfig& c) -> FieldRef { return &pu(c).l3_latency_cycles; }),
    key("barrier_cycles", K::Integer, "cycles", 0, 100000, "hardware barrier across the cores", kPublished,
        "REFERENCE.md: 11 cycles whatever the core count",
        [](HwConfig& c) -> FieldRef { return &pu(c).barrier_cycles; }),
    key("wakeup_cycles", K::Integer, "cycles", 0, 100000, "event-unit wake-up of a sleeping core", kChosen,
        "REFERENCE.md says \"a few cycles\": 4 refill RI5CY's 4-stage pipeline",
        [](HwConfig& c) -> FieldRef { return &pu(c).wakeup_cycles; }),

  };
}

// The cluster model's core pipeline (sim/pulp's core engine).
std::vector<KeySpec> pulp_core_pipeline_keys() {
  return {
    pulp_cycles("core.load_use_stall_cycles", 0, 100, "stall when the next instruction reads a load's result",
                kPublished, "CV32E40P user manual: a 1-cycle load data hazard",
                &core_field<&PulpCorePipeline::load_use_stall_cycles>),
    pulp_cycles("core.branch_taken_cycles", 0, 100, "extra cycles of a taken branch", kPublished,
                "CV32E40P user manual: a taken branch takes 3 cycles, 1 + 2 (a jump takes 2)",
                &core_field<&PulpCorePipeline::branch_taken_cycles>),
    pulp_cycles("core.divide_cycles", 1, 1000, "a division's whole latency", kChosen,
                "in the CV32E40P manual's published 3..35 (3 + the divisor's leading zeros): 18, the softmax "
                "divisor's worst case (at least 2^16), as predictor.softmax_divide",
                &core_field<&PulpCorePipeline::divide_cycles>),

  };
}

// The predictor's instruction counts (perf/pulp/cost; isa/pulp_timing.h) of the matmul, conv,
// depthwise and linear kernels.
std::vector<KeySpec> pulp_predictor_conv_keys() {
  using P = PulpKernelCycles;
  return {
    predictor<&P::matmul_4x2_iteration>("predictor.matmul_4x2_iteration",
                                        "4x2 matmul (4 channels x 2 pixels), per 4 input bytes", kDerived,
                                        "4 weight + 2 activation word loads, 8 pv.sdotsp.b"),
    predictor<&P::matmul_4x1_iteration>("predictor.matmul_4x1_iteration", "the odd pixel's 4x1 matmul, per 4 bytes",
                                        kDerived, "4 + 1 word loads, 4 dot products"),
    predictor<&P::matmul_1x2_iteration>("predictor.matmul_1x2_iteration",
                                        "a leftover channel's 1x2 matmul, per 4 bytes", kDerived,
                                        "1 + 2 word loads, 2 dot products"),
    predictor<&P::matmul_byte_leftover_4x2>("predictor.matmul_byte_leftover_4x2",
                                            "a 4x2 block's K % 4 leftover bytes, per byte", kDerived,
                                            "scalar: 6 byte loads, 8 MACs"),
    predictor<&P::matmul_block_setup>("predictor.matmul_block_setup", "setup of a 4x2 block", kChosen,
                                      "estimated: pointers, bias loads into 8 accumulators, loop setup"),
    predictor<&P::requant_per_output>("predictor.requant_per_output", "requantising one output", kChosen,
                                      "estimated: load k and lambda; mul, add, shift, clip; store the byte"),
    predictor<&P::partial_store>("predictor.partial_store",
                                 "input-channel tiling: storing an int32 partial sum instead", kDerived,
                                 "sw + pointer"),
    predictor<&P::im2col_row_setup>("predictor.im2col_row_setup", "im2col, per kernel row of a pixel", kChosen,
                                    "estimated: bounds, pointers, padding test"),
    predictor<&P::im2col_word>("predictor.im2col_word", "im2col, per word copied", kDerived,
                               "one word load + store"),
    predictor<&P::im2col_run_setup>("predictor.im2col_run_setup",
                                    "grouped conv, several groups a call: per im2col run", kDerived,
                                    "the source pointer's skip (add) + the word loop's lp.setup"),
    predictor<&P::pixel_pair_overhead>("predictor.pixel_pair_overhead", "per pixel pair (and group)", kChosen,
                                       "estimated: im2col pointer swap, output pointer"),
    predictor<&P::row_overhead>("predictor.row_overhead", "per output row a core computes", kChosen,
                                "estimated: row pointers"),
    predictor<&P::call_overhead>("predictor.call_overhead", "kernel entry, per call", kChosen,
                                 "estimated: chunk bounds from the core id, argument loads"),
    predictor<&P::depthwise_gather_byte>("predictor.depthwise_gather_byte",
                                         "depthwise: per byte of a channel's strided gather", kDerived,
                                         "lbu with stride c_in, sb, pointer increment"),
    predictor<&P::depthwise_chw_strip_word>("predictor.depthwise_chw_strip_word",
                                            "depthwise on a channel-major tile: per strip row and word", kDerived,
                                            "lw + its load-use stall + sw + 2 pointer updates (pulp_nn_depthwise_generic)"),
    predictor<&P::dory_tile_loop>("predictor.dory_tile_loop",
                                  "DORY's layer loop on the cores, per convolution tile", kDerived,
                                  "393 ops of DORY 6d01e9c's compiled loop + 2 div + 23 taken branches + 13 load-use + "
                                  "3 barriers (tests/bench/dory_tile_loop)"),
    predictor<&P::dory_tile_loop_depthwise>("predictor.dory_tile_loop_depthwise",
                                            "DORY's layer loop on the cores, per depthwise tile", kDerived,
                                            "439 ops of DORY 6d01e9c's compiled loop + 2 div + 25 taken branches + 10 "
                                            "load-use + 3 barriers (tests/bench/dory_tile_loop)"),
    predictor<&P::depthwise_window_byte>("predictor.depthwise_window_byte",
                                         "depthwise: per window byte into the aligned im2col word", kDerived,
                                         "byte load + store"),
    predictor<&P::depthwise_dot_word>("predictor.depthwise_dot_word", "depthwise: per dot-product word",
                                      kDerived, "2 word loads + 1 pv.sdotsp.b"),
    predictor<&P::depthwise_pixel_overhead>("predictor.depthwise_pixel_overhead", "depthwise: per output pixel",
                                            kChosen, "estimated: window pointers, accumulator"),
    predictor<&P::depthwise_channel_overhead>("predictor.depthwise_channel_overhead", "depthwise: per channel",
                                              kChosen, "estimated: channel pointers, bias, loop setup"),
    predictor<&P::plane_row_setup>("predictor.plane_row_setup", "plane depthwise: per input row gathered",
                                   kDerived, "lp.setup + the destination's skip over the pad columns"),
    predictor<&P::plane_filter_setup>("predictor.plane_filter_setup", "plane depthwise: the filter, per channel",
                                      kDerived,
                                      "3 misaligned filter-row lw (2 each), 3 and (the 4th byte), 3 slli (the "
                                      "shifted copies)"),
    predictor<&P::plane_s1_row_step>("predictor.plane_s1_row_step",
                                     "plane depthwise, stride 1: one kernel row of 4 outputs", kDerived,
                                     "2 lw, pv.shuffle2.b, 4 pv.sdotusp.b"),
    predictor<&P::plane_s2_row_step>("predictor.plane_s2_row_step",
                                     "plane depthwise, stride 2: one kernel row of 2 outputs", kDerived,
                                     "2 lw, pv.shuffle2.b, 2 pv.sdotusp.b"),
    predictor<&P::plane_accumulator_init>("predictor.plane_accumulator_init",
                                          "plane depthwise: per output, the bias into its accumulator", kDerived,
                                          "mv"),
    predictor<&P::misaligned_load>("predictor.misaligned_load",
                                   "a word load at an address not a multiple of 4", kPublished,
                                   "CV32E40P user manual: a non-word-aligned word load takes 2 cycles (2 bus "
                                   "transactions)"),
    predictor<&P::linear_2_iteration>("predictor.linear_2_iteration", "linear: 2 neurons x 4 inputs", kDerived,
                                      "3 word loads + 2 dot products"),
    predictor<&P::linear_output_overhead>("predictor.linear_output_overhead", "linear: per neuron", kChosen,
                                          "estimated: accumulator, bias, pointers"),
  };
}

// The predictor's instruction counts of the elementwise kernels, softmax, resize, layernorm,
// the product of two activations and the pools.
std::vector<KeySpec> pulp_predictor_elementwise_keys() {
  using P = PulpKernelCycles;
  return {
    predictor<&P::add_per_byte>("predictor.add_per_byte", "residual add: per output byte", kChosen,
                                "estimated: 2 loads, 2 multiplies, add, shift, clip, store, 4 bytes a loop"),
    predictor<&P::lut_lookup>("predictor.lut_lookup", "a table lookup beside the byte's load and store", kDerived,
                              "the add to the table's base, the table's lbu"),
    predictor<&P::mul_operands>("predictor.mul_operands", "MUL: per element, before its requantisation",
                                kDerived, "2 byte loads, 1 p.mul"),
    predictor<&P::mul_pixel_overhead>("predictor.mul_pixel_overhead", "MUL and GATHER: per output pixel",
                                      kDerived, "the channel loop's lp.setup, a pointer's rewind (add)"),
    predictor<&P::gather_pixel_advance>("predictor.gather_pixel_advance",
                                        "GATHER: per output pixel, beyond mul_pixel_overhead", kDerived,
                                        "the pixel base's advance (add)"),
    predictor<&P::softmax_max>("predictor.softmax_max", "softmax, max pass: per element", kDerived,
                               "lb/lbu (post-increment), p.max"),
    predictor<&P::softmax_index>("predictor.softmax_index",
                                 "softmax, sum and division passes: per element, before the lookup", kDerived,
                                 "lb/lbu (post-increment), slli by 2"),
    predictor<&P::softmax_accumulate>("predictor.softmax_accumulate", "softmax, sum pass: per element", kDerived,
                                      "the add into the row sum"),
    predictor<&P::softmax_normalise>("predictor.softmax_normalise",
                                     "softmax, division pass: per element, around the division", kDerived,
                                     "slli by 8, add sum / 2, p.minu, sb"),
    predictor<&P::softmax_divide>("predictor.softmax_divide", "softmax, division pass: the divu", kDerived,
                                  "the CV32E40P divider's published 3..35 (3 + the divisor's leading zeros) at "
                                  "softmax's worst divisor (at least 2^16): 18"),
    predictor<&P::softmax_pixel_overhead>("predictor.softmax_pixel_overhead", "softmax: per output pixel",
                                          kDerived,
                                          "3 lp.setup, 2 pointer rewinds, li, the table base's pre-offset (3), "
                                          "li, srli"),
    predictor<&P::softmax_label_start>("predictor.softmax_label_start",
                                       "softmax under region labels: per core, besides two divisions", kDerived,
                                       "the label pointer's mul and add"),
    predictor<&P::softmax_label_pixel>("predictor.softmax_label_pixel", "softmax under region labels: per output pixel",
                                       kDerived,
                                       "lbu of the query's label, the query index's addi and wrap compare, the "
                                       "window pointer's advance, m's -128"),
    predictor<&P::softmax_label_max>("predictor.softmax_label_max",
                                     "softmax under region labels, max pass: per element, beside softmax_max",
                                     kDerived, "lbu label, xor, sltiu, neg, addi 128, and (p.maxu for p.max)"),
    predictor<&P::softmax_label_mask>("predictor.softmax_label_mask",
                                      "softmax under region labels, sum and division passes: per element each",
                                      kDerived, "lbu label, xor, sltiu, neg, and"),
    predictor<&P::softmax_causal_start>("predictor.softmax_causal_start",
                                        "softmax under a causal mask: per core, besides one division", kDerived,
                                        "the first row's kept count (addi)"),
    predictor<&P::softmax_causal_pixel>("predictor.softmax_causal_pixel", "softmax under a causal mask: per output pixel",
                                        kDerived,
                                        "the kept count's addi and branch-free wrap (sltu, neg, sub, and, sub), the "
                                        "zero loop's count (sub) and lp.setup"),
    predictor<&P::softmax_causal_zero>("predictor.softmax_causal_zero",
                                       "softmax under a causal mask: per masked element", kDerived,
                                       "sb of zero (post-increment)"),
    predictor<&P::resize_element>("predictor.resize_element", "resize: per output element", kDerived,
                                  "4 lb/lbu, 3 mul + 3 p.mac, add and srai (rounding), sb"),
    predictor<&P::resize_pixel>("predictor.resize_pixel", "resize: per output pixel", kDerived,
                                "the column entry (lw, lhu), 2 sub + 2 mul (offsets), 256 - wc, lp.setup"),
    predictor<&P::layernorm_stats_word>("predictor.layernorm_stats_word",
                                        "layernorm, statistics pass: per 4 channels (or leftover channel)",
                                        kDerived, "lw, its load-use stall, 2 pv.sdotsp.b (x.x, x.1)"),
    predictor<&P::layernorm_element>("predictor.layernorm_element", "layernorm, output pass: per element",
                                     kDerived,
                                     "lb + 3 lw, d (2), d * inv rounded to r_q30 (8), r_q30 * gamma + beta (6), "
                                     "the rounding (2), p.clip, sb"),
    predictor<&P::layernorm_pixel>("predictor.layernorm_pixel", "layernorm: per output pixel, but its divu",
                                   kDerived,
                                   "2 lp.setup, 5 clears and rewinds, V in 64 bits (12), k (13), the radicand "
                                   "(28), Newton's first step by a shift (20), 6 steps of 39 around their divu, "
                                   "the reciprocal (31), pass 2's constants (3)"),
    predictor<&P::layernorm_divide>("predictor.layernorm_divide",
                                    "layernorm: each of a pixel's 20 divu (Newton's 6 steps x 3, the reciprocal's 2)",
                                    kDerived, "the core pipeline's divider latency, core.divide_cycles' 18"),
    predictor<&P::rmsnorm_stats_word>("predictor.rmsnorm_stats_word",
                                      "layernorm as RMSNorm, statistics pass: per 4 channels (or leftover channel)",
                                      kDerived, "lw, its load-use stall, 1 pv.sdotsp.b (x.x)"),
    predictor<&P::rmsnorm_element>("predictor.rmsnorm_element", "layernorm as RMSNorm, output pass: per element",
                                   kDerived, "layernorm_element's 24 without d = n x - sum (mul, sub)"),
    predictor<&P::rmsnorm_pixel>("predictor.rmsnorm_pixel", "layernorm as RMSNorm: per output pixel, but its divu",
                                 kDerived,
                                 "layernorm_pixel's 348 with one sum cleared (-1), V = Q in one word (1, not 12) "
                                 "and its zero test on one word (1, not 2)"),
    predictor<&P::matmul_product_block_setup>("predictor.matmul_product_block_setup",
                                              "matmul (two activations): setup of a 4x2 block", kDerived,
                                              "6 pointer ALU, 8 accumulator clears (no bias), the K loop's "
                                              "lp.setup, pA += 3 K (mul, add)"),
    predictor<&P::matmul_product_leftover_setup>("predictor.matmul_product_leftover_setup",
                                                 "matmul (two activations): setup of a leftover channel's 1x2",
                                                 kDerived,
                                                 "pB, pB2, 2 accumulator clears, lp.setup, chan_left--, the taken "
                                                 "branch (1 + 2)"),
    predictor<&P::matmul_product_pair>("predictor.matmul_product_pair",
                                       "matmul (two activations): per pair of rows of a (or odd row)", kDerived,
                                       "5 pointer and counter ALU, the block loop's lp.setup, the taken branch "
                                       "(1 + 2)"),
    predictor<&P::requant_per_tensor>("predictor.requant_per_tensor",
                                      "requantising one output by a per-tensor entry held in registers", kDerived,
                                      "p.mul, add, sra, p.clip, sb"),
    predictor<&P::maxpool_word>("predictor.maxpool_word", "max pool: per window element and 4 channels",
                                kDerived, "word load, pv.maxu.b"),
    predictor<&P::pool_pixel_overhead>("predictor.pool_pixel_overhead", "pools: per output pixel", kChosen,
                                       "estimated: the store and window pointers"),
    predictor<&P::avgpool_byte>("predictor.avgpool_byte", "average pool: per window byte", kDerived,
                                "byte load, add"),
    defaulted<PulpParams>(key("predictor.bank_conflict_share", K::Real, "fraction", 0, 1,
                              "share of the cycles a core's load meets another requester of its bank that it "
                              "loses (TCDM conflicts among cores and with the DMA)",
                              kChosen, "round-robin arbitration between two requesters: half",
                              [](HwConfig& c) -> FieldRef { return &pu(c).predictor.bank_conflict_share; })),

  };
}

// Energy (perf/energy, docs/energy.md): per counted event, and static power.
std::vector<KeySpec> pulp_energy_keys() {
  return {
    energy<PulpParams>("energy.instruction_pj", "pJ", "one core instruction (fetch, decode, register file, ALU)",
                       kPublished, "DORY's GAP8 power per layer (its README: MobileNetV1-128, 100 MHz, 1.0 V) less the idle floor and the L1 and L2 accesses, over the instructions the cluster model counts in its 27 conv layers (tests/bench/energy_fit.py)", &pulp_energy_field<&PulpEnergyParams::instruction_pj>),
    energy<PulpParams>("energy.simd_mac_pj", "pJ", "one int8 MAC of a SIMD dot product, beyond its instruction",
                       kChosen, "0: inside energy.instruction_pj; DORY's per-layer power cannot tell a MAC from its instruction (a fit gives a negative MAC energy)", &pulp_energy_field<&PulpEnergyParams::simd_mac_pj>),
    energy<PulpParams>("energy.l1_access_pj", "pJ", "one 32-bit TCDM access: a core's load or store, a DMA word",
                       kChosen, "GVSoC's pulp_open L1 model, 2.124 pJ per access at 1.2 V, scaled by V^2 to GAP8's 1.0 V", &pulp_energy_field<&PulpEnergyParams::l1_access_pj>),
    energy<PulpParams>("energy.l2_byte_pj", "pJ", "one byte read or written in L2 by the cluster DMA or the uDMA",
                       kChosen, "no GAP8 figure: Accelergy's 64 KiB SRAM at 45 nm, 1.62 pJ/byte read, scaled to 55 nm at 1.0 V by Stillmaker & Baas (x1.154)", &pulp_energy_field<&PulpEnergyParams::l2_byte_pj>),
    energy<PulpParams>("energy.l3_ram_byte_pj", "pJ", "one byte through the HyperRAM (L3)", kPublished, "S27KS0641 HyperRAM data sheet: 60 mA at most bursting at 166 MHz, 1.8 V, 333 MB/s (an upper bound)",
                       &pulp_energy_field<&PulpEnergyParams::l3_ram_byte_pj>),
    energy<PulpParams>("energy.l3_flash_byte_pj", "pJ", "one byte read from the HyperFlash (L3's weights)",
                       kChosen, "taken as the HyperRAM's on the same HyperBus (the S26KS512S read current at speed is not in the sources we hold)", &pulp_energy_field<&PulpEnergyParams::l3_flash_byte_pj>),
    energy<PulpParams>("energy.cluster_idle_mw", "mW",
                       "the cluster domain switched on, whatever its cores do (clock tree, leakage)", kPublished,
                       "DORY's GAP8 power plot (README, 100 MHz, 1.0 V): the cluster domain between layers", &pulp_energy_field<&PulpEnergyParams::cluster_idle_mw>),
    energy<PulpParams>("energy.soc_mw", "mW",
                       "the SoC domain over the run (fabric controller, L2, uDMA, pads)", kPublished, "DORY's GAP8 power plot: the I/O (SoC) domain while the network runs",
                       &pulp_energy_field<&PulpEnergyParams::soc_mw>),
  };
}

// Every PULP key, in file order: the sections above one after another.
const std::vector<KeySpec>& pulp_keys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> all;
    for (auto* section : {pulp_hardware_keys, pulp_core_pipeline_keys, pulp_predictor_conv_keys,
                          pulp_predictor_elementwise_keys, pulp_energy_keys}) {
      std::vector<KeySpec> part = section();
      all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return all;
  }();
  return keys;
}

}  // namespace

const std::array<TargetSchema, kTargetCount>& target_schemas() {
  static const std::array<TargetSchema, kTargetCount> schemas = {{
      {Target::Xdnn, "xdnn", xdnn_keys, [] { return HwConfig::Params{XdnnParams{}}; }},
      {Target::Pulp, "pulp", pulp_keys, [] { return HwConfig::Params{PulpParams{}}; }},
  }};
  return schemas;
}

static_assert(std::variant_size_v<HwConfig::Params> == kTargetCount, "one params block per Target");
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Target::Xdnn), HwConfig::Params>,
                             XdnnParams>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Target::Pulp), HwConfig::Params>,
                             PulpParams>);

const TargetSchema& schema_of(Target target) { return target_schemas().at(static_cast<std::size_t>(target)); }

std::string target_choices() {
  std::string text;
  for (std::size_t i = 0; i < kTargetCount; ++i) {
    if (i > 0) text += i + 1 == kTargetCount ? " or " : ", ";
    text += target_schemas()[i].name;
  }
  return text;
}

std::vector<const KeySpec*> all_keys(Target target) {
  std::vector<const KeySpec*> keys;
  for (const auto& k : common_keys()) keys.push_back(&k);
  for (const auto& k : schema_of(target).keys()) keys.push_back(&k);
  return keys;
}

const KeySpec* find_key(Target target, std::string_view path) {
  for (const KeySpec* k : all_keys(target)) {
    if (k->info.path == path) return k;
  }
  return nullptr;
}

HwValue value_of(const KeySpec& key, const HwConfig& config) {
  // The accessors hand out mutable pointers; here they are only read.
  auto& readable = const_cast<HwConfig&>(config);
  return std::visit(
      [](auto* field) -> HwValue {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, int>) {
          return static_cast<std::int64_t>(*field);
        } else {
          return *field;
        }
      },
      key.field(readable));
}

std::vector<std::string_view> group_members(Target target, std::string_view path) {
  std::vector<std::string_view> members;
  const std::string prefix = std::string(path) + ".";
  for (const KeySpec* k : all_keys(target)) {
    if (k->info.path.starts_with(prefix)) members.push_back(k->info.path.substr(prefix.size()));
  }
  return members;
}

}  // namespace wb::hw_schema

namespace wb {

using namespace hw_schema;

const char* target_name(Target target) { return schema_of(target).name; }

std::vector<Target> all_targets() {
  std::vector<Target> targets;
  for (const TargetSchema& schema : target_schemas()) targets.push_back(schema.target);
  return targets;
}

std::vector<HwKeyInfo> hw_keys(Target target) {
  std::vector<HwKeyInfo> keys;
  for (const KeySpec* k : all_keys(target)) keys.push_back(k->info);
  return keys;
}

std::vector<HwKeyValue> resolved_keys(const HwConfig& config) {
  std::vector<HwKeyValue> values;
  for (const KeySpec* k : all_keys(config.target())) {
    if (k->field == nullptr) {
      values.push_back({k->info, std::string(target_name(config.target()))});
      continue;
    }
    values.push_back({k->info, value_of(*k, config)});
  }
  return values;
}

const char* provenance_name(HwProvenance provenance) {
  switch (provenance) {
    case HwProvenance::Published:
      return "published";
    case HwProvenance::Chosen:
      return "chosen";
    case HwProvenance::Derived:
      return "derived";
    case HwProvenance::PerConfig:
      return "per config";
  }
  return "?";
}

}  // namespace wb
