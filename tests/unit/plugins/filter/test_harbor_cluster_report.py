"""harbor_cluster_report turns node and load-balancer states into a report and problems."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.harbor_cluster_report import (
    FilterModule,
    harbor_cluster_report,
)

KEYS = ("/opt/harbor/h/common/config/ui/private_key.pem", "/mnt/cephfs/harbor/data/secretkey")


def node(digest="aa" * 32):
    return {
        "share": {
            "path": "/mnt/cephfs/harbor",
            "mounted": True,
            "fstype": "fuse.ceph-fuse",
            "size": 2 << 30,
            "used": 1 << 20,
            "avail": 1 << 30,
            "used_percent": 0.1,
        },
        "health": {"systeminfo": {"status": 200}, "registry": {"status": 401}, "healthy": True},
        "keys": dict.fromkeys(KEYS, digest),
        "endpoints": {
            "database": {"reachable": True, "error": None},
            "redis": {"reachable": True, "error": None},
        },
    }


def lb(*states):
    return {"servers": [{"name": name, "status": status} for name, status in states]}


HEALTHY_NODES = {"h1": node(), "h2": node()}
HEALTHY_LBS = {"lb1": lb(("h1", "UP"), ("h2", "UP"))}


def report(nodes=None, lbs=None):
    return harbor_cluster_report(nodes or copy.deepcopy(HEALTHY_NODES), lbs or copy.deepcopy(HEALTHY_LBS))


def test_healthy_cluster_has_no_problem():
    result = report()
    assert result["problems"] == []
    assert result["lines"][0].startswith(
        "h1: lb lb1=UP | share fuse.ceph-fuse 1.0 MiB/2.0 GiB (0.1%) | harbor healthy"
    )
    assert "key private_key.pem: same on every node" in result["lines"][2]


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (lambda n, lbs: lbs["lb1"]["servers"][1].update(status="DOWN"), "h2 is DOWN at lb1"),
        (lambda n, lbs: lbs["lb1"]["servers"].pop(1), "h2 is absent at lb1"),
        (
            lambda n, lbs: n["h1"]["share"].update(mounted=False, fstype=None),
            "h1: the share /mnt/cephfs/harbor is not mounted",
        ),
        (lambda n, lbs: n["h2"]["health"].update(healthy=False), "h2: Harbor is unhealthy"),
        (
            lambda n, lbs: n["h1"]["endpoints"]["redis"].update(reachable=False, error="refused"),
            "h1: redis unreachable (refused)",
        ),
        (
            lambda n, lbs: n["h2"]["keys"].update({KEYS[0]: "bb" * 32}),
            "key private_key.pem differs between nodes",
        ),
        (lambda n, lbs: n["h2"]["keys"].update({KEYS[1]: None}), "key secretkey is missing on h2"),
        (lambda n, lbs: n.update(h2={}), "h2 did not answer"),
        (lambda n, lbs: lbs.update(lb1={}), "load balancer lb1 did not answer"),
    ],
)
def test_each_degradation_is_a_problem(break_it, problem):
    nodes, lbs = copy.deepcopy(HEALTHY_NODES), copy.deepcopy(HEALTHY_LBS)
    break_it(nodes, lbs)
    problems = harbor_cluster_report(nodes, lbs)["problems"]
    assert any(p.startswith(problem) for p in problems), problems


def test_a_silent_load_balancer_is_reported_once():
    problems = report(lbs={"lb1": {}})["problems"]
    assert problems.count("load balancer lb1 did not answer") == 1


def test_every_load_balancer_is_asked():
    result = report(lbs={"lb1": lb(("h1", "UP"), ("h2", "UP")), "lb2": lb(("h1", "UP"), ("h2", "MAINT"))})
    assert result["problems"] == ["h2 is MAINT at lb2"]
    assert "lb lb1=UP, lb2=MAINT" in result["lines"][1]


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="expects two mappings"):
        harbor_cluster_report([], {})


def test_registered():
    assert FilterModule().filters()["harbor_cluster_report"] is harbor_cluster_report


def node2(components=None, overall="healthy"):
    """A Harbor 2.x node's state: core's health API and the release its core runs."""
    state = node()
    components = components or dict.fromkeys(("core", "database", "jobservice", "redis"), "healthy")
    state["health"] = {
        "ping": {"status": 200, "error": None},
        "api": {"status": 200, "error": None, "overall": overall},
        "registry": {"status": 401, "error": None},
        "components": components,
        "healthy": overall == "healthy",
    }
    state["version"] = "v2.15.2"
    return state


def test_a_harbor_2_node_reports_its_release_and_components():
    result = report(nodes={"h1": node2(), "h2": node2()})
    assert result["problems"] == []
    assert "| harbor v2.15.2 healthy (core, database, jobservice, redis) |" in result["lines"][0]


def test_a_harbor_1_probe_without_an_answer_says_why():
    nodes = copy.deepcopy(HEALTHY_NODES)
    nodes["h1"]["health"] = {
        "systeminfo": {"status": None, "error": "timed out"},
        "registry": {"status": 401, "error": None},
        "healthy": False,
    }
    result = report(nodes=nodes)
    assert "harbor UNHEALTHY (systeminfo None: timed out, registry 401)" in result["lines"][0]
    assert result["problems"] == ["h1: Harbor is unhealthy (systeminfo None: timed out, registry 401)"]


def test_a_harbor_2_node_names_its_unhealthy_components():
    sick = node2({"core": "healthy", "jobservice": "unhealthy", "redis": "unhealthy"}, overall="unhealthy")
    result = report(nodes={"h1": node2(), "h2": sick})
    assert "harbor v2.15.2 UNHEALTHY (jobservice unhealthy, redis unhealthy)" in result["lines"][1]
    assert result["problems"] == ["h2: Harbor is unhealthy (jobservice unhealthy, redis unhealthy)"]
    dead = node2({}, overall=None)
    dead["health"]["api"] = {"status": None, "error": "connection refused", "overall": None}
    dead["version"] = None
    line = report(nodes={"h1": node2(), "h2": dead})["lines"][1]
    assert "harbor (release unknown) UNHEALTHY (health API connection refused, registry 401)" in line


def test_a_harbor_2_node_whose_ping_fails_names_it():
    """The health API lists every component healthy, and the load balancer's check fails."""
    sick = node2()
    sick["health"].update(ping={"status": 503, "error": None}, healthy=False)
    result = report(nodes={"h1": node2(), "h2": sick})
    detail = "ping 503, health API 200, registry 401"
    assert f"harbor v2.15.2 UNHEALTHY ({detail})" in result["lines"][1]
    assert result["problems"] == [f"h2: Harbor is unhealthy ({detail})"]
    silent = node2({"core": "healthy", "jobservice": "unhealthy"}, overall="unhealthy")
    silent["health"]["ping"] = {"status": None, "error": "timed out"}
    line = report(nodes={"h1": silent})["lines"][0]
    assert "UNHEALTHY (ping None: timed out, jobservice unhealthy)" in line


def settings(*drift, error=None):
    return {"inventory": {}, "harbor": None if error else {}, "drift": list(drift), "error": error}


def test_settings_as_the_inventory_are_no_problem():
    nodes = copy.deepcopy(HEALTHY_NODES)
    for status in nodes.values():
        status["settings"] = settings()
    result = report(nodes)
    assert result["problems"] == []
    assert result["lines"][0].endswith("| settings as the inventory")


def test_a_setting_changed_in_the_web_ui_is_a_problem_on_every_node_that_answers_it():
    changed = {"key": "self_registration", "inventory": True, "harbor": False, "only": None}
    added = {"key": "job_log_dir", "inventory": None, "harbor": "/tmp", "only": "harbor"}
    nodes = copy.deepcopy(HEALTHY_NODES)
    nodes["h1"]["settings"] = settings(added, changed)
    nodes["h2"]["settings"] = settings(changed)
    result = report(nodes)
    assert result["problems"][0].startswith(
        "h1: Harbor's settings differ from the inventory (job_log_dir, self_registration)"
    )
    assert result["problems"][1].startswith(
        "h2: Harbor's settings differ from the inventory (self_registration)"
    )
    assert "setting self_registration: inventory True, Harbor False (on h1, h2)" in result["lines"]
    assert "setting job_log_dir: set in Harbor ('/tmp'), not by the inventory (on h1)" in result["lines"]


def test_settings_that_cannot_be_read_are_said_without_a_problem():
    nodes = copy.deepcopy(HEALTHY_NODES)
    nodes["h1"]["settings"] = settings(error="admin could not log in")
    result = report(nodes)
    assert result["problems"] == []
    assert result["lines"][0].endswith("| settings not compared (admin could not log in)")
