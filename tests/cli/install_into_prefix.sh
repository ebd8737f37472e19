#!/usr/bin/env bash
# `cmake --install` into a temporary prefix (README, "Install"), then, from another directory:
# the command line on PATH runs, Debian's python3 imports the package from the prefix's
# site-packages, runs a model through it, and its sweeps would run the installed binary; and
# the default prefix's site-packages folder is one Debian's python3 searches.
# Usage: install_into_prefix.sh BUILD_DIR PYTHON_DIR_UNDER_PREFIX SOURCE_DIR
set -euo pipefail
build=$1 python_dir=$2 source=$3
prefix=$(mktemp -d /tmp/workbench-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" > /dev/null
cd /
PATH="$prefix/bin:$PATH" workbench --version
[ "$(PATH="$prefix/bin:$PATH" command -v workbench)" = "$prefix/bin/workbench" ]
PYTHONPATH="$prefix/$python_dir" WB_CACHE_DIR="$prefix/cache" PREFIX="$prefix" SOURCE="$source" /usr/bin/python3 - <<'PY'
import os
import warnings
import workbench as wb
from workbench import sweeps
prefix, source = os.environ["PREFIX"], os.environ["SOURCE"]
assert wb.__file__.startswith(prefix), wb.__file__
assert sweeps._installed_executable() == f"{prefix}/bin/workbench", sweeps._installed_executable()
warnings.simplefilter("ignore")
r = wb.run(f"{source}/workloads/tiny_resnet.onnx", f"{source}/configs/gap8.yaml", data=False)
assert r.totals["cycles"] > 0
print(f"installed package ran tiny_resnet: {r.totals['cycles']} cycles")
PY
# With the default prefix the package lands in /usr/local/<python_dir>: on Debian's path.
/usr/bin/python3 -c "import site, sys; path = '/usr/local/$python_dir'; sys.exit(0 if path in site.getsitepackages() else f'{path} is not on python3 site path {site.getsitepackages()}')"
echo "install into a prefix: ok"
