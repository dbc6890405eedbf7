"""A rolling upgrade from Harbor 2.14.4 to 2.15.2 under a loop of pulls (issue 14): site.yml with
the inventory's release, one node at a time, drained at the load balancer; the first restarted
node's core migrates the schema, the other finds nothing to do."""

from __future__ import annotations

import time

import pytest
from bedhelpers import ANSI, ansible_playbook, bed_host
from ha2_testlib import (
    NODE1,
    NODE2,
    PINNED,
    applied_migrations,
    container_env,
    core_log,
    core_release,
    node_url,
    psql,
)
from ha_testlib import CLIENT, INVENTORY, PACE, LbTimeline, PullLoop, assert_rolled, why_pulls_failed
from installer2_testlib import create_project, csrf_session

NODES = (NODE1, NODE2)
# The schema versions Harbor's migrations of each release end at (0171_2.14.1, 0180_2.15.0).
SCHEMA = {"2.14.4": 171, "2.15.2": 180}
# golang-migrate's answer when the schema is up to date.
NO_CHANGE = "No change in schema, skip."


@pytest.fixture(scope="module")
def before(pushed):
    """The cluster as converged: its release, its schema, the migrations its cores logged."""
    return {
        "releases": {node: core_release(node) for node in NODES},
        "schema": psql("SELECT version, dirty FROM schema_migrations"),
        "applied": {node: applied_migrations(core_log(node)) for node in NODES},
        "skipped": {node: core_log(node).count(NO_CHANGE) for node in NODES},
    }


@pytest.fixture(scope="module")
def upgrade(before):
    """site.yml with the inventory's 2.15.2, while a loop of pulls runs through the load balancer
    and the load balancer's view of the nodes is sampled."""
    since = time.monotonic()
    with PullLoop(limit=1000, interval=PACE) as pulls, LbTimeline() as timeline:
        pulls.wait_pulls(3)
        result = ansible_playbook("playbooks/site.yml", inventory=INVENTORY, timeout=1800)
        pulls.wait_pulls(3)
    print(f"rolling upgrade: {pulls.report('pulls', 0)}")
    return result, pulls, timeline, since


def test_the_cluster_ran_2_14_4_on_its_schema(before):
    assert before["releases"] == dict.fromkeys(NODES, "v2.14.4")
    assert before["schema"] == f"{SCHEMA['2.14.4']}|f"
    # The two cores started together at the first converge: one migrated, under the advisory lock.
    assert sorted(len(applied) for applied in before["applied"].values())[0] == 0


def test_the_rolling_upgrade_loses_no_pull(upgrade):
    result, pulls, timeline, since = upgrade
    output = ANSI.sub("", result.stdout)
    assert result.returncode == 0, output[-4000:]
    # Issue 14 holds the upgrade to no failed pull; the slowest pull is in the report.
    assert pulls.failed == 0, why_pulls_failed(pulls, pulls.report("pulls", 0), timeline)
    # The restart path: each node restarted while out of rotation, one after the other.
    assert_rolled(timeline, list(NODES), "harbor.service", since)


def test_every_node_runs_2_15_2(upgrade):
    assert {node: core_release(node) for node in NODES} == dict.fromkeys(NODES, "v2.15.2")


def test_the_schema_migrated_once_by_the_first_restarted_node(upgrade, before):
    assert psql("SELECT version, dirty FROM schema_migrations") == f"{SCHEMA['2.15.2']}|f"
    applied = {node: applied_migrations(core_log(node))[len(before["applied"][node]) :] for node in NODES}
    # 0180 on the node restarted first; nothing on the other, which started on a migrated schema.
    assert sorted(applied.values()) == [[], [SCHEMA["2.15.2"]]], applied
    assert applied[NODE1] == [SCHEMA["2.15.2"]], applied
    assert core_log(NODE2).count(NO_CHANGE) == before["skipped"][NODE2] + 1


def test_every_node_holds_the_clusters_values_again(upgrade):
    """Node 2's CSRF key was changed by hand (test_1_csrf): the run put the cluster's back."""
    envs = {node: container_env(node, "harbor-core") for node in NODES}
    for name in PINNED:
        assert envs[NODE1][name] == envs[NODE2][name], name
    assert envs[NODE2]["CSRF_KEY"] != "k" * 32


def test_a_login_on_one_node_holds_on_the_other_after_the_upgrade(upgrade, admin_password):
    client = bed_host(CLIENT)
    session = csrf_session(client, node_url(NODE1), admin_password)
    status, body = create_project(client, node_url(NODE2), session, "after-upgrade")
    assert status == 201, body
