#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz for a while (docs/fuzzing.md).
#   scripts/fuzz.sh TARGET SECONDS [LIBFUZZER_FLAG...]    e.g. scripts/fuzz.sh hw_config 600
#   scripts/fuzz.sh --list
# Installs clang-14 and libFuzzer when missing, configures and builds the fuzz preset (build/fuzz: clang-14, ASan + UBSan) when needed,
# gathers the seeds (tests/fuzz/corpus/TARGET, the regression inputs, files of workloads/ and
# configs/, and for the program and QDQ targets what `workbench compile` makes of
# workloads/tiny_*.onnx), then fuzzes for SECONDS. The corpus it grows is kept in
# build/fuzz/runs/TARGET/corpus for the next run; crash, leak and timeout inputs go to
# build/fuzz/runs/TARGET/crashes/. Exit status: libFuzzer's (0: nothing found).
# Extra flags go to libFuzzer: -jobs=N -workers=N, -max_len=N, -runs=N (instead of time), ...
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

targets=(onnx_import hw_config xdnn_program pulp_program tensor_npy tensor_pb qdq_import sweep_spec)
usage() { sed -n '2,4p' "$0" | sed 's/^# //'; echo "targets: ${targets[*]}"; }

if [ $# -ge 1 ] && [ "$1" = "--list" ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  usage >&2
  exit 2
fi
target=$1
seconds=$2
shift 2
case " ${targets[*]} " in
  *" $target "*) ;;
  *) echo "fuzz.sh: unknown target '$target' (scripts/fuzz.sh --list)" >&2; exit 2 ;;
esac
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

# Installs what is missing (clang-14 and libFuzzer with the rest) and configures build/fuzz.
if ! scripts/setup.sh --preset fuzz --no-build; then
  echo "fuzz.sh: setting up the fuzz preset failed (see above)" >&2
  exit 2
fi
build=build/fuzz
# The program and QDQ seeds need the workbench itself; the other targets only their binary.
needs=("fuzz_$target")
case "$target" in xdnn_program|pulp_program|qdq_import) needs+=(workbench) ;; esac
mkdir -p "$build/runs"
if ! cmake --build "$build" --target "${needs[@]}" -j2 >"$build/runs/build.log" 2>&1; then
  grep -E 'error|FAILED' "$build/runs/build.log" | head -20 >&2
  echo "fuzz.sh: building $build failed (all of it in $build/runs/build.log)" >&2
  exit 2
fi

run="$build/runs/$target"
seeds="$run/seeds"
mkdir -p "$run/corpus" "$run/crashes"
rm -rf "$seeds"
mkdir -p "$seeds"
copy_into_seeds() {
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$seeds/$(echo "$f" | tr '/' '_')"
  done
  return 0
}
copy_into_seeds tests/fuzz/corpus/"$target"/* tests/fuzz/regressions/"$target"/*

# Programs and QDQ models compiled from the checked-in workloads, once per workbench build
# (they change format with the compiler, so none is checked in).
compiled="$build/runs/compiled"
compile_seeds() {
  local stamp="$compiled/.stamp"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$build/workbench/workbench" ]; then return 0; fi
  echo "fuzz.sh: compiling workloads/tiny_*.onnx for v3_96 and gap8 (seeds)"
  rm -rf "$compiled"
  mkdir -p "$compiled"
  for model in workloads/tiny_*.onnx; do
    for config in v3_96 gap8; do
      local out
      out="$compiled/$(basename "$model" .onnx).$config"
      # libgomp's thread pool is never freed; not a leak of ours (as scripts/test.sh).
      ASAN_OPTIONS=detect_leaks=0 "$build/workbench/workbench" compile --hw "configs/$config.yaml" "$model" \
        --calib-count 1 -o "$out" >/dev/null 2>"$compiled/$(basename "$out").log" ||
        echo "fuzz.sh: note: $model does not compile for $config, no seed from it ($compiled/$(basename "$out").log)" >&2
    done
  done
  touch "$stamp"
}

# libFuzzer's limits per target: the longest input (seeds above it are cut), seconds per
# input (ASan makes everything ~3x slower), and a dictionary where the format has keywords.
max_len=4096
timeout=10
dict=()
case "$target" in
  onnx_import)
    copy_into_seeds workloads/*.onnx
    max_len=100000; timeout=30 ;;
  qdq_import)
    compile_seeds
    copy_into_seeds "$compiled"/*/model.qdq.onnx
    max_len=100000; timeout=30 ;;
  xdnn_program)
    compile_seeds
    copy_into_seeds "$compiled"/*.v3_96/program.xdnn
    max_len=$(( $(cat "$compiled"/*.v3_96/program.xdnn 2>/dev/null | wc -c) / 4 + 65536 )) ;;
  pulp_program)
    compile_seeds
    copy_into_seeds "$compiled"/*.gap8/program.pulp
    max_len=$(( $(cat "$compiled"/*.gap8/program.pulp 2>/dev/null | wc -c) / 4 + 65536 )) ;;
  tensor_npy)
    copy_into_seeds workloads/*.npy
    max_len=16384 ;;
  hw_config|sweep_spec)
    max_len=8192
    [ "$target" = hw_config ] && copy_into_seeds configs/*.yaml
    [ "$target" = sweep_spec ] && copy_into_seeds configs/sweeps/*.yaml
    # Every key the shipped configs and specs use, and the byte units, as dictionary words.
    {
      grep -ohE '^ *[a-z_0-9]+:' configs/*.yaml configs/sweeps/*.yaml | tr -d ' ' | sort -u | sed 's/.*/"&"/'
      printf '"%s"\n' KiB MiB GiB kB MB GB xdnn pulp true false step '..' grid zip timing verify ablation '=' '.'
    } >"$run/keys.dict"
    dict=(-dict="$root/$run/keys.dict") ;;
esac
if [ -z "$(ls -A "$seeds")" ]; then
  echo "fuzz.sh: no seeds for $target (did compiling the workloads fail? see $compiled/*.log)" >&2
  exit 1
fi

log="$run/fuzz-$(date +%Y%m%d-%H%M%S).log"
crashes_before=$(ls -A "$run/crashes" | wc -l)
echo "fuzz.sh: $target for ${seconds} s; seeds $(ls "$seeds" | wc -l) files; corpus $run/corpus; log $log"
status=0
# Leaks are findings here (libFuzzer checks for them per input); UBSan stops at the first report.
# ASan records the stack of every allocation; its fast unwinder walks garbage frames through
# Debian's libraries (built without frame pointers), so every record is new and the stack
# depot grows without bound: 1.3 GB of RSS after 1 M inputs of hw_config, none of it a leak
# (the same inputs in a release build stay at 9 MB). One frame per record keeps it flat; run
# a crash input again without ASAN_OPTIONS for full allocation stacks.
asan_options="detect_leaks=1:malloc_context_size=1:quarantine_size_mb=64"
# From the run's folder: with -jobs, libFuzzer writes a fuzz-N.log per job into the current one.
(
  cd "$run"
  ASAN_OPTIONS="${ASAN_OPTIONS:-$asan_options}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
    exec "$root/$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len="$max_len" -timeout="$timeout" \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$root/$run/crashes/" "$@" "$root/$run/corpus" "$root/$seeds"
) 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
found=$(( $(ls -A "$run/crashes" | wc -l) - crashes_before ))
# One line for BENCHMARKS.md: libFuzzer's last status line and final statistics.
last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+' || true)
ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+' || true)
corp=$(echo "$last" | grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' | sed 's/corp: //' || true)
echo "fuzz.sh: $target: ${seconds} s, ${runs:-?} executions, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}," \
  "corpus ${corp:-?}; libFuzzer exit status $status; $found new file(s) in $run/crashes/"
if [ "$found" -gt 0 ]; then
  echo "fuzz.sh: reproduce one with: $build/tests/fuzz/fuzz_$target FILE; keep it as a regression input:"
  echo "         cp FILE tests/fuzz/regressions/$target/<what-it-found>   (docs/fuzzing.md)"
fi
exit "$status"
