"""Hosts, fixtures and SQL helpers of the postgresql scenario."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import subprocess

from bedhelpers import ANSI, host_fixture, scenario_fixtures

CONVERGE = "molecule/postgresql/converge.yml"
# The inventory's test fixtures (passwords, the pool size).
FIXTURES = scenario_fixtures()
DB = "postgresql-db"
NODE = "postgresql-node"
OUTSIDER = "postgresql-outsider"
DB_ADDRESS = "10.201.8.10"
NODE_ADDRESS = "10.201.8.11"
OUTSIDER_ADDRESS = "10.201.8.12"
PORT = FIXTURES["cluster_db_port"]
DATABASE = "registry"
HARBOR = "harbor"
HARBOR_PASSWORD = FIXTURES["cluster_db_password"]
ADMIN_PASSWORD = FIXTURES["postgresql_admin_password"]
# The derivation the role's README documents: each node's pools (core, jobservice, exporter)
# and core's migrator, then the superusers' reserve (3) and the role's own connection.
NODES = 1
MAX_CONNECTIONS = NODES * (3 * FIXTURES["cluster_db_max_open_conns"] + 1) + 3 + 1
SETTINGS_FILE = "/etc/postgresql/15/main/conf.d/90-harbor-ha.conf"
HBA_FILE = "/etc/postgresql/15/main/pg_hba.conf"
IDENT_FILE = "/etc/postgresql/15/main/pg_ident.conf"


def secret_marker(value: str) -> str:
    """The distinctive part of a test secret: no playbook output may contain it."""
    return re.match(r"fixture-[a-z]+-[0-9A-Za-z]+", value).group(0)


SECRET_MARKERS = [secret_marker(HARBOR_PASSWORD), secret_marker(ADMIN_PASSWORD)]


db = host_fixture(DB, "postgresql-")
node = host_fixture(NODE, "postgresql-")
outsider = host_fixture(OUTSIDER, "postgresql-")


def admin_sql(db, statement: str) -> str:
    """SQL as postgres on the database host, through the unix socket (Debian's own peer login)."""
    return db.check_output(
        "runuser -u postgres -- psql -X --no-align --tuples-only --field-separator='|' -p %s -c %s",
        str(PORT),
        statement,
    )


def harbor_sql(host, statement: str, *, password: str = HARBOR_PASSWORD, database: str = DATABASE):
    """SQL as Harbor's account from `host` over the network, as harbor-core connects (no TLS);
    returns testinfra's result."""
    return host.run(
        "PGPASSWORD=%s PGSSLMODE=disable PGCONNECT_TIMEOUT=5 psql -X --no-align --tuples-only"
        " -h %s -p %s -U %s -d %s -c %s",
        password,
        DB_ADDRESS,
        str(PORT),
        HARBOR,
        database,
        statement,
    )


def server_times(db) -> tuple[str, str]:
    """When the server started, and when it last read its configuration files (a reload)."""
    start, loaded = admin_sql(db, "SELECT pg_postmaster_start_time(), pg_conf_load_time()").split("|")
    return start, loaded


def harbor_hba_entries(db) -> list[tuple[str, str, str, str]]:
    """Harbor's entries (connection type, address, netmask, method) in the pg_hba.conf the
    server has loaded, in their order."""
    rows = admin_sql(
        db,
        "SELECT type, address, netmask, auth_method FROM pg_hba_file_rules"
        f" WHERE database = '{{{DATABASE}}}' AND user_name = '{{{HARBOR}}}' ORDER BY line_number",
    )
    return [tuple(row.split("|")) for row in rows.splitlines()]


def scram_verifies(verifier: str, password: str) -> bool:
    """Whether a SCRAM-SHA-256 verifier (pg_authid.rolpassword) holds `password` (RFC 5802)."""
    match = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", verifier)
    assert match, verifier
    iterations, salt, stored_key, _ = match.groups()
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).digest() == base64.b64decode(stored_key)


def managed_state(db) -> dict[str, str]:
    """What a run that must change nothing may not touch: the role's files, Harbor's account and
    database, and the server's start and configuration load times."""
    return {
        "files": db.check_output(f"sha256sum {SETTINGS_FILE} {HBA_FILE} {IDENT_FILE}"),
        "roles": admin_sql(db, "SELECT rolname, rolpassword FROM pg_authid ORDER BY rolname"),
        "databases": admin_sql(db, "SELECT datname, datdba FROM pg_database ORDER BY datname"),
        "times": "|".join(server_times(db)),
    }


def output(result: subprocess.CompletedProcess) -> str:
    return ANSI.sub("", result.stdout + result.stderr)


def assert_no_secret(result: subprocess.CompletedProcess, *values: str) -> None:
    """Neither the inventory's secrets nor `values` appear anywhere in the run's output."""
    text = output(result)
    leaked = [marker for marker in [*SECRET_MARKERS, *values] if marker in text]
    assert not leaked, f"secrets in the output: {leaked}"
