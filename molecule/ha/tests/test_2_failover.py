"""The registry keeps serving while a node dies, and the node comes back on its own
(issue: prove the HA claims). Each failure runs under a loop of pulls through the load balancer."""

from __future__ import annotations

import time

import pytest
from bedhelpers import ANSI, ansible_playbook
from ha_testlib import (
    INVENTORY,
    MAX_PULL_SECONDS,
    PACE,
    LbTimeline,
    PullLoop,
    assert_rolled,
    fail_under_pulls,
    hang_harbor,
    lb_servers,
    on,
    pull_once,
    push_once,
    rejoins_and_serves,
    wait_for_lb,
    wake_harbor,
    why_pulls_failed,
)

NODE = "sandbox-harbor2"
SHARE = "/mnt/cephfs/harbor"


def test_stopped_node(pushed):
    """The node refuses connections: Harbor stopped on it."""
    try:
        fail_under_pulls("stopped node", NODE, lambda: on(NODE, "systemctl stop harbor.service"))
    finally:
        on(NODE, "systemctl start harbor.service")
    rejoins_and_serves(NODE)


def test_hung_node_and_the_status_report(pushed):
    """The node hangs: every Harbor process paused, its sockets accept and nothing answers."""
    try:
        fail_under_pulls("hung node", NODE, lambda: hang_harbor(NODE))
        status = ansible_playbook("playbooks/status.yml", inventory=INVENTORY, timeout=300)
        output = ANSI.sub("", status.stdout)
        assert status.returncode != 0, output[-3000:]
        assert "The cluster is degraded" in output
        assert f"{NODE} is DOWN at sandbox-lb" in output
    finally:
        wake_harbor(NODE)
    rejoins_and_serves(NODE)


def test_node_without_its_share_leaves_and_writes_nothing_locally(pushed):
    mount_unit = f"{SHARE[1:].replace('/', '-')}.mount"
    try:
        # Docker and Harbor stop with the share (RequiresMountsFor): the node leaves the cluster.
        on(NODE, f"systemctl stop {mount_unit}")
        wait_for_lb(NODE, "DOWN", timeout=60)
        assert on(NODE, f"mountpoint -q {SHARE}", check=False).returncode != 0
        for _ in range(3):
            assert pull_once()[0]
        status = ansible_playbook("playbooks/status.yml", inventory=INVENTORY)
        assert f"{NODE}: the share {SHARE} is not mounted" in ANSI.sub("", status.stdout)
        assert status.returncode != 0
        # A share that cannot come back (here: its unit masked) keeps the engine down, so nothing
        # lands on the empty local directory.
        on(NODE, f"systemctl mask --runtime {mount_unit}")
        assert on(NODE, "systemctl start docker.service", check=False).returncode != 0
        assert on(NODE, "systemctl is-active docker.service", check=False).stdout.strip() != "active"
        assert on(NODE, f"ls -A {SHARE}").stdout == ""
    finally:
        # Starting Harbor mounts the share first, then starts docker.
        on(NODE, f"systemctl unmask --runtime {mount_unit}; systemctl reset-failed")
        on(NODE, "systemctl start harbor.service")
    assert on(NODE, f"mountpoint -q {SHARE}", check=False).returncode == 0
    rejoins_and_serves(NODE)


@pytest.fixture(scope="module", autouse=True)
def healthy_afterwards():
    yield
    assert {s["status"] for s in lb_servers().values()} == {"UP"}


def test_rolling_restart_loses_no_pull_and_no_push(pushed):
    """rolling_restart.yml is a play without `serial`: the role's restart itself takes the nodes
    one after the other, each out of rotation while it restarts."""
    since = time.monotonic()
    with (
        PullLoop(limit=400, interval=PACE) as pulls,
        PullLoop(limit=400, action=push_once, noun="pushes") as pushes,
        LbTimeline() as timeline,
    ):
        pulls.wait_pulls(3)
        result = ansible_playbook("playbooks/rolling_restart.yml", inventory=INVENTORY, timeout=900)
        pulls.wait_pulls(3)
        pushes.wait_pulls(1, timeout=300)
    output = ANSI.sub("", result.stdout)
    assert result.returncode == 0, output[-3000:]
    assert_rolled(timeline, ["sandbox-harbor1", NODE], "harbor.service", since)
    report = f"rolling restart: {pulls.report('pulls', 0)}; {pushes.report('pushes', 0)}"
    print(report)
    assert pulls.failed == 0, why_pulls_failed(pulls, report, timeline)
    assert pulls.slowest <= MAX_PULL_SECONDS
    # A push in flight finishes on its node before that node restarts (drained at the LB).
    assert len(pushes.results) >= 2
    assert pushes.failed == 0, why_pulls_failed(pushes, report, timeline)
