#pragma once
// Which layers of several run reports are "the same work": the join `workbench compare` prints
// side by side (docs/report.md). Layers are matched by the QGraph tensor they write (a run
// report's `layers[].output`), not by name: one network compiled for two targets, or with
// other options, fuses differently (xDNN runs conv+pool as one layer, PULP as two), but both
// write the network's tensors. Each tensor every report writes exactly once is a row, holding
// the layer of each report that writes it, whatever order the reports ran their branches in;
// a layer writing no such tensor (its work fused into another layer on some target) joins the
// next layer of its report that writes one, so fused and unfused layers land in one row.

#include <cstddef>
#include <string>
#include <vector>

namespace wb::compare {

struct JoinedRow {
  // The tensor that closes the row in every report ("a + b" when one report's layer writes both,
  // as xDNN's merged sibling convs do); empty for the layers after the last common tensor
  // (present only when some report has such layers).
  std::string output;
  // Per report (in the order given), the indices of its layers in this row, ascending; a
  // report may have none in the tail row.
  std::vector<std::vector<std::size_t>> layers;
};

// The tensors one layer writes: its output, or a merged conv's parts.
using LayerWrites = std::vector<std::string>;

// `reports[r][i]` are the tensors layer i of report r writes ("" when the report does not
// say). Rows follow the first report's order; tensors one layer writes together share a row in
// every report; every layer of every report is in exactly one row. Reports whose layers name
// no common tensor end up in one row.
std::vector<JoinedRow> join_layers(const std::vector<std::vector<LayerWrites>>& reports);
// The same for reports whose layers each write one tensor: `outputs[r][i]`.
std::vector<JoinedRow> join_layers(const std::vector<std::vector<std::string>>& outputs);

}  // namespace wb::compare
