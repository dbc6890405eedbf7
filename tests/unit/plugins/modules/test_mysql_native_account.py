"""mysql_native_account against a cursor that answers as the servers do: a server Harbor 1.1
cannot log in to is refused before any statement, a rotation on MariaDB keeps the previous hash,
check mode runs no statement, the password never appears in a statement."""

import json

import pytest

from ansible_collections.harbor_ha.cluster.plugins.module_utils import mysql_account as acc
from ansible_collections.harbor_ha.cluster.plugins.modules import mysql_native_account as module_under_test

OLD = acc.native_hash("old")
NEW = acc.native_hash("new")


class Refused(Exception):
    pass


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {
            "name": "harbor",
            "hosts": ["10.0.0.21"],
            "password": "new",
            "previous": "keep",
            "create": True,
            "database": None,
            "privileges": None,
        }
        self.params.update(params)

    def fail_json(self, **result):
        raise Refused(result["msg"])


class FakeCursor:
    """Answers VERSION(), the plugin's status and the state query; records every other statement."""

    def __init__(self, version, accounts=None, plugin=None, grants=None):
        self.version, self.accounts, self.plugin = version, accounts or {}, plugin
        self.grants = grants or {}
        self.executed: list[tuple[str, tuple]] = []
        self._row = None
        self._rows = []

    def execute(self, sql, args=()):
        if sql.startswith("SHOW GRANTS"):
            self._rows = [{f"Grants for {args[0]}@{args[1]}": line} for line in self.grants.get(args[1], [])]
        elif sql.startswith("SELECT VERSION()"):
            self._row = {"version": self.version}
        elif "information_schema.PLUGINS" in sql:
            self._row = None if self.plugin is None else {"status": self.plugin}
        elif sql.startswith("SELECT"):
            self._row = self.accounts.get(args[1])
        else:
            self.executed.append((sql, args))

    def fetchone(self):
        return self._row

    def fetchall(self):
        return self._rows


def mariadb_row(*hashes):
    priv = {"plugin": acc.NATIVE, "authentication_string": hashes[0]}
    if len(hashes) > 1:
        priv["auth_or"] = [{}] + [{"plugin": acc.NATIVE, "authentication_string": h} for h in hashes[1:]]
    return {"Priv": json.dumps(priv)}


@pytest.mark.parametrize(("version", "plugin"), [("9.1.0", None), ("8.4.2", "DISABLED"), ("8.4.2", None)])
def test_a_server_without_mysql_native_password_is_refused_before_any_statement(version, plugin):
    cursor = FakeCursor(version, plugin=plugin)
    with pytest.raises(Refused, match="Refusing to make the account harbor"):
        module_under_test.run(FakeModule(), cursor)
    assert cursor.executed == []


def test_mysql_84_with_the_plugin_on_is_allowed():
    cursor = FakeCursor("8.4.2", plugin="ACTIVE")
    result = module_under_test.run(FakeModule(), cursor)
    assert result["accounts"]["10.0.0.21"]["action"] == "created"
    assert cursor.executed == [
        ("CREATE USER %s@%s IDENTIFIED WITH mysql_native_password AS %s", ("harbor", "10.0.0.21", NEW))
    ]


def test_a_rotation_on_mariadb_keeps_the_previous_password():
    cursor = FakeCursor("10.11.18-MariaDB", {"10.0.0.21": mariadb_row(OLD)})
    result = module_under_test.run(FakeModule(hosts=["10.0.0.21", "10.0.0.22"]), cursor)
    assert result["dual_passwords"] is True
    assert result["accounts"] == {
        "10.0.0.21": {"action": "changed", "previous": 1},
        "10.0.0.22": {"action": "created", "previous": 0},
    }
    assert cursor.executed == [
        (
            "ALTER USER %s@%s IDENTIFIED VIA mysql_native_password USING %s"
            " OR mysql_native_password USING %s",
            ("harbor", "10.0.0.21", NEW, OLD),
        ),
        ("CREATE USER %s@%s IDENTIFIED VIA mysql_native_password USING %s", ("harbor", "10.0.0.22", NEW)),
    ]
    assert all("new" not in args for _, args in cursor.executed)


def test_nothing_to_do_during_a_rotation_and_its_end():
    during = FakeCursor("10.11.18-MariaDB", {"10.0.0.21": mariadb_row(NEW, OLD)})
    assert module_under_test.run(FakeModule(), during)["changed"] is False
    assert during.executed == []
    end = FakeCursor("10.11.18-MariaDB", {"10.0.0.21": mariadb_row(NEW, OLD)})
    result = module_under_test.run(FakeModule(previous="drop"), end)
    assert result["changed"] is True
    assert end.executed == [
        ("ALTER USER %s@%s IDENTIFIED VIA mysql_native_password USING %s", ("harbor", "10.0.0.21", NEW))
    ]


def test_the_end_of_a_rotation_creates_no_account():
    cursor = FakeCursor("10.11.18-MariaDB", {})
    result = module_under_test.run(FakeModule(previous="drop", create=False), cursor)
    assert result["changed"] is False
    assert result["accounts"]["10.0.0.21"]["action"] == "absent"
    assert cursor.executed == []


def test_check_mode_runs_no_statement():
    cursor = FakeCursor("10.11.18-MariaDB", {"10.0.0.21": mariadb_row(OLD)})
    result = module_under_test.run(FakeModule(check_mode=True), cursor)
    assert result["changed"] is True
    assert cursor.executed == []


def test_mysql_80_replaces_the_password_at_once():
    cursor = FakeCursor(
        "8.0.36", {"10.0.0.21": {"plugin": "caching_sha2_password", "authentication_string": "x"}}
    )
    result = module_under_test.run(FakeModule(), cursor)
    assert result["dual_passwords"] is False
    assert result["accounts"]["10.0.0.21"] == {"action": "changed", "previous": 0}
    assert cursor.executed == [
        ("ALTER USER %s@%s IDENTIFIED WITH mysql_native_password AS %s", ("harbor", "10.0.0.21", NEW))
    ]


ROWS = ["SELECT", "INSERT", "UPDATE", "DELETE"]
USAGE = "GRANT USAGE ON *.* TO `harbor`@`10.0.0.21` IDENTIFIED BY PASSWORD '*00'"


def test_an_account_that_holds_its_privileges_changes_nothing():
    cursor = FakeCursor(
        "10.11.18-MariaDB",
        {"10.0.0.21": mariadb_row(NEW)},
        grants={
            "10.0.0.21": [
                USAGE,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON `registry`.* TO `harbor`@`10.0.0.21`",
            ]
        },
    )
    result = module_under_test.run(FakeModule(database="registry", privileges=ROWS), cursor)
    assert result["changed"] is False
    assert result["accounts"]["10.0.0.21"] == {"action": "unchanged", "previous": 0, "grants": []}
    assert cursor.executed == []


def test_a_new_account_is_created_then_granted_its_database_only():
    cursor = FakeCursor("10.11.18-MariaDB", {})
    result = module_under_test.run(FakeModule(database="harbor_db", privileges=ROWS), cursor)
    assert result["changed"] is True
    assert cursor.executed == [
        ("CREATE USER %s@%s IDENTIFIED VIA mysql_native_password USING %s", ("harbor", "10.0.0.21", NEW)),
        ("GRANT DELETE, INSERT, SELECT, UPDATE ON `harbor\\_db`.* TO %s@%s", ("harbor", "10.0.0.21")),
    ]


def test_privileges_alone_are_a_change_and_drift_is_revoked():
    cursor = FakeCursor(
        "10.11.18-MariaDB",
        {"10.0.0.21": mariadb_row(NEW)},
        grants={
            "10.0.0.21": [
                USAGE,
                "GRANT SELECT, INSERT, UPDATE, DELETE, DROP ON `registry`.* TO `harbor`@`10.0.0.21`",
            ]
        },
    )
    result = module_under_test.run(FakeModule(database="registry", privileges=ROWS), cursor)
    assert result["changed"] is True
    assert result["accounts"]["10.0.0.21"]["action"] == "unchanged"
    assert cursor.executed == [("REVOKE DROP ON `registry`.* FROM %s@%s", ("harbor", "10.0.0.21"))]


def test_check_mode_reports_the_grants_and_runs_none():
    cursor = FakeCursor("10.11.18-MariaDB", {"10.0.0.21": mariadb_row(NEW)}, grants={"10.0.0.21": [USAGE]})
    result = module_under_test.run(FakeModule(check_mode=True, database="registry", privileges=ROWS), cursor)
    assert result["changed"] is True
    assert result["accounts"]["10.0.0.21"]["grants"] == [
        "GRANT DELETE, INSERT, SELECT, UPDATE ON `registry`.* TO %s@%s"
    ]
    assert cursor.executed == []


def test_without_a_database_privileges_are_not_read():
    cursor = FakeCursor("10.11.18-MariaDB", {"10.0.0.21": mariadb_row(NEW)}, grants={"10.0.0.21": [USAGE]})
    result = module_under_test.run(FakeModule(), cursor)
    assert "grants" not in result["accounts"]["10.0.0.21"]
    assert result["changed"] is False
