"""No password in the output of a -vv run, also of one that changes every password; check mode on
the converged hosts reports nothing to change."""

import pytest
from bedhelpers import ansible_playbook, recap
from conftest import DB_ADDRESS, assert_no_secret, harbor_sql

CONVERGE = "molecule/database/converge.yml"
ROTATED = {
    "mysql_admin_password": "fixture-rotatedadmin-1Ab",
    "cluster_db_password": "fixture-rotatedharbor-2Cd",
    "cluster_redis_password": "fixture-rotatedredis-3Ef",
}


@pytest.fixture(scope="module")
def runs():
    """-vv runs: every password changed, then back to the inventory's, then check mode."""
    rotated = ansible_playbook(CONVERGE, "-vv", extra_vars=ROTATED)
    restored = ansible_playbook(CONVERGE, "-vv")
    checked = ansible_playbook(CONVERGE, "-vv", "--check")
    return {"rotated": rotated, "restored": restored, "checked": checked}


@pytest.mark.parametrize("name", ["rotated", "restored", "checked"])
def test_verbose_run_succeeds_without_showing_a_password(runs, name):
    result = runs[name]
    assert result.returncode == 0, result.stdout[-3000:]
    assert_no_secret(result.stdout + result.stderr)
    leaked = [value for value in ROTATED.values() if value in result.stdout + result.stderr]
    assert not leaked, leaked


def test_password_changes_were_applied_and_reverted(runs, client):
    assert recap(runs["rotated"])["database-db"]["changed"] > 0
    assert recap(runs["rotated"])["database-redis"]["changed"] > 0
    assert recap(runs["restored"])["database-db"]["changed"] > 0
    # The inventory's password works again for Harbor's account.
    answer = harbor_sql(client, "SELECT 1")
    assert answer.rc == 0, f"{DB_ADDRESS}: {answer.stderr}"


def test_check_mode_on_converged_hosts_changes_nothing(runs):
    counts = recap(runs["checked"])
    assert set(counts) == {"database-db", "database-redis", "database-client"}
    assert all(host["changed"] == 0 and host["failed"] == 0 for host in counts.values()), counts
