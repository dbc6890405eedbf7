"""Check mode on a fresh host, and existing mode against a server the role did not set up."""

from __future__ import annotations

import pytest
from bedhelpers import ansible_playbook, inventory_copy, recap
from conftest import (
    ADMIN_PASSWORD,
    CONVERGE,
    DB,
    HARBOR_PASSWORD,
    NODE,
    OUTSIDER,
    admin_sql,
    assert_no_secret,
    managed_state,
    output,
    scram_verifies,
)


def test_check_mode_on_a_fresh_database_host_does_not_fail(outsider, tmp_path):
    """The outsider (no PostgreSQL server) as the database host, in check mode: the run says it
    would install the server, fails nowhere, and installs nothing."""
    inventory = inventory_copy(tmp_path, groups={"harbor_db": [OUTSIDER]})
    result = ansible_playbook(CONVERGE, "-vv", "--check", inventory=inventory)
    assert result.returncode == 0, output(result)[-3000:]
    counts = recap(result)
    assert counts[OUTSIDER]["failed"] == counts[NODE]["failed"] == 0
    assert counts[OUTSIDER]["changed"] > 0
    assert not outsider.package("postgresql-15").is_installed
    assert not outsider.file("/etc/postgresql").exists
    assert_no_secret(result, ADMIN_PASSWORD, HARBOR_PASSWORD)


EXISTING = {
    "postgresql_mode": "existing",
    "cluster_db_name": "harbor_existing",
    "cluster_db_user": "harbor_existing",
    "cluster_db_password": "fixture-existing-7Ju '\"",
}


@pytest.fixture(scope="module")
def existing(db):
    """A run in existing mode, for a database and account that do not exist yet."""
    admin_sql(db, "DROP DATABASE IF EXISTS harbor_existing")
    admin_sql(db, "DROP ROLE IF EXISTS harbor_existing")
    before = managed_state(db)
    result = ansible_playbook(CONVERGE, "-vv", "--limit", DB, extra_vars=EXISTING)
    return before, result, managed_state(db)


def test_existing_mode_makes_the_database_and_account(existing, db):
    _, result, _ = existing
    assert result.returncode == 0, output(result)[-3000:]
    assert recap(result)[DB]["changed"] > 0
    assert_no_secret(result, ADMIN_PASSWORD, EXISTING["cluster_db_password"])
    owner = admin_sql(
        db,
        "SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding) FROM pg_database"
        " WHERE datname = 'harbor_existing'",
    )
    assert owner == "harbor_existing|UTF8"
    verifier = admin_sql(db, "SELECT rolpassword FROM pg_authid WHERE rolname = 'harbor_existing'")
    assert scram_verifies(verifier, EXISTING["cluster_db_password"])


def test_existing_mode_touches_no_file_and_no_service(existing):
    before, _, after = existing
    assert after["files"] == before["files"]
    assert after["times"] == before["times"]
