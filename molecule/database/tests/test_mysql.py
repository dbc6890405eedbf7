"""The external database: MariaDB on its address, Harbor's account limited to its database and
to the Harbor nodes, root with both its socket and its password login, nothing anonymous."""

import re
import uuid

import pytest
from bedhelpers import ansible_playbook
from conftest import (
    CLIENT_ADDRESS,
    DB_ADDRESS,
    FIXTURES,
    OUTSIDER_ADDRESS,
    harbor_sql,
    root_sql,
    task_statuses,
)

CONVERGE = "molecule/database/converge.yml"
ACCOUNT_TASK = (
    "Set Harbor's account and its privileges at each Harbor node address, keeping a previous password valid"
)


def test_mariadb_runs_and_listens_on_its_address_only(db):
    service = db.service("mariadb.service")
    assert service.is_running
    assert service.is_enabled
    assert db.socket(f"tcp://{DB_ADDRESS}:3306").is_listening
    assert not db.socket("tcp://127.0.0.1:3306").is_listening
    assert not db.socket("tcp://0.0.0.0:3306").is_listening


def test_role_settings_file(db):
    config = db.file("/etc/mysql/mariadb.conf.d/90-harbor-ha.cnf")
    assert (config.user, config.group, config.mode) == ("root", "root", 0o644)
    assert f"bind-address = {DB_ADDRESS}" in config.content_string
    assert root_sql(db, "SELECT @@skip_name_resolve, @@max_connections") == "1\t300"


def test_harbor_account_reads_and_writes_rows_from_a_harbor_node(client):
    note = f"from the node {uuid.uuid4().hex[:8]}"
    result = harbor_sql(
        client,
        f"INSERT INTO harbor_ha_probe (note) VALUES ('{note}');"
        f"UPDATE harbor_ha_probe SET note = CONCAT(note, '!') WHERE note = '{note}';"
        f"SELECT note FROM harbor_ha_probe WHERE note = '{note}!';"
        f"DELETE FROM harbor_ha_probe WHERE note = '{note}!'",
    )
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == f"{note}!"


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE harbor_ha_new (id INT)",
        "ALTER TABLE access ADD COLUMN harbor_ha_extra INT",
        "DROP TABLE harbor_ha_probe",
        "CREATE INDEX harbor_ha_idx ON access (comment)",
        "TRUNCATE TABLE harbor_ha_probe",
    ],
)
def test_harbor_account_cannot_change_the_schema(client, statement):
    """Harbor 1.1 only reads and writes rows (mysql_harbor_privileges): its schema is the role's."""
    result = harbor_sql(client, statement)
    assert result.rc == 1, statement
    assert re.search(rf"command denied to user 'harbor'@'{re.escape(CLIENT_ADDRESS)}'", result.stderr), (
        result.stderr
    )


def test_harbor_account_sees_only_its_database(client):
    result = harbor_sql(client, "SHOW DATABASES")
    assert result.rc == 0, result.stderr
    assert set(result.stdout.split()) == {"information_schema", "registry"}


def test_harbor_account_is_refused_on_any_other_database(client):
    for statement in (
        "SELECT COUNT(*) FROM mysql.user",
        "CREATE TABLE mysql.harbor_ha_probe (id INT)",
        "CREATE DATABASE harbor_ha_other",
    ):
        result = harbor_sql(client, statement)
        assert result.rc == 1, statement
        # 1142 "command denied to user" or 1044 "Access denied for user": refused, not failed.
        refused = rf"denied (to|for) user 'harbor'@'{re.escape(CLIENT_ADDRESS)}'"
        assert re.search(refused, result.stderr), result.stderr
    result = harbor_sql(client, "SELECT 1", database="mysql")
    assert result.rc == 1
    assert "Access denied for user 'harbor'" in result.stderr


def test_harbor_account_is_refused_from_a_host_that_is_not_a_harbor_node(outsider):
    result = harbor_sql(outsider, "SELECT 1")
    assert result.rc == 1
    # Error 1130: the server answered and refused the address (not a network failure).
    assert f"Host '{OUTSIDER_ADDRESS}' is not allowed to connect" in result.stderr, result.stderr


def test_harbor_account_exists_at_the_harbor_nodes_addresses_only(db):
    assert root_sql(db, "SELECT Host FROM mysql.user WHERE User = 'harbor'") == CLIENT_ADDRESS
    grants = root_sql(db, f"SHOW GRANTS FOR 'harbor'@'{CLIENT_ADDRESS}'").splitlines()
    assert len(grants) == 2
    assert grants[0].startswith("GRANT USAGE ON *.* TO")
    assert grants[1] == f"GRANT SELECT, INSERT, UPDATE, DELETE ON `registry`.* TO `harbor`@`{CLIENT_ADDRESS}`"


def test_privileges_granted_by_hand_beyond_the_roles_are_revoked_by_the_next_run(db, client):
    """Drift: what an operator granted by hand on Harbor's database, on another database and
    globally is gone after the next run, which keeps the account's own privileges throughout."""
    for grant in ("DROP ON `registry`.*", "SELECT ON `mysql`.*", "PROCESS ON *.*"):
        root_sql(db, f"GRANT {grant} TO 'harbor'@'{CLIENT_ADDRESS}'")
    # The drift is real: the account reads another database.
    assert harbor_sql(client, "SELECT COUNT(*) FROM user", database="mysql").rc == 0
    run = ansible_playbook(CONVERGE, "--limit", "harbor_db")
    assert run.returncode == 0, run.stdout[-3000:]
    assert task_statuses(run.stdout, ACCOUNT_TASK) == ["changed"]
    grants = root_sql(db, f"SHOW GRANTS FOR 'harbor'@'{CLIENT_ADDRESS}'").splitlines()
    assert [grant.split(" IDENTIFIED ")[0] for grant in grants] == [
        f"GRANT USAGE ON *.* TO `harbor`@`{CLIENT_ADDRESS}`",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON `registry`.* TO `harbor`@`{CLIENT_ADDRESS}`",
    ]
    refused = harbor_sql(client, "SELECT COUNT(*) FROM user", database="mysql")
    assert refused.rc == 1
    assert "Access denied" in refused.stderr, refused.stderr
    assert harbor_sql(client, "SELECT COUNT(*) FROM information_schema.TABLES").rc == 0
    again = ansible_playbook(CONVERGE, "--limit", "harbor_db")
    assert again.returncode == 0, again.stdout[-3000:]
    assert task_statuses(again.stdout, ACCOUNT_TASK) == ["ok"]


def test_root_keeps_its_socket_login_and_has_the_admin_password(db, client):
    # The OS root (Debian's maintenance scripts) gets in without a password, through the socket.
    assert root_sql(db, "SELECT CURRENT_USER()") == "root@localhost"
    as_nobody = "runuser -u nobody -- env MYSQL_PWD=%s mariadb --user=root --batch --skip-column-names -e %s"
    good = db.run(as_nobody, FIXTURES["mysql_admin_password"], "SELECT CURRENT_USER()")
    assert good.rc == 0, good.stderr
    assert good.stdout.strip() == "root@localhost"
    bad = db.run(as_nobody, "not-the-password", "SELECT 1")
    assert bad.rc == 1
    assert "Access denied for user 'root'@'localhost'" in bad.stderr
    remote = client.run(
        "MYSQL_PWD=%s mariadb --host=%s --user=root -e 'SELECT 1'",
        FIXTURES["mysql_admin_password"],
        DB_ADDRESS,
    )
    assert remote.rc == 1
    assert f"Access denied for user 'root'@'{CLIENT_ADDRESS}'" in remote.stderr


def test_no_anonymous_account_and_no_test_database(db):
    assert root_sql(db, "SELECT COUNT(*) FROM mysql.user WHERE User = ''") == "0"
    assert root_sql(db, "SELECT COUNT(*) FROM mysql.user WHERE User = 'root' AND Host <> 'localhost'") == "0"
    assert root_sql(db, "SHOW DATABASES LIKE 'test'") == ""
