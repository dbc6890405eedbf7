"""The converged database: PostgreSQL 15 on its address, Harbor's database and account, and
pg_hba.conf that lets that account in from the Harbor node only."""

import uuid

import pytest
from conftest import (
    ADMIN_PASSWORD,
    DATABASE,
    DB_ADDRESS,
    HARBOR,
    HBA_FILE,
    IDENT_FILE,
    MAX_CONNECTIONS,
    NODE_ADDRESS,
    OUTSIDER_ADDRESS,
    PORT,
    SETTINGS_FILE,
    admin_sql,
    harbor_hba_entries,
    harbor_sql,
    scram_verifies,
)


def test_postgresql_runs_and_listens_on_its_address_and_socket_only(db):
    assert db.service("postgresql@15-main.service").is_running
    assert db.service("postgresql.service").is_enabled
    assert db.socket(f"tcp://{DB_ADDRESS}:{PORT}").is_listening
    assert not db.socket(f"tcp://127.0.0.1:{PORT}").is_listening
    assert not db.socket(f"tcp://0.0.0.0:{PORT}").is_listening
    assert db.socket(f"unix:///var/run/postgresql/.s.PGSQL.{PORT}").is_listening
    assert admin_sql(db, "SHOW listen_addresses") == DB_ADDRESS


def test_settings_in_force(db):
    settings = db.file(SETTINGS_FILE)
    assert (settings.user, settings.group, settings.mode) == ("postgres", "postgres", 0o644)
    assert admin_sql(db, "SHOW max_connections") == str(MAX_CONNECTIONS)
    assert admin_sql(db, "SHOW superuser_reserved_connections") == "3"
    assert admin_sql(db, "SHOW password_encryption") == "scram-sha-256"
    # Nothing the server read is in error, and nothing waits for a restart.
    pending = admin_sql(db, "SELECT name FROM pg_settings WHERE pending_restart")
    errors = admin_sql(
        db, "SELECT sourcefile, sourceline, error FROM pg_file_settings WHERE error IS NOT NULL"
    )
    assert (pending, errors) == ("", "")


def test_harbor_database_is_utf8_and_owned_by_harbor(db):
    row = admin_sql(
        db,
        "SELECT pg_encoding_to_char(encoding), datcollate, datctype, pg_get_userbyid(datdba)"
        f" FROM pg_database WHERE datname = '{DATABASE}'",
    )
    assert row == f"UTF8|C.UTF-8|C.UTF-8|{HARBOR}"
    # Only its owner may connect (PUBLIC's default CONNECT revoked).
    acl = admin_sql(db, f"SELECT has_database_privilege('public', '{DATABASE}', 'CONNECT')")
    assert acl == "f"


def test_harbor_account_has_no_privilege_beyond_its_database_and_a_scram_password(db):
    row = admin_sql(
        db,
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolpassword"
        f" FROM pg_authid WHERE rolname = '{HARBOR}'",
    )
    *flags, verifier = row.split("|")
    assert flags == ["t", "f", "f", "f", "f"]
    assert verifier.startswith("SCRAM-SHA-256$")


def test_harbor_creates_and_reads_a_table_from_the_harbor_node(node):
    table = f"probe_{uuid.uuid4().hex[:8]}"
    result = harbor_sql(
        node,
        f"CREATE TABLE {table} (id int PRIMARY KEY, note text);"
        f" INSERT INTO {table} VALUES (1, 'from the node');"
        f" SELECT note FROM {table}; DROP TABLE {table}",
    )
    assert result.rc == 0, result.stderr
    assert "from the node" in result.stdout.split("\n")


def test_harbor_logs_in_by_scram_from_its_node_entry_only(db):
    assert harbor_hba_entries(db) == [("host", NODE_ADDRESS, "255.255.255.255", "scram-sha-256")]


def test_wrong_password_is_refused(node):
    result = harbor_sql(node, "SELECT 1", password="not-the-password")
    assert result.rc == 2
    assert f'password authentication failed for user "{HARBOR}"' in result.stderr


def test_harbor_is_refused_from_a_host_that_is_not_a_harbor_node(outsider):
    result = harbor_sql(outsider, "SELECT 1")
    assert result.rc == 2
    # The server answered and refused the address (not a network failure).
    assert f'no pg_hba.conf entry for host "{OUTSIDER_ADDRESS}", user "{HARBOR}", database "{DATABASE}"' in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("user", "database"), [(HARBOR, "postgres"), (HARBOR, "template1"), ("postgres", DATABASE)]
)
def test_nothing_else_is_let_in_from_the_harbor_node(node, user, database):
    result = node.run(
        "PGPASSWORD=%s PGSSLMODE=disable psql -X -h %s -p %s -U %s -d %s -c 'SELECT 1'",
        ADMIN_PASSWORD,
        DB_ADDRESS,
        str(PORT),
        user,
        database,
    )
    assert result.rc == 2
    assert (
        f'no pg_hba.conf entry for host "{NODE_ADDRESS}", user "{user}", database "{database}"'
        in result.stderr
    )


def test_admin_account_has_the_admin_password_and_root_logs_in_by_the_socket(db):
    verifier = admin_sql(db, "SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'")
    assert scram_verifies(verifier, ADMIN_PASSWORD)
    assert not scram_verifies(verifier, "not-the-password")
    # How the role logs in: OS root, mapped to postgres, through the socket; nobody else is.
    as_root = db.run("psql -X -U postgres -h /var/run/postgresql -p %s -tAc 'SELECT current_user'", str(PORT))
    assert (as_root.rc, as_root.stdout.strip()) == (0, "postgres"), as_root.stderr
    as_nobody = db.run(
        "runuser -u nobody -- psql -X -U postgres -h /var/run/postgresql -p %s -c 'SELECT 1'", str(PORT)
    )
    assert as_nobody.rc == 2
    assert 'Peer authentication failed for user "postgres"' in as_nobody.stderr


def test_authentication_files_are_private_to_postgres(db):
    for path in (HBA_FILE, IDENT_FILE):
        config = db.file(path)
        assert (config.user, config.group, config.mode) == ("postgres", "postgres", 0o640), path
