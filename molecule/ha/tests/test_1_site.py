"""site.yml on the sandbox: one registry behind the load balancer, and a preflight that stops bad
inventories before any host is changed (issue: load balancer, site playbook, inventories)."""

from __future__ import annotations

import re

import pytest
from bedhelpers import ANSI, ansible_playbook, failures, recap
from ha_testlib import (
    CLIENT,
    IMAGE,
    INVENTORY,
    LB,
    NODES,
    REGISTRY,
    edit_hosts,
    lb_servers,
    local_digest,
    on,
    pull_once,
)


def test_lb_reports_both_nodes_up():
    servers = lb_servers()
    assert {n: s["status"] for n, s in servers.items()} == {
        "sandbox-harbor1": "UP",
        "sandbox-harbor2": "UP",
    }


def test_push_and_pull_through_the_lb(pushed):
    on(CLIENT, f"docker rmi {IMAGE}")
    ok, _ = pull_once()
    assert ok
    digest = local_digest()
    assert digest == pushed


def test_both_nodes_served_the_pulls(pushed):
    before = {n: s["sessions"] for n, s in lb_servers().items()}
    for _ in range(6):
        assert pull_once()[0]
    after = {n: s["sessions"] for n, s in lb_servers().items()}
    assert all(after[n] > before[n] for n in before), (before, after)


def test_wrong_password_is_refused_at_the_lb():
    result = on(
        CLIENT, "docker login --username admin --password Wrong-Password1 sandbox-lb:8080", check=False
    )
    assert result.returncode != 0
    assert "unauthorized" in result.stderr.lower()


def test_lb_config_checks_health_with_a_host_header_and_keeps_stats_local():
    config = on(LB, "cat /etc/haproxy/haproxy.cfg").stdout
    assert "http-check send meth GET uri /api/systeminfo ver HTTP/1.1 hdr Host " in config
    assert re.search(r"listen stats\n\s+bind 127\.0\.0\.1:8404", config)
    for node, address in list(NODES.items())[:2]:
        assert f"server {node} {address}:8060" in config
    assert on(LB, "haproxy -c -f /etc/haproxy/haproxy.cfg").returncode == 0


def test_status_playbook_reports_a_healthy_cluster():
    result = ansible_playbook("playbooks/status.yml", inventory=INVENTORY)
    output = ANSI.sub("", result.stdout)
    assert result.returncode == 0, output[-3000:]
    for node in ("sandbox-harbor1", "sandbox-harbor2"):
        assert re.search(
            rf"{node}: lb sandbox-lb=UP \| share fuse.ceph-fuse .* \| harbor healthy"
            r" \| database ok, redis ok",
            output,
        )
    assert "key private_key.pem: same on every node" in output
    assert "at http://sandbox-lb:8080" in output


def without(group):
    return lambda groups: groups.pop(group)


def lb_on_node1(groups):
    groups["harbor_lb"]["hosts"]["sandbox-harbor1"] = None


def unchanged(groups):
    """The inventory as it is (the case is in its extra vars)."""


def same_address(groups):
    for node in ("sandbox-harbor1", "sandbox-harbor2"):
        groups["harbor_nodes"]["hosts"][node] = {"cluster_address": "10.201.10.21"}


# On the sandbox's real hosts, the bad-input cases that are about its hosts and groups (a group left
# out, one host in two roles, two nodes on one address); tests/unit/playbooks/test_site_preflight.py
# runs the variable checks (TLS files, a role's copy of a cluster fact, ports out of range) against
# local hosts. Each stops site.yml in its preflight, every host unchanged.
BAD_INVENTORIES = {
    "no Harbor group": (without("harbor_nodes"), {}, r"no host in the group harbor_nodes"),
    "no load balancer": (without("harbor_lb"), {}, r"no host in the group harbor_lb"),
    "LB port = the nodes' proxy port on one host": (
        lb_on_node1,
        {"cluster_port": 8060},
        r"sandbox-harbor1 is a load balancer and a Harbor node: cluster_port and cluster_node_port",
    ),
    "two nodes on one address": (
        same_address,
        {},
        r"Harbor nodes share an address: sandbox-harbor1 and sandbox-harbor2 at 10\.201\.10\.21",
    ),
    # Asked of the real Ceph cluster by the nodes, whose client is installed: a key rotated on the
    # inventory's side only, or a sub-path that is not there, stops the run before the share play.
    "a Ceph key the cluster refuses": (
        unchanged,
        {"cephfs_client_key": "AQB1dAlr9xCPHRAAuJJDMu5Ln1qKyHu8hGMtMQ=="},
        r"refused client\.\S+.*Check cephfs_client_key",
    ),
    "a sub-path the file system lacks": (
        unchanged,
        {"cephfs_client_subpath": "/nope"},
        r"cephfs_client_subpath /nope is not a directory of the file system",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INVENTORIES))
def test_bad_inventory_fails_in_preflight_naming_the_fix(inventory_copy, case):
    change, extra_vars, message = BAD_INVENTORIES[case]
    edit_hosts(inventory_copy, change)
    result = ansible_playbook("playbooks/site.yml", inventory=inventory_copy, extra_vars=extra_vars)
    output = " ".join(ANSI.sub("", result.stdout).split())
    assert result.returncode != 0, output[-3000:]
    assert re.search(message, failures(result)), output[-3000:]
    counts = recap(result)
    assert counts and all(c["changed"] == 0 for c in counts.values()), counts
    # Nothing after the preflight ran.
    assert "PLAY [Share" not in output


# What a write pause (playbooks/write_pause.yml, a backup) leaves at the load balancer.
PAUSE_STATE = """python3 -c '
import socket
s = socket.socket(socket.AF_UNIX); s.connect("/run/haproxy/admin.sock")
s.sendall(b"show acl /etc/haproxy/write-pause.acl\\n")
answer = b""
while chunk := s.recv(65536):
    answer += chunk
print("running:", " ".join(line.split()[-1] for line in answer.decode().splitlines() if line.strip()))
print("file:", open("/etc/haproxy/write-pause.acl").read().strip())
'"""


def push_answer() -> str:
    """The status the client gets for a push's first request (an upload) through the load balancer."""
    url = f"http://{REGISTRY}/v2/library/pause-probe/blobs/uploads/"
    return on(CLIENT, f"curl -s -o /dev/null -m 10 -w '%{{http_code}}' -X POST {url}").stdout


def test_a_site_run_that_reloads_haproxy_keeps_a_write_pause():
    """site.yml writes the pause's ACL file only where it is missing: a run that changes the
    configuration (so HAProxy reloads and reads the file again) during a pause keeps writes paused."""
    pause = ansible_playbook(
        "playbooks/write_pause.yml", inventory=INVENTORY, extra_vars={"write_pause": True}
    )
    try:
        assert pause.returncode == 0, ANSI.sub("", pause.stdout)[-3000:]
        assert on(LB, PAUSE_STATE).stdout.split("\n")[:2] == ["running: paused", "file: paused"]
        changed = ansible_playbook(
            "playbooks/site.yml",
            "--tags",
            "loadbalancer",
            inventory=INVENTORY,
            extra_vars={"loadbalancer_check_interval": "300ms"},
        )
        output = ANSI.sub("", changed.stdout)
        assert changed.returncode == 0, output[-3000:]
        assert "RUNNING HANDLER [harbor_ha.cluster.loadbalancer : Reload haproxy]" in output
        assert on(LB, PAUSE_STATE).stdout.split("\n")[:2] == ["running: paused", "file: paused"]
        # What a client pushing then sees: the pause's answer.
        assert push_answer() == "503"
    finally:
        reopen = ansible_playbook(
            "playbooks/write_pause.yml", inventory=INVENTORY, extra_vars={"write_pause": False}
        )
        back = ansible_playbook("playbooks/site.yml", "--tags", "loadbalancer", inventory=INVENTORY)
    assert (reopen.returncode, back.returncode) == (0, 0)
    assert on(LB, PAUSE_STATE).stdout.split("\n")[:2] == ["running: ", "file: "]
    # Reopened: the registry answers the push's first request itself (token auth: 401).
    assert push_answer() == "401"
