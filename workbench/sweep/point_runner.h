#pragma once
// One design point, run in this process (`workbench sweep point`): the quantized model from
// the sweep's cache, the point's config and compile options through the target's back end,
// the simulation (with data and the golden check in verify mode), and its result file.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <iosfwd>

#include "workbench/report/report.h"
#include "workbench/sweep/manifest.h"
#include "workbench/sweep/point_result.h"

namespace wb::sweep {

// Compiles and simulates the point; UserError for a point that cannot be compiled.
report::RunReport run_point(const ManifestPoint& point, std::ostream& log);

// `workbench sweep point MANIFEST INDEX`: runs manifest point INDEX and writes its result
// file (success only: the caller records failures). UserError for a manifest of another
// build or an index out of range.
void run_manifest_point(const std::filesystem::path& manifest, std::size_t index, std::ostream& log);

}  // namespace wb::sweep
