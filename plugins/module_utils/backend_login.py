# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Log in to Harbor's database and Redis with a node's credentials, as Harbor's services will.

Each login returns {'ok', 'reason', 'error'} instead of raising: the caller words the failure
after the variable that holds the wrong value. Reasons: 'unreachable', 'wrong_password',
'host_not_allowed' (the server refuses the address it sees the node at), 'unknown_database',
'no_database_grant', 'no_password' (Redis requires none), 'missing_library', 'refused' (other).
"""

from __future__ import annotations

import importlib

from ansible_collections.harbor_ha.cluster.plugins.module_utils import redis_protocol

# MySQL's client and server error codes (include/mysqld_error.h, errmsg.h).
_MYSQL_REASONS = {
    1044: "no_database_grant",
    1045: "wrong_password",
    1049: "unknown_database",
    1130: "host_not_allowed",
    2003: "unreachable",
    2005: "unreachable",
    2013: "unreachable",
}
# PostgreSQL's SQLSTATE codes (errcodes.txt).
_POSTGRESQL_REASONS = {
    "28P01": "wrong_password",
    "28000": "host_not_allowed",
    "3D000": "unknown_database",
    "42501": "no_database_grant",
}


def _library(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def mysql(host: str, port: int, user: str, password: str, database: str, timeout: float = 5.0) -> dict:
    """MySQL/MariaDB with PyMySQL (Debian's python3-pymysql)."""
    pymysql = _library("pymysql")
    if pymysql is None:
        return {
            "ok": False,
            "reason": "missing_library",
            "error": "PyMySQL is not installed (python3-pymysql)",
        }
    try:
        conn = pymysql.connect(
            host=host, port=port, user=user, password=password, database=database, connect_timeout=timeout
        )
    except pymysql.err.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        message = exc.args[1] if len(exc.args) > 1 else str(exc)
        return {"ok": False, "reason": _MYSQL_REASONS.get(code, "refused"), "error": f"({code}) {message}"}
    conn.close()
    return {"ok": True, "reason": None, "error": None}


def postgresql(host: str, port: int, user: str, password: str, database: str, timeout: float = 5.0) -> dict:
    """PostgreSQL with psycopg2 (Debian's python3-psycopg2), without TLS as Harbor connects."""
    psycopg2 = _library("psycopg2")
    if psycopg2 is None:
        return {
            "ok": False,
            "reason": "missing_library",
            "error": "psycopg2 is not installed (python3-psycopg2)",
        }
    try:
        conn = psycopg2.connect(
            host=host,
            port=port,
            user=user,
            password=password,
            dbname=database,
            connect_timeout=max(1, int(timeout)),
            sslmode="disable",
        )
    except psycopg2.Error as exc:
        message = " ".join(str(exc).split())
        reason = _POSTGRESQL_REASONS.get(exc.pgcode)
        if reason is None:
            # libpq reports a refused login before a session as text, without a SQLSTATE.
            if "password authentication failed" in message:
                reason = "wrong_password"
            elif "no pg_hba.conf entry" in message:
                reason = "host_not_allowed"
            elif f'database "{database}" does not exist' in message:
                reason = "unknown_database"
            elif "Connection refused" in message or "timeout expired" in message or "could not" in message:
                reason = "unreachable"
            else:
                reason = "refused"
        return {"ok": False, "reason": reason, "error": message}
    conn.close()
    return {"ok": True, "reason": None, "error": None}


DATABASES = {"mysql": mysql, "postgresql": postgresql}


def database(kind: str, **login) -> dict:
    return DATABASES[kind](**login)


def redis(host: str, port: int, password: str, database: int = 0, timeout: float = 5.0) -> dict:
    return redis_protocol.login(host, port, password, database, timeout)
