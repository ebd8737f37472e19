#!/usr/bin/env bash
# Sets up, builds and runs every test through ctest (release preset). With CI=true it first
# builds the asan preset (AddressSanitizer + UBSan, SystemC simulators included) and runs the
# whole suite under it but the tests labelled slow-under-sanitizers; then it builds in the
# release preset only what those and the Python package's tests need, and runs them
# (docs/testing.md).
# Extra arguments go to ctest of both (e.g. scripts/test.sh -L unit); then both builds are whole.
set -euo pipefail
cd "$(dirname "$0")/.."

release_setup=()
# The release pass of CI runs only what the sanitized pass does not (below); building the rest
# of the release tree, its unit tests above all, would cost CI minutes for tests already run.
[ "${CI:-}" = "true" ] && [ $# -eq 0 ] && release_setup=(--target wb_release_pass)
scripts/setup.sh --preset release "${release_setup[@]}"
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
  # Every other test has just run under the sanitizers, with the same figures (the regression
  # baseline checks them); running them again in the release build would cost a fifth of CI's
  # budget (docs/testing.md). A selection given as arguments runs in both.
  [ $# -eq 0 ] && release_args=(-L 'slow-under-sanitizers|python')
fi
# ctest's summary is the last thing printed, so a run that executed nothing is visible.
ctest --preset release -j2 "${release_args[@]}" "$@" || status=1
exit $status
