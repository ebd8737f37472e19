#!/usr/bin/env bash
# Sets up, builds, exports the default model (torchvision ResNet-50, seeded random weights)
# and runs the main job on it: `workbench run` on the xDNN v3 96x16 config (quantize,
# compile, simulate on the SystemC overlay, check bit-exactly against the golden model,
# per-layer cycles and MAC/cycle), after the model's per-layer table.
set -euo pipefail
cd "$(dirname "$0")/.."

model_name=${1:-resnet50}
scripts/setup.sh --preset release
model_dir=$(/usr/bin/python3 scripts/export_workloads.py --print-dir "$model_name" | tail -n 1)
workbench=build/release/workbench/workbench

echo
echo "== workbench inspect $model_dir/model.onnx"
"$workbench" inspect "$model_dir/model.onnx"
out=/tmp/workbench-demo
mkdir -p "$out"
echo
echo "== workbench run --hw configs/v3_96.yaml $model_dir/model.onnx --input $model_dir/input.npy"
"$workbench" run --hw configs/v3_96.yaml "$model_dir/model.onnx" --input "$model_dir/input.npy" \
  --json "$out/run.json" --csv "$out/run.csv" --trace "$out/trace.json"
echo
echo "report: $out/run.json, $out/run.csv; trace (open in https://ui.perfetto.dev): $out/trace.json"
