"""Shared fixtures of the Python package's tests (docs/testing.md): paths of the source tree
and of the command line's binary, and a model cache of the test session's own."""

import json
import os
import subprocess
import tempfile

import pytest

SOURCE = os.environ["WB_TEST_SOURCE_DIR"]
WORKBENCH = os.environ["WB_TEST_WORKBENCH"]

# The package's runs use the model cache as `workbench run` does; not the user's.
_cache = tempfile.TemporaryDirectory(prefix="workbench-pytest-cache-")
os.environ["WB_CACHE_DIR"] = _cache.name


def source(*parts):
    return os.path.join(SOURCE, *parts)


TINY_RESNET = source("workloads", "tiny_resnet.onnx")
GAP8 = source("configs", "gap8.yaml")
V3_96 = source("configs", "v3_96.yaml")


def cli(*args, check=True):
    """The command line on the same arguments: (exit code, stdout, stderr)."""
    done = subprocess.run([WORKBENCH, *args], capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"workbench {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.returncode, done.stdout, done.stderr


def cli_report(tmp_path, *args):
    path = os.path.join(tmp_path, "cli.json")
    cli(*args, "--json", path, "--quiet")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def cli_error(*args):
    """The message the command line prints for bad input (exit 2), without "error: " and the
    warnings after it."""
    code, _, err = cli(*args, check=False)
    assert code == 2, err
    assert err.startswith("error: "), err
    lines = []
    for line in err[len("error: "):].splitlines():
        if line.startswith("warning: "):
            break
        lines.append(line)
    return "\n".join(lines)


@pytest.fixture
def folder(tmp_path):
    return str(tmp_path)
