"""Bad input fails before the node's running Harbor is touched, and says what to fix."""

from __future__ import annotations

import concurrent.futures
import re

import pytest
from bedhelpers import ANSI, ansible_playbook, bed_host, failures, recap
from harbor_testlib import container_starts

NODE = "harbor-node2"
CASES = {
    "admin password is Harbor's default": (
        {"harbor_admin_password": "Harbor12345"},
        r"harbor_admin_password must not be Harbor's published default",
    ),
    "admin password is empty": ({"harbor_admin_password": ""}, r"harbor_admin_password must not be"),
    "installer checksum mismatch": (
        {"harbor_installer_sha256": "0" * 64},
        r"harbor_installer_src\)\s+has sha256 [0-9a-f]{64}, not 0{64} \(harbor_installer_sha256\)",
    ),
    "unsupported version": ({"harbor_version": "1.2.0"}, r"harbor_version.*1\.1\.0, 1\.1\.2"),
    "share not mounted": (
        {"harbor_share_path": "/mnt/not-the-share"},
        r"/mnt/not-the-share on harbor-node2 is\s+not a mount point",
    ),
    "database unreachable": (
        {"cluster_db_port": 3399},
        r"Nothing answers at 10\.201\.5\.11:3399 \(harbor_db_host",
    ),
    # docker would refuse it only when it makes the containers, after the node was stopped.
    "extra host not an address": (
        {"harbor_extra_hosts": {"db.example": "not-an-ip"}},
        r"harbor_extra_hosts maps names to IP addresses: db\.example: not-an-ip",
    ),
    "redis unreachable": (
        {"harbor_redis_port": 6399},
        r"Nothing answers at 10\.201\.5\.12:6399 \(harbor_redis_host",
    ),
}


def state(node) -> tuple:
    """What a run must not touch: the compose file, the containers and the recorded restarts."""
    compose = node.check_output("sha256sum /opt/harbor/v1.1.2-*/harbor/docker-compose.yml")
    return compose, container_starts(node), node.file("/var/lib/harbor-ha/pending-restarts/harbor").exists


@pytest.fixture(scope="module")
def runs():
    """Every case, run at once against one node; the node's state before and after."""
    node = bed_host(NODE)
    before = state(node)
    with concurrent.futures.ThreadPoolExecutor(len(CASES)) as pool:
        futures = {
            name: pool.submit(
                ansible_playbook, "molecule/harbor/harbor_only.yml", "--limit", NODE, extra_vars=extra
            )
            for name, (extra, _) in CASES.items()
        }
        results = {name: future.result() for name, future in futures.items()}
    return results, before, state(node)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_naming_the_cause(runs, case):
    result = runs[0][case]
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode != 0, output[-3000:]
    assert re.search(CASES[case][1], failures(result)), output[-3000:]
    assert recap(result)[NODE]["changed"] == 0


def test_running_harbor_was_not_touched(runs):
    _, before, after = runs
    assert after == before
    assert before[1], "Harbor runs on the node"
