"""Harbor 2.15.2 behind HAProxy (issue 14): push and pull through the load balancer, one set of
values on every node as its containers see them, core->jobservice from every node with one job
queue, and status.yml's report."""

from __future__ import annotations

import json
import re

from bedhelpers import ANSI, ansible_playbook, bed_host
from ha2_testlib import CORE_SERVICES, NODE1, NODE2, PINNED, container_env, lb_config
from ha_testlib import CLIENT, IMAGE, INVENTORY, LB, NODES, lb_servers, local_digest, on, pull_once
from installer2_testlib import SECRET_REQUEST, in_container

JOB = json.dumps({"job": {"name": "SAMPLE", "parameters": {}, "metadata": {"kind": "Generic"}}})


def test_lb_checks_each_node_with_harbor_2s_ping():
    assert {n: s["status"] for n, s in lb_servers().items()} == {NODE1: "UP", NODE2: "UP"}
    config = lb_config()
    assert "http-check send meth GET uri /api/v2.0/ping ver HTTP/1.1 hdr Host " in config
    for node in (NODE1, NODE2):
        assert f"server {node} {NODES[node]}:8060" in config


def test_an_image_pushed_on_2_14_4_is_pulled_through_the_lb_on_2_15_2(pushed):
    on(CLIENT, f"docker rmi {IMAGE}")
    assert pull_once()[0]
    assert local_digest() == pushed


def test_both_nodes_serve_pulls(pushed):
    before = {n: s["sessions"] for n, s in lb_servers().items()}
    for _ in range(6):
        assert pull_once()[0]
    after = {n: s["sessions"] for n, s in lb_servers().items()}
    assert all(after[n] > before[n] for n in before), (before, after)


def test_every_node_runs_with_the_same_values_as_its_containers_see_them():
    for container, names in (
        ("harbor-core", PINNED),
        ("harbor-jobservice", ("CORE_SECRET", "JOBSERVICE_SECRET", "REGISTRY_CREDENTIAL_PASSWORD")),
        ("registryctl", ("CORE_SECRET", "JOBSERVICE_SECRET")),
    ):
        envs = [container_env(node, container) for node in (NODE1, NODE2)]
        for name in names:
            assert envs[0][name] == envs[1][name], (container, name)
    assert len(container_env(NODE1, "harbor-core")["CSRF_KEY"]) == 32
    # The registry's htpasswd checks the credential core sends, on every node.
    passwd = {on(node, "docker exec registry cat /etc/registry/passwd").stdout for node in (NODE1, NODE2)}
    assert len(passwd) == 1
    assert passwd.pop().startswith("harbor_registry_user:$2")


def test_core_calls_jobservice_on_every_node_and_jobs_share_one_queue():
    secrets = {node: container_env(node, "harbor-core")["CORE_SECRET"] for node in (NODE1, NODE2)}
    for node in (NODE1, NODE2):
        host = bed_host(node)
        for secret in secrets.values():
            status, body = in_container(
                host, "harbor-core", SECRET_REQUEST, "POST", "http://jobservice:8080/api/v1/jobs", secret, JOB
            ).split(" ", 1)
            assert status == "202", (node, body)
        # One worker pool per node, both in the one Redis: a job queued through either runs on either.
        stats = in_container(
            host, "harbor-core", SECRET_REQUEST, "GET", "http://jobservice:8080/api/v1/stats", "", ""
        )
        pools = json.loads(stats.split(" ", 1)[1])["worker_pools"]
        assert [p["status"] for p in pools].count("Healthy") == 2, pools
    status, _ = in_container(
        bed_host(NODE1),
        "harbor-core",
        SECRET_REQUEST,
        "POST",
        "http://jobservice:8080/api/v1/jobs",
        "another",
        JOB,
    ).split(" ", 1)
    assert status == "401"


def test_status_reports_the_release_components_and_keys_of_each_node():
    result = ansible_playbook("playbooks/status.yml", inventory=INVENTORY)
    output = ANSI.sub("", result.stdout)
    assert result.returncode == 0, output[-3000:]
    for node in (NODE1, NODE2):
        assert re.search(
            rf"{node}: lb {LB}=UP \| share fuse.ceph-fuse .* \| harbor v2\.15\.2 healthy"
            # Nothing after the reach: Harbor 2.x has no settings a start reverts to compare.
            rf" \({', '.join(CORE_SERVICES)}\) \| database ok, redis ok\"",
            output,
        ), output[-3000:]
    for key in ("private_key.pem", "root.crt", "secretkey", "env", "passwd"):
        assert f"key {key}: same on every node" in output
