"""Rotating the database and Redis passwords without a window, and the node's readiness check.

The database and Redis plays run first with the new passwords (as site.yml's do, before the
nodes restart one at a time): both the old and the new password log in, from the node, with no
restart of either server. The node's play (its readiness check logs in with the new ones) and the
end of the rotation follow: only the new passwords log in. Every run is at -vv and shows no
password; check mode on the converged hosts changes nothing. A node given passwords the servers do
not have stops at its readiness check, which names the variables, before anything changes."""

from __future__ import annotations

import hashlib

import pytest
from bedhelpers import ansible_playbook, failures, recap
from conftest import FIXTURES, REDIS_ADDRESS, assert_no_secret, harbor_sql

CONVERGE = "molecule/database/converge.yml"
ROTATED = {
    "mysql_admin_password": "fixture-rotatingadmin-1Ab \\ #",
    "cluster_db_password": "fixture-rotatingdb-8Wn '\"&",
    "cluster_redis_password": 'fixture-rotatingredis-2Hs " #',
}
OLD = {
    "cluster_db_password": FIXTURES["cluster_db_password"],
    "cluster_redis_password": FIXTURES["cluster_redis_password"],
}


def redis_login(host, password: str) -> str:
    """PING as Harbor's ui logs in (AUTH with the password alone), from `host`."""
    result = host.run("REDISCLI_AUTH=%s redis-cli --no-auth-warning -h %s PING", password, REDIS_ADDRESS)
    return (result.stdout + result.stderr).strip()


def logins(client) -> dict[str, tuple[bool, bool]]:
    """Which passwords log in now: {db|redis: (old, new)}."""
    return {
        "db": tuple(
            harbor_sql(client, "SELECT 1", password=p["cluster_db_password"]).rc == 0 for p in (OLD, ROTATED)
        ),
        "redis": tuple(redis_login(client, p["cluster_redis_password"]) == "PONG" for p in (OLD, ROTATED)),
    }


def server_starts(db, redis) -> tuple[str, str]:
    """When MariaDB and Redis last started."""
    unit = "systemctl show -P ActiveEnterTimestampMonotonic %s"
    return db.check_output(unit, "mariadb.service"), redis.check_output(unit, "redis-server.service")


@pytest.fixture(scope="module")
def rotation(db, redis, client):
    """The runs of a rotation and back, and what each left."""
    seen = {"start": server_starts(db, redis), "before": logins(client)}
    runs = {
        "begun": ansible_playbook(CONVERGE, "--limit", "harbor_db:harbor_redis", "-vv", extra_vars=ROTATED)
    }
    seen["begun"] = logins(client)
    seen["begun_file"] = redis.file("/etc/redis/harbor-ha-users.conf").content_string
    runs["ended"] = ansible_playbook(CONVERGE, "-vv", extra_vars=ROTATED)
    seen["ended"] = logins(client)
    seen["ended_starts"] = server_starts(db, redis)
    # Back to the inventory's passwords: a rotation too, ended by the same run.
    runs["back"] = ansible_playbook(CONVERGE, "-vv")
    seen["back"] = logins(client)
    seen["back_starts"] = server_starts(db, redis)
    runs["checked"] = ansible_playbook(CONVERGE, "-vv", "--check")
    return runs, seen


def test_rotation_runs_succeed_and_show_no_password(rotation):
    runs, _ = rotation
    for name, result in runs.items():
        assert result.returncode == 0, f"{name}: {result.stdout[-3000:]}"
        assert_no_secret(result.stdout + result.stderr)
        leaked = [value for value in ROTATED.values() if value in result.stdout + result.stderr]
        assert not leaked, (name, leaked)


def test_both_passwords_log_in_while_the_rotation_is_under_way(rotation):
    runs, seen = rotation
    assert seen["before"] == {"db": (True, False), "redis": (True, False)}
    assert recap(runs["begun"])["database-db"]["changed"] > 0
    assert recap(runs["begun"])["database-redis"]["changed"] > 0
    assert seen["begun"] == {"db": (True, True), "redis": (True, True)}


def test_redis_keeps_both_for_its_next_start_too(rotation):
    _, seen = rotation
    line = next(line for line in seen["begun_file"].splitlines() if line.startswith("user default "))
    # The new password in clear (quoted as redis.conf reads it), the old one as the digest Redis' ACL keeps.
    old_digest = hashlib.sha256(OLD["cluster_redis_password"].encode()).hexdigest()
    new = ROTATED["cluster_redis_password"].replace('"', '\\"')
    assert line.endswith(f'">{new}" #{old_digest}'), line


def test_only_the_new_passwords_log_in_after_the_rotation(rotation):
    runs, seen = rotation
    assert "Forget the previous password of Harbor's database account" in runs["ended"].stdout
    assert seen["ended"] == {"db": (False, True), "redis": (False, True)}
    assert recap(runs["back"])["database-db"]["changed"] > 0
    assert seen["back"] == {"db": (True, False), "redis": (True, False)}


def test_check_mode_on_converged_hosts_changes_nothing(rotation):
    counts = recap(rotation[0]["checked"])
    assert set(counts) == {"database-db", "database-redis", "database-client"}
    assert all(host["changed"] == 0 and host["failed"] == 0 for host in counts.values()), counts


def test_no_server_restarted(rotation):
    _, seen = rotation
    assert seen["ended_starts"] == seen["start"]
    assert seen["back_starts"] == seen["start"]


def test_readiness_check_refuses_wrong_passwords_by_name(rotation):
    """A port that answers is not a server that lets the node in (what the check tested before)."""
    wrong = {"cluster_db_password": "fixture-wrongdb-7Yc", "cluster_redis_password": "fixture-wrongredis-5Vb"}
    # The node's play alone, without its grant: the database and Redis keep the inventory's passwords.
    result = ansible_playbook(
        CONVERGE, "--limit", "database-client", extra_vars={**wrong, "harbor_manage_database": False}
    )
    assert result.returncode == 2, result.stdout[-3000:]
    failed = failures(result)
    assert "Check that the database and Redis let this node in" in result.stdout
    assert "refused the password of harbor (harbor_db_password, from cluster_db_password)" in failed, failed
    assert "Redis refused harbor_redis_password (from cluster_redis_password)" in failed, failed
    assert all(host["changed"] == 0 for host in recap(result).values()), recap(result)
    assert_no_secret(result.stdout + result.stderr)
    assert not [value for value in wrong.values() if value in result.stdout + result.stderr]
