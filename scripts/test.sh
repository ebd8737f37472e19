#!/usr/bin/env bash
# Sets up, builds and runs every test through ctest (release preset). With CI=true it also
# builds the asan preset (AddressSanitizer + UBSan) and runs the unit tests under it.
# Extra arguments go to ctest (e.g. scripts/test.sh -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --preset release
# ctest runs two tests at once on this 2-core machine; two OpenMP pools of two threads each
# would oversubscribe the cores, and libgomp's spinning barriers then cost several times the
# work (BENCHMARKS.md). One thread per test process keeps both cores busy without that.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
status=0
if [ "${CI:-}" = "true" ]; then
  scripts/setup.sh --preset asan
  # libgomp's thread pool is never freed; that is not a leak of ours.
  ASAN_OPTIONS=detect_leaks=0 ctest --preset asan -j2 "$@" || status=1
fi
# ctest's summary is the last thing printed, so a run that executed nothing is visible.
ctest --preset release -j2 "$@" || status=1
exit $status
