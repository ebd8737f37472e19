"""The example notebook (docs/examples/workbench_tour.ipynb) executes from top to bottom."""

import os
import shutil
import subprocess

from conftest import SOURCE


def test_the_example_notebook_executes(tmp_path):
    # Executed from a copy: the kernel runs in the notebook's folder, and the sweep writes its
    # database there.
    notebook = str(tmp_path / "workbench_tour.ipynb")
    shutil.copy(os.path.join(SOURCE, "docs", "examples", "workbench_tour.ipynb"), notebook)
    # It reads models and configs relative to the repository, as a user's checkout would.
    env = os.environ.copy()
    env["WB_REPO"] = SOURCE
    env["PATH"] = "/usr/bin:" + env.get("PATH", "")
    done = subprocess.run(["/usr/bin/jupyter-nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=600", "--output", "executed.ipynb", notebook],
                          capture_output=True, text=True, timeout=900, env=env, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-4000:]
    assert os.path.isfile(tmp_path / "executed.ipynb")
    assert os.path.isfile(tmp_path / "tour.db")
    assert not os.path.exists(os.path.join(SOURCE, "docs", "examples", "tour.db"))
