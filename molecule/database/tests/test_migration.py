"""playbooks/db_move.yml: the bundled harbor-db's rows into an empty external database (made by
the mysql role in existing mode), a backup kept, and a refusal, changing nothing, when the
target holds data."""

import uuid

import pytest
from bedhelpers import ansible_playbook, recap
from conftest import CLIENT_ADDRESS, FIXTURES, assert_no_secret, bundled_db_sql, root_sql, task_statuses

BACKUPS = "/var/backups/harbor-db"


def mariadb_state(db) -> tuple[str, str]:
    """When MariaDB last started, and the checksum of the role's settings."""
    started = db.check_output("systemctl show -P ActiveEnterTimestampMonotonic mariadb.service")
    return started, db.file("/etc/mysql/mariadb.conf.d/90-harbor-ha.cnf").sha256sum


def backups(client) -> list[str]:
    return client.check_output("ls -1 %s", BACKUPS).split() if client.file(BACKUPS).exists else []


@pytest.fixture(scope="module")
def target():
    """A fresh database and account for this run, so that the test can run again."""
    name = f"moved_{uuid.uuid4().hex[:6]}"
    return {"mysql_harbor_database": name, "mysql_harbor_user": name}


@pytest.fixture(scope="module")
def existing_run(db, target):
    before = mariadb_state(db)
    result = ansible_playbook(
        "molecule/database/converge.yml",
        "--limit",
        "database-db",
        extra_vars={"mysql_mode": "existing", **target},
    )
    return result, before


@pytest.fixture(scope="module")
def move(existing_run, client, target):
    assert existing_run[0].returncode == 0, existing_run[0].stdout[-3000:]
    before = backups(client)
    result = ansible_playbook("playbooks/db_move.yml", "--limit", "database-client", "-vv", extra_vars=target)
    return result, before


def test_existing_mode_leaves_the_server_alone(existing_run, db):
    result, before = existing_run
    assert result.returncode == 0, result.stdout[-3000:]
    assert mariadb_state(db) == before
    for server_task in (
        "Install the role's MariaDB settings",
        "Enable and start MariaDB",
        "Remove the test database",
    ):
        assert task_statuses(result.stdout, server_task) == ["skipping"], server_task


def test_existing_mode_creates_the_database_and_account(existing_run, db, target):
    name = target["mysql_harbor_database"]
    assert root_sql(db, f"SHOW DATABASES LIKE '{name}'") == name
    grants = root_sql(db, f"SHOW GRANTS FOR '{name}'@'{CLIENT_ADDRESS}'").splitlines()
    # The "_" of the name is escaped (\\_, doubled by mariadb --batch): this database, not a pattern.
    escaped = name.replace("_", "\\\\_")
    assert grants[1] == f"GRANT ALL PRIVILEGES ON `{escaped}`.* TO `{name}`@`{CLIENT_ADDRESS}`"


def test_move_copies_the_rows_of_harbor_db_into_the_empty_database(move, db, client, target):
    result, _ = move
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Moved Harbor's database" in result.stdout
    name = target["mysql_harbor_database"]
    source_tables = bundled_db_sql(client, "SHOW TABLES").split()
    assert root_sql(db, f"SHOW TABLES FROM {name}").split() == source_tables
    for table in source_tables:
        assert root_sql(db, f"SELECT * FROM {name}.{table} ORDER BY 1") == bundled_db_sql(
            client, f"SELECT * FROM {table} ORDER BY 1"
        ), table
    assert FIXTURES["bundled_db_marker"] in root_sql(db, f"SELECT comment FROM {name}.access")


def test_move_keeps_the_dump_as_a_private_backup(move, client):
    result, before = move
    new = sorted(set(backups(client)) - set(before))
    assert len(new) == 1
    dump = client.file(f"{BACKUPS}/{new[0]}")
    assert (dump.user, dump.mode) == ("root", 0o600)
    assert FIXTURES["bundled_db_marker"] in dump.content_string
    assert dump.content_string.rstrip().splitlines()[-1].startswith("-- Dump completed")
    assert f"{BACKUPS}/{new[0]}" in result.stdout


def test_move_output_holds_no_password(move):
    result, _ = move
    assert_no_secret(result.stdout + result.stderr)


def test_move_refuses_a_database_that_holds_data_and_changes_nothing(move, db, client, target):
    assert move[0].returncode == 0
    before = backups(client)
    rows = root_sql(db, f"SELECT COUNT(*) FROM {target['mysql_harbor_database']}.access")
    result = ansible_playbook("playbooks/db_move.yml", "--limit", "database-client", extra_vars=target)
    assert result.returncode == 2, result.stdout[-3000:]
    output = result.stdout + result.stderr
    assert "Refusing to move" in output
    assert "already holds" in output
    assert recap(result)["database-client"]["changed"] == 0
    assert backups(client) == before
    assert root_sql(db, f"SELECT COUNT(*) FROM {target['mysql_harbor_database']}.access") == rows
