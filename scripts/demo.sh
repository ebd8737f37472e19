#!/usr/bin/env bash
# Sets up, builds, exports the default model (torchvision ResNet-50, seeded random weights)
# and runs the main job on it: the per-layer table, a float reference inference (top-5), and
# quantization (xdnn scheme) with the integer golden model's fidelity report.
set -euo pipefail
cd "$(dirname "$0")/.."

model_name=${1:-resnet50}
scripts/setup.sh --preset release
model_dir=$(/usr/bin/python3 scripts/export_workloads.py --print-dir "$model_name" | tail -n 1)
workbench=build/release/workbench/workbench

echo
echo "== workbench inspect $model_dir/model.onnx"
"$workbench" inspect "$model_dir/model.onnx"
echo
echo "== workbench infer $model_dir/model.onnx --input $model_dir/input.npy"
"$workbench" infer "$model_dir/model.onnx" --input "$model_dir/input.npy" --output /tmp/workbench-demo-output.npy
echo
echo "== workbench quantize $model_dir/model.onnx --scheme xdnn --report -o /tmp/workbench-demo-quant"
"$workbench" quantize "$model_dir/model.onnx" --scheme xdnn --report -o /tmp/workbench-demo-quant
