"""site.yml validates each role's argument spec once per run, in its preflight play.

A layer's include_role with rolespec_validate false relies on this run's preflight: the preflight
plays (the first ones, tagged always, so that --tags still runs them) include the same role's
entry point `preflight` on the same hosts, and that entry point has the options of `main`. A role
whose `preflight` drifted from `main`, or a layer added without its preflight, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SITE = ROOT / "playbooks" / "site.yml"
PREFIX = "harbor_ha.cluster."
DB_ROLES = ("mysql", "postgresql")


def plays() -> list[dict]:
    return yaml.safe_load(SITE.read_text())


def preflight_plays() -> list[dict]:
    """The plays before the first that changes a host: their names start with "Preflight"."""
    found = []
    for play in plays():
        if not play["name"].startswith("Preflight"):
            break
        found.append(play)
    return found


def role_names(name: str) -> tuple[str, ...]:
    """A templated name (the database's, from cluster_db_type) stands for every database role."""
    return DB_ROLES if "{{" in name else (name.removeprefix(PREFIX),)


def unvalidated_includes() -> list[tuple[str, dict]]:
    found = []
    for play in plays()[len(preflight_plays()) :]:
        for task in play.get("tasks", []):
            include = task.get("ansible.builtin.include_role")
            if include and include.get("rolespec_validate") is False:
                found += [(role, task) for role in role_names(include["name"])]
    return found


def preflight_includes(among: list[dict] | None = None) -> dict[str, dict]:
    """The role entry points `preflight` the preflight plays (or the plays given) include."""
    found = {}
    for play in preflight_plays() if among is None else among:
        for task in play.get("tasks", []):
            include = task.get("ansible.builtin.include_role", {})
            if include.get("tasks_from") == "preflight":
                for role in role_names(include["name"]):
                    found[role] = task
    return found


def test_site_skips_some_validation():
    """The layers of both free plays rely on the preflight's validation."""
    assert {role for role, _ in unvalidated_includes()} >= {
        "cephfs_client",
        "docker",
        "redis",
        "loadbalancer",
        "registry_client",
        *DB_ROLES,
    }


def test_the_preflight_plays_run_whatever_the_tags():
    preflight = preflight_plays()
    assert len(preflight) == 3, [play["name"] for play in preflight]
    for play in preflight:
        assert "always" in play.get("tags", []), play["name"]
        assert play["hosts"] == preflight[0]["hosts"], play["name"]


def test_no_host_changes_unless_every_host_passed_the_preflight():
    """The cluster's checks stop every host at once; the roles' checks run each host at its own
    pace (the free strategy cannot stop the others), and the last preflight play stops the run
    when any host failed them or could not be reached."""
    first, roles, gate = preflight_plays()
    assert first.get("any_errors_fatal") is True
    assert roles.get("strategy") == "ansible.builtin.free"
    layers = {"harbor", "docker", "redis", "loadbalancer", "registry_client", "cephfs_client", *DB_ROLES}
    assert set(preflight_includes([roles])) == layers
    assert gate.get("any_errors_fatal") is True
    # Without it, ansible-core goes on to the next plays with the hosts that passed.
    assert gate.get("max_fail_percentage") == 0
    assert gate.get("gather_facts") is False
    (check,) = gate["tasks"]
    assert check.get("run_once") is True
    assert check["ansible.builtin.assert"]["that"] == (
        "ansible_play_hosts_all | difference(ansible_play_hosts) | length == 0"
    )


@pytest.mark.parametrize(
    ("role", "task"), unvalidated_includes(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_an_unvalidated_layer_was_validated_by_the_preflight(role, task):
    preflight = preflight_includes()
    assert role in preflight, f"site.yml's preflight play does not include {role}'s entry point preflight"
    assert preflight[role].get("when") == task.get("when"), f"{role}: the preflight runs on other hosts"
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())[
        "argument_specs"
    ]
    assert specs["preflight"]["options"] == specs["main"]["options"], (
        f"{role}: entry point preflight does not validate the options of main"
    )
