#!/usr/bin/env bash
# Sets up, builds and runs every test through ctest (release preset). With CI=true it first
# builds the asan preset (AddressSanitizer + UBSan, SystemC simulators included) and runs the
# whole suite under it, then the release build's tests but the integration label
# (docs/testing.md).
# Extra arguments go to ctest of both (e.g. scripts/test.sh -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --preset release
# ctest runs two tests at once on this 2-core machine; two OpenMP pools of two threads each
# would oversubscribe the cores, and libgomp's spinning barriers then cost several times the
# work (BENCHMARKS.md). One thread per test process keeps both cores busy without that.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
status=0
release_args=()
if [ "${CI:-}" = "true" ]; then
  scripts/setup.sh --preset asan
  # The asan test preset sets ASAN_OPTIONS (no leak check: libgomp's thread pool is never
  # freed, not a leak of ours) and UBSAN_OPTIONS.
  # The tests labelled slow-under-sanitizers run in the release pass below instead (docs/testing.md).
  asan_args=()
  [ $# -eq 0 ] && asan_args=(-LE slow-under-sanitizers)
  ctest --preset asan -j2 "${asan_args[@]}" "$@" || status=1
  # The integration tests have just run under the sanitizers, with the same figures (the
  # regression baseline checks them); running them again in the release build would cost a
  # fifth of CI's budget (docs/testing.md). A selection given as arguments runs in both.
  [ $# -eq 0 ] && release_args=(-LE integration)
fi
# ctest's summary is the last thing printed, so a run that executed nothing is visible.
ctest --preset release -j2 "${release_args[@]}" "$@" || status=1
exit $status
