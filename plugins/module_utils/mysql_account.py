# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Harbor 1.1's MySQL account: what a server allows, and how its password is set and rotated.

Harbor 1.1's vendored go-sql-driver speaks mysql_native_password only (it predates
caching_sha2_password and answers ErrOldPassword to anything else), so the account is always made
with that plugin, from its hash: the password itself never reaches the server or its logs.
MariaDB 10.4+ can hold several authentications for one account (``IDENTIFIED VIA ... OR ...``):
a rotation keeps the previous hash valid until every Harbor node has restarted with the new
password. The functions here are pure; the modules bring the connection.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
from dataclasses import dataclass

NATIVE = "mysql_native_password"
_HASH = re.compile(r"^\*[0-9A-F]{40}$")


@dataclass(frozen=True)
class Server:
    """A server, from the version string it reports (greeting or SELECT VERSION())."""

    flavor: str  # "mysql" or "mariadb"
    version: tuple[int, int, int]
    text: str

    @property
    def label(self) -> str:
        name = "MariaDB" if self.flavor == "mariadb" else "MySQL"
        return f"{name} {'.'.join(map(str, self.version))}"


def parse_version(text: str) -> Server:
    """MySQL's "8.0.36-0ubuntu0.22.04.1" or "5.7.44-log"; MariaDB's "10.11.6-MariaDB-0+deb12u1",
    also behind the "5.5.5-" that MariaDB 10.x puts in its greeting for old replication clients."""
    flavor = "mariadb" if "mariadb" in text.lower() else "mysql"
    body = text[len("5.5.5-") :] if flavor == "mariadb" and text.startswith("5.5.5-") else text
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", body)
    if not match:
        raise ValueError(f"not a MySQL or MariaDB version: {text!r}")
    return Server(flavor, tuple(int(part) for part in match.groups()), text)


@dataclass(frozen=True)
class Verdict:
    """Whether Harbor 1.1's account can use mysql_native_password on a server: True, False, or
    None when it depends on a setting only a login can read (MySQL 8.4's plugin)."""

    allowed: bool | None
    reason: str


def native_password(server: Server, plugin_status: str | None = None) -> Verdict:
    """May Harbor 1.1's account be made with mysql_native_password here? `plugin_status` is
    information_schema.PLUGINS' PLUGIN_STATUS of mysql_native_password (None: not read)."""
    driver = "the only authentication Harbor 1.1's MySQL driver speaks (it predates caching_sha2_password)"
    if server.flavor == "mariadb":
        verdict = Verdict(True, f"{server.label} always has {NATIVE}")
    elif server.version < (5, 6, 0):
        verdict = Verdict(False, f"{server.label} is older than MySQL 5.6, the oldest the role supports")
    elif server.version < (8, 4, 0):
        verdict = Verdict(True, f"{server.label} has {NATIVE}")
    elif server.version >= (9, 0, 0):
        verdict = Verdict(False, f"{server.label} removed {NATIVE}, {driver}: use MySQL 8.0 or MariaDB")
    elif plugin_status is None:
        verdict = Verdict(
            None,
            f"{server.label} disables {NATIVE} unless it starts with mysql_native_password=ON; "
            "that is known only once the role logs in",
        )
    elif plugin_status == "ACTIVE":
        verdict = Verdict(True, f"{server.label} runs with mysql_native_password=ON")
    else:
        verdict = Verdict(
            False,
            f"{server.label} disables {NATIVE} by default (its plugin is {plugin_status or 'not loaded'}), "
            f"{driver}: start the server with mysql_native_password=ON, or use MySQL 8.0 or MariaDB",
        )
    return verdict


def dual_passwords(server: Server) -> bool:
    """Can one account accept two passwords? MariaDB 10.4+ (IDENTIFIED VIA ... OR ...). MySQL
    8.0.14+ has RETAIN CURRENT PASSWORD, which the role does not use: no MySQL server runs where
    the collection is tested, so on MySQL a rotation has the window of a plain change."""
    return server.flavor == "mariadb" and server.version >= (10, 4, 0)


def native_hash(password: str) -> str:
    """The mysql_native_password hash of a password, as PASSWORD() makes it: *SHA1(SHA1(pw))."""
    inner = hashlib.sha1(password.encode("utf-8")).digest()  # noqa: S324 - the protocol's hash
    return "*" + hashlib.sha1(inner).hexdigest().upper()  # noqa: S324


def is_native_hash(value: str) -> bool:
    return bool(_HASH.match(value or ""))


def state_query(server: Server) -> str:
    """The query that reads an account's authentications (parameters: user, host)."""
    if dual_passwords(server):
        return "SELECT Priv FROM mysql.global_priv WHERE User = %s AND Host = %s"
    return "SELECT * FROM mysql.user WHERE User = %s AND Host = %s"


def authentications(server: Server, row: dict | None) -> list[tuple[str, str]] | None:
    """An account's (plugin, authentication string) pairs, in order, from state_query's row;
    None when the account does not exist."""
    if row is None:
        return None
    if dual_passwords(server):
        priv = json.loads(row["Priv"])
        first = (priv.get("plugin", ""), priv.get("authentication_string", ""))
        # auth_or lists the chain; its {} entry stands for the first method, kept at the top level.
        chain = priv.get("auth_or") or [{}]
        return [
            first if not item else (item.get("plugin", ""), item.get("authentication_string", ""))
            for item in chain
        ]
    plugin = row.get("plugin") or NATIVE
    secret = row.get("authentication_string") or ""
    # MySQL 5.6 and MariaDB before 10.4 keep the native hash in Password (the plugin may be empty).
    if plugin == NATIVE and not secret:
        secret = row.get("Password") or ""
    return [(plugin, secret)]


def wanted_hashes(
    current: list[tuple[str, str]] | None, new_hash: str, keep_previous: bool, server: Server
) -> list[str]:
    """The native hashes the account must accept: the new one first, then (during a rotation, on a
    server that holds several) every native hash it accepts now, in their order."""
    wanted = [new_hash]
    if keep_previous and dual_passwords(server):
        wanted += [secret for plugin, secret in current or [] if plugin == NATIVE and is_native_hash(secret)]
    return list(dict.fromkeys(wanted))


def needs_change(current: list[tuple[str, str]] | None, wanted: list[str]) -> bool:
    if current is None:
        return True
    if any(plugin != NATIVE for plugin, _secret in current):
        return True
    return sorted(secret for _plugin, secret in current) != sorted(wanted)


def statement(server: Server, create: bool, hashes: list[str]) -> tuple[str, list[str]]:
    """The statement that creates the account (create) or sets its authentications, with its
    parameters after the user and host: (sql, [hash...])."""
    verb = "CREATE USER" if create else "ALTER USER"
    if dual_passwords(server):
        chain = " OR ".join([f"{NATIVE} USING %s"] * len(hashes))
        return f"{verb} %s@%s IDENTIFIED VIA {chain}", hashes
    if len(hashes) != 1:
        raise ValueError(f"{server.label} holds one password per account")
    if server.flavor == "mysql" and server.version >= (5, 7, 6):
        return f"{verb} %s@%s IDENTIFIED WITH {NATIVE} AS %s", hashes
    # MySQL 5.6 to 5.7.5 and MariaDB before 10.4 take a hash in these forms (from 5.7.6 on,
    # MySQL reads SET PASSWORD's string as a plain password).
    if create:
        return "CREATE USER %s@%s IDENTIFIED BY PASSWORD %s", hashes
    return "SET PASSWORD FOR %s@%s = %s", hashes


# Privileges: the account holds exactly the privileges it is given on its database, and nothing
# else (no global privilege but USAGE, nothing on another database, table or column). Read with
# SHOW GRANTS (every server prints it; information_schema differs between them).
_GRANT_LINE = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<object>\S+) TO \S+?@\S+(?P<rest>.*)$", re.S)
USAGE = "USAGE"
ALL = "ALL PRIVILEGES"
GRANT_OPTION = "GRANT OPTION"


def privilege_names(privileges: list[str]) -> frozenset[str]:
    """Privilege names as SHOW GRANTS prints them: upper case, single spaces, ALL as
    ALL PRIVILEGES, GRANT (as community.mysql.mysql_user takes it) as GRANT OPTION."""
    names = set()
    for privilege in privileges:
        name = " ".join(privilege.split()).upper()
        if not name:
            continue
        names.add({"ALL": ALL, "GRANT": GRANT_OPTION}.get(name, name))
    return frozenset(names)


def database_object(database: str) -> str:
    """A database as GRANT names it and SHOW GRANTS prints it: quoted, its LIKE wildcards escaped
    (an unescaped _ would grant every database whose name matches the pattern)."""
    escaped = database.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    return "`" + escaped.replace("`", "``") + "`.*"


def parse_grants(lines: list[str]) -> dict[str, frozenset[str]]:
    """The account's privileges by object, from SHOW GRANTS. A line this cannot read (column
    privileges, a role, a proxy) is kept under its own text with no name, so that it counts as a
    privilege beyond the wanted ones."""
    grants: dict[str, set[str]] = {}
    for line in lines:
        match = _GRANT_LINE.match(line.strip())
        if not match:
            if line.strip().startswith("GRANT "):
                grants.setdefault(line.strip(), set())
            continue
        privs, obj, rest = match.group("privs"), match.group("object"), match.group("rest")
        if "(" in privs or privs.strip().upper() == "PROXY":
            grants.setdefault(line.strip(), set())
            continue
        names = set(privilege_names(privs.split(",")))
        if "WITH GRANT OPTION" in rest.upper():
            names.add(GRANT_OPTION)
        grants.setdefault(obj, set()).update(names)
    return {obj: frozenset(names) for obj, names in grants.items()}


def grant_statements(grants: dict[str, frozenset[str]], database: str, wanted: frozenset[str]) -> list[str]:
    """The statements (parameters: user, host) that leave the account with exactly `wanted` on
    `database`, from what parse_grants read; none when it holds that already. Missing privileges
    are granted before any is revoked, so that the account never lacks one it keeps."""
    target = database_object(database)
    held = grants.get(target, frozenset())
    # A literal % in a statement is %% (the driver formats the user and host into it).
    target_sql = target.replace("%", "%%")
    others = {
        obj: names
        for obj, names in grants.items()
        if obj != target and not (obj == "*.*" and names <= {USAGE})
    }
    statements = []
    plain = sorted(wanted - {GRANT_OPTION})
    if (wanted - held) and plain:
        option = " WITH GRANT OPTION" if GRANT_OPTION in wanted else ""
        statements.append(f"GRANT {', '.join(plain)} ON {target_sql} TO %s@%s{option}")
    elif GRANT_OPTION in wanted - held:
        statements.append(f"GRANT USAGE ON {target_sql} TO %s@%s WITH GRANT OPTION")
    surplus = held - wanted - {USAGE}
    if ALL in surplus:
        # ALL PRIVILEGES is one line; what is wanted is granted again after its revoke.
        statements.append(f"REVOKE ALL PRIVILEGES ON {target_sql} FROM %s@%s")
        if plain:
            statements.append(f"GRANT {', '.join(plain)} ON {target_sql} TO %s@%s")
        surplus = surplus & {GRANT_OPTION}
    plain_surplus = sorted(surplus - {GRANT_OPTION})
    if plain_surplus:
        statements.append(f"REVOKE {', '.join(plain_surplus)} ON {target_sql} FROM %s@%s")
    if GRANT_OPTION in surplus:
        statements.append(f"REVOKE GRANT OPTION ON {target_sql} FROM %s@%s")
    for obj, names in sorted(others.items()):
        if not names or "." not in obj:
            # A line parse_grants could not read: every privilege of the account goes, then what
            # is wanted comes back.
            statements.append("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s")
            if plain:
                option = " WITH GRANT OPTION" if GRANT_OPTION in wanted else ""
                statements.append(f"GRANT {', '.join(plain)} ON {target_sql} TO %s@%s{option}")
            break
        extra = sorted(names - {USAGE, GRANT_OPTION})
        obj_sql = obj.replace("%", "%%")
        if extra:
            revoked = ALL if ALL in names else ", ".join(extra)
            statements.append(f"REVOKE {revoked} ON {obj_sql} FROM %s@%s")
        if GRANT_OPTION in names:
            statements.append(f"REVOKE GRANT OPTION ON {obj_sql} FROM %s@%s")
    return statements


# The greeting a server sends before any login (protocol 10): its version comes first.
def parse_greeting(packet: bytes) -> str:
    """The server version of a greeting payload (without its 4-byte header)."""
    if not packet:
        raise ValueError("empty greeting")
    if packet[0] == 0xFF:
        code = struct.unpack("<H", packet[1:3])[0] if len(packet) >= 3 else 0
        message = packet[3:].decode("utf-8", "replace")
        # A SQL state ("#HY000") follows the code only once the client has said it speaks 4.1.
        message = message[6:] if message.startswith("#") else message
        raise ValueError(f"the server refused the connection (error {code}): {message}")
    if packet[0] != 10:
        raise ValueError(f"not a MySQL protocol 10 greeting (protocol {packet[0]})")
    end = packet.find(b"\0", 1)
    if end < 0:
        raise ValueError("a greeting without a version")
    return packet[1:end].decode("ascii", "replace")


def read_greeting(host: str, port: int, unix_socket: str = "", timeout: float = 5.0) -> str:
    """Connect (TCP, or the unix socket when given) and return the version the server greets
    with; it logs no one in and closes the connection."""
    if unix_socket:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(timeout)
        try:
            conn.connect(unix_socket)
        except OSError:
            conn.close()
            raise
    else:
        conn = socket.create_connection((host, port), timeout=timeout)
    with conn:
        header = _read_exactly(conn, 4)
        length = int.from_bytes(header[:3], "little")
        return parse_greeting(_read_exactly(conn, length))


def _read_exactly(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection before its greeting")
        data += chunk
    return data
