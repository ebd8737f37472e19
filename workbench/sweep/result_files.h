#pragma once
// The results folder of a sweep's work folder (<work>/results/<key>.json, point_result.h):
// importing its files into the database, the records of points whose process failed, and
// the temporary files of killed writers.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "workbench/sweep/point_result.h"
#include "workbench/sweep/process_pool.h"
#include "workbench/sweep/results_db.h"

namespace wb::sweep {

struct ImportCounts {
  std::size_t done = 0, failed = 0, unknown = 0, damaged = 0;
};

// Imports every result file of the work folder into the database and removes it (the
// database is then the record; a kill between the two only imports it again). A damaged
// file is left in place with a warning on `log`; a file of a point the database does not
// have is left in place.
ImportCounts import_result_files(ResultsDb& db, const std::filesystem::path& work_dir, std::ostream& log);

// Removes the temporary files of killed writers from the results folder.
void remove_stale_temporaries(const std::filesystem::path& work_dir);

// A failed point's record, as written on this machine now.
PointResult failed_point(const std::string& key, int exit_code, std::string error, double seconds);

// The record of a point whose process ended without its result: timed out, killed by a
// signal, or exited with an error (its error line).
PointResult failure_result(const std::string& key, const ProcessOutcome& outcome, double timeout_s);

// Writes a failed point's output beside the results (best effort: the failure itself is
// recorded in the database).
void write_log(const std::filesystem::path& path, const std::string& output);

}  // namespace wb::sweep
