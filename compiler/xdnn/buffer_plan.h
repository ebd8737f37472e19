#pragma once
// AM layout: which tensors share a buffer (concat by placement, reshape aliases) and how
// each buffer is laid out in the hardware's format: channel sections of the array height
// (one AM word holds `array.rows` channels; the rest of a partial section is zero padding),
// rows aligned to `am_width_align` words (v2), and *replication* of a narrow channel group
// across the AM word for a conv with a wide kernel (v3: the array then reads several
// horizontal taps per word instead of idling most of its rows).
//
// Pre: a LayerMapping without unsupported entries.
// Post: every tensor a layer reads or writes has a buffer and a channel offset in it.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/layer_mapping.h"
#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"

namespace wb::xdnn {

struct Buffer {
  std::string name;               // the root tensor's name
  int tensor = -1;                // root QGraph tensor (a concat output, or a plain tensor)
  std::uint32_t channels = 0, height = 0, width = 0;
  std::uint32_t element_bytes = 1;
  bool is_signed = true;
  std::uint32_t replication = 1;
  std::uint64_t bytes = 0;        // AM bytes of the whole buffer
  std::vector<int> writers;       // layer indices, in layer order
  std::vector<int> readers;       // layer indices, in layer order
  bool network_input = false;
  bool network_output = false;
  // A constant operand (a class token, a position embedding): its DDR home, beside the weights,
  // holds its integers from the start (the program carries them in its weights blob), so it is
  // also a network_input to the allocator and the emitter.
  bool constant = false;
  // A network input read by one conv only is streamed from DDR by the overlay's tiling
  // engine while the array computes: it takes no AM (bytes = 0).
  bool streamed = false;
  // Too large for AM beside its layers' other buffers (row_tiling.h): it lives in its DDR
  // home only, and every layer touching it runs in row stripes (bytes = 0). Also a buffer
  // only host layers write and read (attention's scores and probabilities), and a constant
  // only pixel copies read (a class token): its home has it, nothing on the overlay needs it in AM.
  bool ddr_resident = false;
  // A stripe buffer: AM for one tiled layer's stripes of DDR-resident buffer `stripe_of`,
  // laid out as that buffer with `height` rows (the tallest stripe).
  int stripe_of = -1;
};

// A layer run in row stripes: output rows [k * rows_per_stripe, (k + 1) * rows_per_stripe)
// for k < stripes (the last clipped to the output), each DDR-resident operand's rows
// going through AM stripe buffers, used in turn (two: the next stripe's upload overlaps
// this stripe's compute).
struct LayerTiling {
  std::uint32_t rows_per_stripe = 0;
  std::uint32_t stripes = 0;
  std::map<int, std::vector<int>> slots;  // DDR-resident buffer -> its stripe buffers
};

struct TensorHome {
  int buffer = -1;
  std::uint32_t channel_offset = 0;
};

struct BufferPlan {
  std::vector<Buffer> buffers;
  std::map<int, TensorHome> homes;  // QGraph tensor -> its buffer (after aliases)
  std::uint32_t section_channels = 0;
  std::uint32_t width_align = 1;
  int replicated_buffers = 0;
  std::map<int, LayerTiling> tiling;  // layer -> its stripes (layers touching a DDR-resident buffer)
  int ddr_resident_buffers = 0;
};

// A tensor as the image its buffer holds: NCHW as it is, [N, C] a 1 x 1 image, and attention's
// scores [h, T, T'] the image (h T) x 1 x T' (channel k T + i holds query i of head k, pixel j
// key j): row-major [h, T, T'] is then the image's NCHW order, and in AM the keys of a query
// lie along W as a token image's tokens do.
struct ImageDims {
  std::uint32_t channels = 1, height = 1, width = 1;
};
ImageDims image_dims(const quant::QTensor& t);

BufferPlan plan_buffers(const quant::QGraph& graph, const LayerMapping& mapping, const XdnnParams& hw,
                        const CompileOptions& options);

// The layout of tensor `tensor` (a slice of its buffer) in AM or DDR.
isa::xdnn::TensorLayout tensor_layout(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                                      int tensor);
// The layout of a whole buffer.
isa::xdnn::TensorLayout buffer_layout(const BufferPlan& plan, const Buffer& buffer);

// The index of the buffer tensor `tensor` lives in (after reshape aliases).
int buffer_of(const BufferPlan& plan, const LayerMapping& mapping, int tensor);
// A conv layer whose input is a network input the tiling engine streams from DDR (Buffer::streamed).
bool streams_input(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                   const XLayer& layer);

// Replication factor a conv reading a `channels`-channel tensor would get (1: none).
std::uint32_t replication_factor(std::uint32_t channels, std::uint32_t kernel_w, std::uint32_t section_channels);

}  // namespace wb::xdnn
