"""Day-2 paths, each as a -vv run that shows no password: a password rotation applied in place, a
node taken out of the group losing its pg_hba.conf entry by a reload, the same node added back by
its own play under --limit (delegated to the database host), and check mode on the converged hosts.
The server is never restarted."""

from __future__ import annotations

import pytest
from bedhelpers import ansible_playbook, inventory_copy, recap
from conftest import (
    ADMIN_PASSWORD,
    CONVERGE,
    DB,
    HARBOR,
    HARBOR_PASSWORD,
    MAX_CONNECTIONS,
    NODE,
    NODE_ADDRESS,
    admin_sql,
    assert_no_secret,
    harbor_hba_entries,
    harbor_sql,
    output,
    scram_verifies,
    server_times,
)

ROTATED = {
    "cluster_db_password": "fixture-rotatedharbor-5Tg; '\"",
    "postgresql_admin_password": "fixture-rotatedadmin-6Yh \\ #",
}
REFUSED = f'password authentication failed for user "{HARBOR}"'


def login(node, password: str) -> tuple[int, str]:
    result = harbor_sql(node, "SELECT current_user", password=password)
    return result.rc, result.stdout.strip() or result.stderr


@pytest.fixture(scope="module")
def day2(db, node, tmp_path_factory):
    """The runs in their order, and what each left behind before the next one ran."""
    seen = {"start": server_times(db)}

    runs = {"rotated": ansible_playbook(CONVERGE, "-vv", extra_vars=ROTATED)}
    seen["rotated"] = {
        "new": login(node, ROTATED["cluster_db_password"]),
        "old": login(node, HARBOR_PASSWORD),
        "admin": admin_sql(db, "SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'"),
        "times": server_times(db),
    }

    runs["restored"] = ansible_playbook(CONVERGE, "-vv")
    seen["restored"] = {"old": login(node, HARBOR_PASSWORD), "times": server_times(db)}

    # The node leaves the group. max_connections is held at today's value: it follows the node
    # count, and a change of it is a restart (README); what is tested here is pg_hba.conf.
    without_node = inventory_copy(tmp_path_factory.mktemp("without-node"), groups={"harbor_nodes": []})
    runs["removed"] = ansible_playbook(
        CONVERGE, "-vv", inventory=without_node, extra_vars={"postgresql_max_connections": MAX_CONNECTIONS}
    )
    seen["removed"] = {
        "entries": harbor_hba_entries(db),
        "login": login(node, HARBOR_PASSWORD),
        "times": server_times(db),
    }

    # Back in the group, through its own play only: the database host is outside --limit.
    runs["added"] = ansible_playbook(CONVERGE, "-vv", "--limit", NODE)
    seen["added"] = {
        "entries": harbor_hba_entries(db),
        "login": login(node, HARBOR_PASSWORD),
        "times": server_times(db),
    }

    runs["checked"] = ansible_playbook(CONVERGE, "-vv", "--check")
    return runs, seen


@pytest.mark.parametrize("name", ["rotated", "restored", "removed", "added", "checked"])
def test_verbose_run_succeeds_without_showing_a_password(day2, name):
    result = day2[0][name]
    assert result.returncode == 0, output(result)[-3000:]
    assert_no_secret(result, ADMIN_PASSWORD, HARBOR_PASSWORD, *ROTATED.values())


def test_password_rotation_is_applied_in_place(day2):
    runs, seen = day2
    assert recap(runs["rotated"])[DB]["changed"] > 0
    assert seen["rotated"]["new"] == (0, HARBOR)
    assert seen["rotated"]["old"][0] == 2
    assert REFUSED in seen["rotated"]["old"][1]
    assert scram_verifies(seen["rotated"]["admin"], ROTATED["postgresql_admin_password"])
    # ALTER ROLE: no restart, not even a reload.
    assert seen["rotated"]["times"] == seen["start"]


def test_inventory_password_works_again_after_the_next_run(day2):
    runs, seen = day2
    assert recap(runs["restored"])[DB]["changed"] > 0
    assert seen["restored"]["old"] == (0, HARBOR)
    assert seen["restored"]["times"] == seen["start"]


def test_node_taken_out_of_the_group_loses_its_entry_by_a_reload(day2):
    runs, seen = day2
    assert "RUNNING HANDLER [harbor_ha.cluster.postgresql : Reload PostgreSQL]" in output(runs["removed"])
    assert seen["removed"]["entries"] == []
    assert seen["removed"]["login"][0] == 2
    assert f'no pg_hba.conf entry for host "{NODE_ADDRESS}"' in seen["removed"]["login"][1]
    started, loaded = seen["removed"]["times"]
    assert started == seen["start"][0]
    assert loaded > seen["start"][1]


def test_node_added_back_by_its_own_play_under_limit(day2):
    runs, seen = day2
    assert set(recap(runs["added"])) == {NODE}
    assert f"changed: [{NODE} -> {DB}]" in output(runs["added"])
    assert seen["added"]["entries"] == [("host", NODE_ADDRESS, "255.255.255.255", "scram-sha-256")]
    assert seen["added"]["login"] == (0, HARBOR)
    assert seen["added"]["times"][0] == seen["start"][0]


def test_check_mode_on_converged_hosts_changes_nothing(day2):
    counts = recap(day2[0]["checked"])
    assert set(counts) == {DB, NODE}
    assert all(host["changed"] == 0 and host["failed"] == 0 for host in counts.values()), counts
