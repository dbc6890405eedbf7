"""molecule/resources/tests/bedturns.py: a timed window excludes the other lane's playbooks, and a
waiting window goes before a playbook that comes after it. Each holder is a child process, as in
the bed (flock locks belong to open files, and the kernel drops them when the process ends)."""

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BEDTURNS = Path(__file__).resolve().parents[3] / "molecule" / "resources" / "tests" / "bedturns.py"
SPEC = importlib.util.spec_from_file_location("bedturns", BEDTURNS)
bedturns = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bedturns)

# A child that takes the lock (shared or a window) on files under argv[1], prints when it holds
# it, holds it for argv[3] seconds and prints when it lets go.
HOLDER = """
import sys, time, importlib.util
spec = importlib.util.spec_from_file_location("bedturns", sys.argv[4])
bt = importlib.util.module_from_spec(spec); spec.loader.exec_module(bt)
bt.QUIET, bt.GATE = sys.argv[1] + "/quiet", sys.argv[1] + "/gate"
def say(what): print(f"{time.monotonic():.3f} {what}", flush=True)
if sys.argv[2] == "shared":
    fd = bt.shared(); say("holds"); time.sleep(float(sys.argv[3])); say("lets go")
else:
    with bt.window():
        say("holds"); time.sleep(float(sys.argv[3])); say("lets go")
"""


def holder(tmp_path: Path, kind: str, seconds: float, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path), kind, str(seconds), str(BEDTURNS)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def times(process: subprocess.Popen) -> tuple[float, float]:
    out, _ = process.communicate(timeout=30)
    lines = dict(reversed(line.split(" ", 1)) for line in out.strip().splitlines())
    return float(lines["holds"]), float(lines["lets go"])


def wait_held(process: subprocess.Popen) -> None:
    line = process.stdout.readline()
    assert line.endswith("holds\n"), line


def test_two_playbooks_hold_it_at_once(tmp_path):
    first = holder(tmp_path, "shared", 1)
    second = holder(tmp_path, "shared", 1)
    (a_in, a_out), (b_in, b_out) = times(first), times(second)
    assert a_in < b_out and b_in < a_out, "shared holders took turns"


def test_a_window_waits_for_a_playbook_and_the_next_playbook_waits_for_the_window(tmp_path):
    playbook = holder(tmp_path, "shared", 1.0)
    wait_held(playbook)
    window = holder(tmp_path, "window", 1.0)
    time.sleep(0.3)  # the window is waiting at the gate
    later = holder(tmp_path, "shared", 0.1)
    playbook_out = float(playbook.communicate(timeout=30)[0].split()[0])
    window_in, window_out = times(window)
    later_in, _ = times(later)
    assert window_in >= playbook_out
    assert later_in >= window_out, "a playbook that came after a waiting window ran before it"


def test_a_window_s_own_playbooks_do_not_wait_for_it(tmp_path, monkeypatch):
    monkeypatch.setattr(bedturns, "QUIET", str(tmp_path / "quiet"))
    monkeypatch.setattr(bedturns, "GATE", str(tmp_path / "gate"))
    with bedturns.window():
        child = holder(tmp_path, "shared", 0.1, env=dict(os.environ))
        times(child)  # would wait for the window forever: communicate's timeout fails the test
        assert bedturns.shared() is None
    assert bedturns.HELD not in os.environ
    fd = bedturns.shared()
    assert isinstance(fd, int)
    os.close(fd)


@pytest.mark.parametrize("kind", ["shared", "window"])
def test_a_holder_that_dies_lets_go(tmp_path, kind):
    dying = holder(tmp_path, kind, 60)
    wait_held(dying)
    dying.kill()
    dying.wait()
    window = holder(tmp_path, "window", 0.1)
    times(window)
