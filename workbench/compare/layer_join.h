#pragma once
// Which layers of several run reports are "the same work": the join `workbench compare` prints
// side by side (docs/report.md). Layers are matched by the QGraph tensor they write (a run
// report's `layers[].output`), not by name: one network compiled for two targets, or with
// other options, fuses differently (xDNN runs conv+pool as one layer, PULP as two), but both
// write the network's tensors. The tensors every report writes exactly once, in an order all
// reports agree on, cut each report into segments; the k-th segment of every report ends at
// the k-th such tensor and holds the layers since the previous one, so fused and unfused
// layers land in one row.

#include <cstddef>
#include <string>
#include <vector>

namespace wb::compare {

struct JoinedRow {
  // The tensor that closes the segment in every report; empty for the layers after the last
  // common tensor (present only when some report has such layers).
  std::string output;
  // Per report (in the order given), the indices of its layers in this row, ascending; a
  // report may have none in the tail row.
  std::vector<std::vector<std::size_t>> layers;
};

// `outputs[r][i]` is the tensor layer i of report r writes ("" when the report does not say).
// Reports whose layers name no common tensor end up in one row. The common tensors kept are a
// longest sequence in the same order in every report (reports may schedule independent
// branches differently); a tensor left out only merges its layers into the next row.
std::vector<JoinedRow> join_layers(const std::vector<std::vector<std::string>>& outputs);

}  // namespace wb::compare
