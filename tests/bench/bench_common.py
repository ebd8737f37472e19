"""What the benchmark scripts share: where the exported workloads are, and one timing-only
`workbench run` that returns its JSON report."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every script's --smoke help (CI runs each script's --smoke: tests/bench/CMakeLists.txt).
SMOKE_HELP = "a few seconds: that the script still runs end to end (CI)"


def cache_dir() -> Path:
    if os.environ.get("WB_CACHE_DIR"):
        return Path(os.environ["WB_CACHE_DIR"]) / "workloads"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "workbench" / "workloads"


def model_config_points(models: str, configs: str, strict: bool = False):
    """(model, its model.onnx, config, its --set items, a label) for each exported model of the
    comma-separated `models` and each of `configs` ("v2_28" or "v2_28:am_bytes=1MiB:..."); a
    model not exported is skipped with a note on stderr (with `strict`, as --smoke: exits 1)."""
    for model in models.split(","):
        path = cache_dir() / model / "model.onnx"
        if not path.exists():
            if strict:
                sys.exit(f"{model} is not exported ({path}): /usr/bin/python3 scripts/export_workloads.py")
            print(f"skipping {model}: not exported ({path})", file=sys.stderr)
            continue
        for config_spec in configs.split(","):
            config, *sets = config_spec.split(":")
            yield model, path, config, sets, config + "".join(f" {s}" for s in sets)


def run_no_data(workbench: str, model: Path, config: str, sets: list, opts: list) -> dict:
    """`workbench run --no-data` of `model` on configs/<config>.yaml: the JSON report, or
    {"error": last line of its output} when it exits non-zero."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [workbench, "run", "--hw", str(ROOT / "configs" / f"{config}.yaml"), str(model), "--no-data",
               "--quiet", "--json", str(out)]
        for s in sets:
            cmd += ["--set", s]
        for o in opts:
            cmd += ["--compile-opt", o]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            return {"error": said[-1] if said else f"exit {done.returncode}, no output"}
        return json.loads(out.read_text())
