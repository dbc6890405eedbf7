"""backend_login and mysql_server_version: a refused login is reported with its reason, never
raised; the database libraries' errors map to the reasons the readiness check words."""

import json
import socket
import threading
import types

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.module_utils import backend_login
from ansible_collections.harbor_ha.cluster.plugins.modules import backend_login as login_module
from ansible_collections.harbor_ha.cluster.plugins.modules import mysql_server_version
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.redis_fake import FakeRedis


def run_module(module, capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def fake_pymysql(error=None):
    """PyMySQL's connect and error classes, as far as backend_login uses them."""

    class MySQLError(Exception):
        pass

    class Connection:
        def close(self):
            pass

    def connect(**kwargs):
        if error is not None:
            raise MySQLError(*error)
        return Connection()

    return types.SimpleNamespace(connect=connect, err=types.SimpleNamespace(MySQLError=MySQLError))


def fake_psycopg2(pgcode=None, message=""):
    class Error(Exception):
        def __init__(self, text):
            super().__init__(text)
            self.pgcode = pgcode

    class Connection:
        def close(self):
            pass

    def connect(**kwargs):
        if message:
            raise Error(message)
        return Connection()

    return types.SimpleNamespace(connect=connect, Error=Error)


LOGIN = {"host": "10.0.0.10", "port": 3306, "user": "harbor", "password": "pw", "database": "registry"}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ((1045, "Access denied for user 'harbor'@'10.0.0.21' (using password: YES)"), "wrong_password"),
        ((1130, "Host '10.0.0.99' is not allowed to connect to this MariaDB server"), "host_not_allowed"),
        ((1049, "Unknown database 'registri'"), "unknown_database"),
        ((1044, "Access denied for user 'harbor'@'%' to database 'other'"), "no_database_grant"),
        (
            (2003, "Can't connect to MySQL server on '10.0.0.10' ([Errno 111] Connection refused)"),
            "unreachable",
        ),
        ((1040, "Too many connections"), "refused"),
    ],
)
def test_mysql_refusals_and_their_reasons(monkeypatch, error, reason):
    monkeypatch.setattr(backend_login, "_library", lambda name: fake_pymysql(error))
    result = backend_login.database("mysql", **LOGIN)
    assert result == {"ok": False, "reason": reason, "error": f"({error[0]}) {error[1]}"}


def test_mysql_login_that_works(monkeypatch):
    monkeypatch.setattr(backend_login, "_library", lambda name: fake_pymysql())
    assert backend_login.database("mysql", **LOGIN) == {"ok": True, "reason": None, "error": None}


def test_a_missing_library_is_a_reason_not_a_crash(monkeypatch):
    monkeypatch.setattr(backend_login, "_library", lambda name: None)
    assert backend_login.database("mysql", **LOGIN)["reason"] == "missing_library"
    assert backend_login.database("postgresql", **LOGIN)["reason"] == "missing_library"


@pytest.mark.parametrize(
    ("pgcode", "message", "reason"),
    [
        ("28P01", 'FATAL:  password authentication failed for user "harbor"', "wrong_password"),
        (
            None,
            'connection to server at "10.0.0.10", port 5432 failed: FATAL:  password authentication failed',
            "wrong_password",
        ),
        (
            None,
            'FATAL:  no pg_hba.conf entry for host "10.0.0.99", user "harbor", database "registry"',
            "host_not_allowed",
        ),
        (None, 'FATAL:  database "registry" does not exist', "unknown_database"),
        (None, 'connection to server at "10.0.0.10", port 5432 failed: Connection refused', "unreachable"),
        (None, "FATAL:  sorry, too many clients already", "refused"),
    ],
)
def test_postgresql_refusals_and_their_reasons(monkeypatch, pgcode, message, reason):
    monkeypatch.setattr(backend_login, "_library", lambda name: fake_psycopg2(pgcode, message))
    result = backend_login.database("postgresql", **LOGIN)
    assert (result["ok"], result["reason"]) == (False, reason)


def test_module_reports_both_logins_and_no_password(monkeypatch, capsys):
    monkeypatch.setattr(backend_login, "_library", lambda name: fake_pymysql((1045, "Access denied")))
    redis = FakeRedis(passwords=("redis-secret",))
    try:
        code, result = run_module(
            login_module,
            capsys,
            database={
                "type": "mysql",
                "host": "127.0.0.1",
                "port": 3306,
                "user": "harbor",
                "password": "db-secret",
                "name": "registry",
            },
            redis={"host": "127.0.0.1", "port": redis.port, "password": "redis-secret"},
        )
    finally:
        redis.close()
    assert code == 0
    assert result["changed"] is False
    assert result["database"]["reason"] == "wrong_password"
    assert result["redis"] == {"ok": True, "reason": None, "error": None}
    assert "db-secret" not in json.dumps(result)
    assert "redis-secret" not in json.dumps(result)


def test_server_version_from_a_greeting(capsys):
    greeting = b"\x0a8.4.2\x00" + b"\x00" * 40
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(len(greeting).to_bytes(3, "little") + b"\x00" + greeting)
            conn.recv(1)

    threading.Thread(target=serve, daemon=True).start()
    try:
        code, result = run_module(
            mysql_server_version, capsys, host="127.0.0.1", port=server.getsockname()[1]
        )
    finally:
        server.close()
    assert code == 0
    assert (result["version"], result["flavor"], result["release"]) == ("8.4.2", "mysql", [8, 4, 2])
    assert result["native_password"]["allowed"] is None


def test_server_version_where_nothing_answers(capsys):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    code, result = run_module(mysql_server_version, capsys, host="127.0.0.1", port=port, timeout=2)
    assert code == 1
    assert f"No MySQL or MariaDB greeting from 127.0.0.1:{port}" in result["msg"]
