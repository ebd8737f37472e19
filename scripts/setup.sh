#!/usr/bin/env bash
# Installs what is missing (Debian packages), then configures and builds the workbench.
#   scripts/setup.sh [--preset release|debug|asan] [--no-build]
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config git
  libsystemc-dev libprotobuf-dev protobuf-compiler libonnx-dev libeigen3-dev libyaml-cpp-dev
  libfmt-dev libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev libsqlite3-dev libssl-dev libmuparser-dev
  libdnnl-dev ocl-icd-opencl-dev
  slurm-wlm munge chromium libpng-dev
  python3-numpy python3-torch python3-torchvision python3-onnx python3-matplotlib
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" >/dev/null
fi
if [ "$build" -eq 1 ]; then
  cmake --build --preset "$preset"
fi
