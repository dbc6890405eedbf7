"""Turns on the machine between the test bed's two lanes (`tools/testbed.py test`, molecule/README.md).

The long scenarios (ha, ha2) run in one lane and every other stage in another, side by side. What
must not share the machine is a timed window: a test that bounds how long clients wait (a pull
loop through a restart, a VIP takeover) and would measure the other lane's load instead of the
cluster. So:

- a timed window holds the quiet lock exclusively (`window()`);
- every ansible-playbook run of the bed holds it shared for its life (`shared()`, taken by the
  callback molecule/resources/callback_plugins/bed_turns.py, and by the lane runner around lint,
  unit and sanity), so playbooks of both lanes run at once but none while a window is open;
- a window that waits goes first: it holds the gate while it waits, and a new shared holder must
  pass the gate;
- the playbooks a window runs itself (site.yml under a pull loop) do not wait for it: the window
  sets HARBOR_HA_QUIET_HELD in its environment, which its child processes inherit.

Locks are flock(2) on fixed files in /tmp, like the scenario locks: the kernel drops them when
their process ends, however it ends. Standard library only (the test bed's system Python imports it).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

QUIET = "/tmp/harbor-ha-quiet.lock"  # a fixed path is the point: one lock per machine
GATE = "/tmp/harbor-ha-quiet.gate"
HELD = "HARBOR_HA_QUIET_HELD"


def _open(path: str) -> int:
    # O_NOFOLLOW refuses a symlink planted at the fixed path.
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)


def _take(mode: int) -> int:
    """The quiet lock in `mode`, past the gate; its descriptor (closing it releases the lock)."""
    gate = _open(GATE)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)
        quiet = _open(QUIET)
        fcntl.flock(quiet, mode)
    finally:
        os.close(gate)
    return quiet


def shared() -> int | None:
    """Hold the quiet lock shared until the descriptor returned is closed (or the process ends);
    None, holding nothing, inside a window."""
    if os.environ.get(HELD):
        return None
    return _take(fcntl.LOCK_SH)


@contextmanager
def window() -> Iterator[None]:
    """A timed window: nothing of the other lane runs a playbook inside it. Nested windows (a pull
    loop beside another) share the outer one."""
    if os.environ.get(HELD):
        yield
        return
    quiet = _take(fcntl.LOCK_EX)
    os.environ[HELD] = "1"
    try:
        yield
    finally:
        del os.environ[HELD]
        os.close(quiet)
