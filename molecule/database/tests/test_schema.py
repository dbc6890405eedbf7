"""Harbor's schema, read from the harbor-db image, imported exactly once; a database with tables
is never imported into again, one that lacks some of the schema's tables stops the run naming them
(also against the tables a caller kept, without the image), and a new node gets its grant from its
own play under --limit."""

import re
import uuid

import pytest
from bedhelpers import ansible_playbook, failures, recap
from conftest import CLIENT_ADDRESS, FIXTURES, harbor_sql, root_sql


def tables(db) -> set[str]:
    return set(
        root_sql(
            db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'registry'"
        ).split()
    )


def probe_rows(db) -> str:
    return root_sql(db, "SELECT * FROM registry.harbor_ha_probe ORDER BY id")


def test_schema_of_the_harbor_db_image_is_in_the_harbor_database(db, client):
    schema = client.check_output(
        "docker run --rm --pull=never --network=none --entrypoint=cat %s /tmp/r.sql",
        FIXTURES["bundled_db_image"],
    )
    assert schema.lstrip().lower().startswith("drop database if exists registry;")
    created = set(re.findall(r"^create table (?:if not exists )?`?(\w+)", schema, re.I | re.M))
    assert created
    assert tables(db) - {"harbor_ha_probe"} == created


def test_seed_rows_were_loaded_once(db):
    counts = root_sql(
        db, "SELECT COUNT(*), COUNT(DISTINCT access_code, comment) FROM registry.access"
    ).split()
    assert int(counts[0]) > 0
    assert counts[0] == counts[1]


def test_row_written_between_runs_survives_the_next_run_and_a_restart(db):
    rows = root_sql(db, "SELECT note, UNIX_TIMESTAMP(written) FROM registry.harbor_ha_probe").splitlines()
    assert rows
    assert {row.split("\t")[0] for row in rows} == {"written between two runs"}
    written = max(int(row.split("\t")[1]) for row in rows)
    now, uptime = root_sql(
        db,
        "SELECT UNIX_TIMESTAMP(), VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
        " WHERE VARIABLE_NAME = 'UPTIME'",
    ).split()
    # The server was restarted after the row was written (side_effect.yml).
    assert int(now) - int(uptime) >= written


@pytest.fixture(scope="module")
def new_node_run(db, client):
    """The node as a new one: its grant gone, its play run alone, the database host outside --limit."""
    root_sql(db, f"DROP USER 'harbor'@'{CLIENT_ADDRESS}'")
    refused = harbor_sql(client, "SELECT 1")
    assert refused.rc == 1
    before = tables(db), probe_rows(db)
    result = ansible_playbook("molecule/database/converge.yml", "--limit", "database-client")
    return result, before


def test_new_node_gets_its_grant_from_its_own_play_under_limit(new_node_run, client):
    result, _ = new_node_run
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(recap(result)) == {"database-client"}
    assert "changed: [database-client -> database-db]" in result.stdout
    answer = harbor_sql(client, "SELECT COUNT(*) > 0 FROM access")
    assert answer.rc == 0, answer.stderr
    assert answer.stdout.strip() == "1"


def test_schema_import_leaves_a_database_with_every_table_alone(new_node_run, db):
    result, before = new_node_run
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Check that a database with tables holds every table of the schema" in result.stdout
    assert "Load it into Harbor's database" not in result.stdout
    assert (tables(db), probe_rows(db)) == before


@pytest.fixture(scope="module")
def partial_run(db):
    """A database where an import stopped after two of the schema's tables (its own account, so
    that Harbor's keeps its grants)."""
    name = f"partial_{uuid.uuid4().hex[:6]}"
    root_sql(
        db,
        f"CREATE DATABASE {name}; CREATE TABLE {name}.access (access_id INT);"
        f" CREATE TABLE {name}.role (role_id INT)",
    )
    result = ansible_playbook(
        "molecule/database/converge.yml",
        "--limit",
        "database-client",
        extra_vars={"cluster_db_name": name, "cluster_db_user": name},
    )
    return result, name


def test_a_partial_import_stops_the_run_naming_the_missing_tables(partial_run, db):
    result, name = partial_run
    assert result.returncode == 2, result.stdout[-3000:]
    failed = failures(result)
    assert (
        f"Harbor's database {name} on database-db holds 2 tables but not access_log, alembic_version,"
        in failed
    )
    assert "DROP DATABASE " + name in failed
    assert "Load it into Harbor's database" not in result.stdout
    # Nothing was added to it.
    assert root_sql(db, f"SHOW TABLES FROM {name}").split() == ["access", "role"]


# The harbor role keeps the schema's tables beside the installer after the first read of the
# image and gives them back as mysql_schema_tables: a database with tables is then checked
# against them without a container. The runs below name an image that does not exist
# (docker run --pull=never would fail), so a run that read the image could not pass or name tables.
NO_IMAGE = "harbor-ha/no-such-harbor-db:0"


@pytest.fixture(scope="module")
def kept_tables(client) -> list[str]:
    schema = client.check_output(
        "docker run --rm --pull=never --network=none --entrypoint=cat %s /tmp/r.sql",
        FIXTURES["bundled_db_image"],
    )
    return sorted(set(re.findall(r"^create table (?:if not exists )?`?(\w+)", schema, re.I | re.M)))


def test_kept_tables_check_a_database_with_tables_without_reading_the_image(kept_tables, db):
    before = tables(db), probe_rows(db)
    result = ansible_playbook(
        "molecule/database/converge.yml",
        "--limit",
        "database-client",
        extra_vars={"mysql_schema_image": NO_IMAGE, "mysql_schema_tables": kept_tables},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Check that a database with tables holds every table of the schema" in result.stdout
    assert (tables(db), probe_rows(db)) == before


def test_kept_tables_stop_a_partial_import_naming_the_missing_tables(kept_tables, db):
    name = f"kept_{uuid.uuid4().hex[:6]}"
    root_sql(db, f"CREATE DATABASE {name}; CREATE TABLE {name}.access (access_id INT)")
    result = ansible_playbook(
        "molecule/database/converge.yml",
        "--limit",
        "database-client",
        extra_vars={
            "cluster_db_name": name,
            "cluster_db_user": name,
            "mysql_schema_image": NO_IMAGE,
            "mysql_schema_tables": kept_tables,
        },
    )
    assert result.returncode == 2, result.stdout[-3000:]
    missing = ", ".join(table for table in kept_tables if table != "access")
    assert f"Harbor's database {name} on database-db holds 1 tables but not {missing}," in failures(result)
    assert "Load it into Harbor's database" not in result.stdout
    assert root_sql(db, f"SHOW TABLES FROM {name}").split() == ["access"]
