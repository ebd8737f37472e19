"""Long calls release the interpreter's lock, and Ctrl-C stops them without ending the interpreter."""

import os
import signal
import subprocess
import sys
import threading
import time

import workbench as wb
from conftest import GAP8, TINY_RESNET

# Calibrating on this many inputs takes minutes: long enough to be interrupted in the middle.
LONG_CALIBRATION = 20000

INTERRUPTED_RUN = f"""
import sys, time, warnings
import workbench as wb
warnings.simplefilter("ignore")
print("started", flush=True)
start = time.monotonic()
try:
    wb.run({TINY_RESNET!r}, {GAP8!r}, calib_count={LONG_CALIBRATION}, cache=False)
    print("finished")
except KeyboardInterrupt:
    print(f"interrupted after {{time.monotonic() - start:.1f}} s", flush=True)
# The interpreter and the library still work, and a new call is not interrupted.
print("after:", wb.run({TINY_RESNET!r}, {GAP8!r}).verdict, flush=True)
"""


def test_ctrl_c_stops_a_run_and_the_interpreter_goes_on():
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED_RUN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=os.environ.copy())
    assert child.stdout.readline().strip() == "started"
    time.sleep(2.0)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    first = child.stdout.readline()
    stopped_after = time.monotonic() - sent
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert first.startswith("interrupted after"), first + out + err
    # The phase running (calibration, an input at a time) noticed at once, not at its end.
    assert stopped_after < 3, stopped_after
    assert out.strip() == "after: bit-exact", out


def test_the_lock_is_released_while_a_run_works():
    ticks = []
    done = threading.Event()

    def work():
        wb.run(TINY_RESNET, GAP8, calib_count=200, cache=False)
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    while not done.is_set():
        ticks.append(time.monotonic())
        time.sleep(0.001)
    thread.join()
    # The main thread kept running Python while the run worked: no gap near the run's length.
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 20 and max(gaps) < 0.5, (len(ticks), max(gaps))


INTERRUPTED_SWEEP = f"""
import os, sys, time, warnings
import workbench as wb
warnings.simplefilter("ignore")
db = sys.argv[1]
# 128 points of a tenth of a second or less each, one at a time.
spec = {{"name": "interrupted", "configs": [{GAP8!r}], "models": [{TINY_RESNET!r}], "mode": "verify",
        "axes": {{"cores": [1, 2, 3, 4, 5, 6, 7, 8], "l1_tile_budget_bytes": ["16KiB .. 46KiB step 2KiB"]}}}}
print("started", flush=True)
try:
    wb.sweep(spec, jobs=1, db=db)
    print("finished")
except KeyboardInterrupt:
    print("interrupted", flush=True)
points = wb.Sweep.open(db).points
print(len(points), int((points["status"] == "done").sum()), flush=True)
"""


def test_ctrl_c_stops_a_sweep_keeping_the_points_done(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED_SWEEP, str(tmp_path / "s.db")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=os.environ.copy(), cwd=str(tmp_path))
    assert child.stdout.readline().strip() == "started"
    time.sleep(2.0)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    lines = out.split()
    assert lines[0] == "interrupted", out
    total, done = int(lines[1]), int(lines[2])
    assert total == 128 and 0 < done < 128, out
