#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""A MySQL/MariaDB account that logs in with mysql_native_password, rotated without a window."""

from __future__ import annotations

DOCUMENTATION = r"""
module: mysql_native_account
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: A MySQL or MariaDB account with mysql_native_password, rotated without a window
description:
  - Creates an account at each of O(hosts), or sets its password, with the C(mysql_native_password)
    plugin, the only one Harbor 1.1's MySQL driver speaks (it predates C(caching_sha2_password)).
    The account is written from the password's hash, so the password itself never reaches the
    server, its logs or its process list.
  - Refuses, before any change, a server where that plugin is not available (MySQL 8.4 started
    without C(mysql_native_password=ON), MySQL 9), with the reason.
  - With O(previous=keep) on MariaDB 10.4 or later, a new password is added and every password
    the account accepts now stays valid (C(IDENTIFIED VIA mysql_native_password USING ... OR ...)),
    so that clients still configured with the old one keep logging in while a rotation is under way. With
    O(previous=drop), only O(password) stays valid. Other servers hold one password per account,
    and there the new one replaces the old at once.
  - With O(database) and O(privileges), each of those accounts holds exactly O(privileges) on
    O(database) and nothing else. Missing privileges are granted (before any is revoked), and
    privileges beyond them are revoked, global ones (all but C(USAGE)) and those on another
    database, a table or a column included. The account and its privileges at every host take one
    module run.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  name:
    description: The account's user name.
    type: str
    required: true
  hosts:
    description: The hosts (addresses) the account is made at, one account each.
    type: list
    elements: str
    required: true
  password:
    description: The password every one of those accounts must accept.
    type: str
    required: true
  previous:
    description:
      - V(keep) keeps valid the passwords the account accepts now (a rotation under way; MariaDB
        10.4 or later).
      - V(drop) leaves O(password) alone valid (the rotation's end).
    type: str
    choices: [keep, drop]
    default: keep
  create:
    description: Create the account where it does not exist; V(false) leaves a missing one missing.
    type: bool
    default: true
  database:
    description:
      - The database the accounts get O(privileges) on, by its name (its C(_) and C(%) are
        escaped in the grant, which then names this database only).
      - Omitted, the accounts' privileges are left as they are.
    type: str
    version_added: 0.2.0
  privileges:
    description:
      - The privileges on O(database), as GRANT names them (C(SELECT), C(CREATE TEMPORARY TABLES),
        C(ALL)). C(GRANT) stands for the grant option.
      - Required with O(database).
    type: list
    elements: str
    version_added: 0.2.0
  login_user:
    description: The account the module logs in as (CREATE USER, and SELECT on the mysql database).
    type: str
    required: true
  login_password:
    description: Its password.
    type: str
    default: ""
  login_host:
    description: The server's address (when O(login_unix_socket) is empty).
    type: str
    default: localhost
  login_port:
    description: The server's port.
    type: int
    default: 3306
  login_unix_socket:
    description: The server's unix socket; used instead of O(login_host) when set.
    type: path
    default: ""
  connect_timeout:
    description: Seconds the connection may take.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
requirements:
  - PyMySQL (Debian's C(python3-pymysql)) on the host it runs on.
"""

EXAMPLES = r"""
- name: Harbor's account at every node's address, keeping the previous password during a rotation
  harbor_ha.cluster.mysql_native_account:
    name: harbor
    hosts: [10.0.0.21, 10.0.0.22]
    password: "{{ cluster_db_password }}"
    previous: keep
    login_user: root
    login_password: "{{ mysql_admin_password }}"
    login_unix_socket: /run/mysqld/mysqld.sock
    database: registry
    privileges: [SELECT, INSERT, UPDATE, DELETE]
  no_log: true
"""

RETURN = r"""
server:
  description: The server's version string.
  returned: always
  type: str
  sample: 10.11.6-MariaDB-0+deb12u1
dual_passwords:
  description: Whether the server holds several passwords per account (MariaDB 10.4 or later).
  returned: always
  type: bool
accounts:
  description:
    - For each host, what was done (V(created), V(changed), V(unchanged), or V(absent) with
      O(create=false)), how many previous passwords stay valid, and (with O(database)) the
      statements that set its privileges, empty when it held them already.
  returned: always
  type: dict
  sample: {10.0.0.21: {action: changed, previous: 1, grants: ["GRANT SELECT ON `registry`.* TO %s@%s"]}}
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.harbor_ha.cluster.plugins.module_utils import mysql_account

PYMYSQL_ERROR = None
try:
    import pymysql
    import pymysql.cursors
except ImportError:
    pymysql = None
    PYMYSQL_ERROR = traceback.format_exc()


def connect(params: dict):
    login = {
        "user": params["login_user"],
        "password": params["login_password"],
        "connect_timeout": params["connect_timeout"],
        "cursorclass": pymysql.cursors.DictCursor,
        "autocommit": True,
    }
    if params["login_unix_socket"]:
        login["unix_socket"] = params["login_unix_socket"]
    else:
        login.update(host=params["login_host"], port=params["login_port"])
    return pymysql.connect(**login)


def server_of(cursor) -> tuple[mysql_account.Server, mysql_account.Verdict]:
    cursor.execute("SELECT VERSION() AS version")
    server = mysql_account.parse_version(cursor.fetchone()["version"])
    status = None
    if mysql_account.native_password(server).allowed is None:
        cursor.execute(
            "SELECT PLUGIN_STATUS AS status FROM information_schema.PLUGINS WHERE PLUGIN_NAME = %s",
            (mysql_account.NATIVE,),
        )
        row = cursor.fetchone()
        status = row["status"] if row else ""
    return server, mysql_account.native_password(server, status)


def set_privileges(module: AnsibleModule, cursor, host: str, new: bool) -> list[str]:
    """Leave the account at `host` with exactly its privileges on its database; the statements."""
    params = module.params
    lines = []
    if not new:
        cursor.execute("SHOW GRANTS FOR %s@%s", (params["name"], host))
        lines = [next(iter(row.values())) for row in cursor.fetchall()]
    grants = mysql_account.parse_grants(lines)
    wanted = mysql_account.privilege_names(params["privileges"])
    statements = mysql_account.grant_statements(grants, params["database"], wanted)
    if not module.check_mode:
        for sql in statements:
            cursor.execute(sql, (params["name"], host))
    return statements


def run(module: AnsibleModule, cursor) -> dict:
    params = module.params
    server, verdict = server_of(cursor)
    if not verdict.allowed:
        module.fail_json(
            msg=f"Refusing to make the account {params['name']}: {verdict.reason}.", server=server.text
        )
    new_hash = mysql_account.native_hash(params["password"])
    keep = params["previous"] == "keep"
    plans = {}
    for host in dict.fromkeys(params["hosts"]):
        cursor.execute(mysql_account.state_query(server), (params["name"], host))
        current = mysql_account.authentications(server, cursor.fetchone())
        wanted = mysql_account.wanted_hashes(current, new_hash, keep, server)
        plans[host] = (current, wanted)
    accounts = {}
    for host, (current, wanted) in plans.items():
        action = "unchanged"
        if current is None and not params["create"]:
            accounts[host] = {"action": "absent", "previous": 0}
            continue
        if mysql_account.needs_change(current, wanted):
            action = "created" if current is None else "changed"
            if not module.check_mode:
                sql, hashes = mysql_account.statement(server, current is None, wanted)
                cursor.execute(sql, (params["name"], host, *hashes))
        accounts[host] = {"action": action, "previous": len(wanted) - 1}
        if params["database"] is not None:
            accounts[host]["grants"] = set_privileges(module, cursor, host, current is None)
    return {
        "changed": any(
            account["action"] in ("created", "changed") or account.get("grants")
            for account in accounts.values()
        ),
        "server": server.text,
        "dual_passwords": mysql_account.dual_passwords(server),
        "accounts": accounts,
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "hosts": {"type": "list", "elements": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "previous": {"type": "str", "choices": ["keep", "drop"], "default": "keep"},
            "create": {"type": "bool", "default": True},
            "login_user": {"type": "str", "required": True},
            "login_password": {"type": "str", "default": "", "no_log": True},
            "login_host": {"type": "str", "default": "localhost"},
            "login_port": {"type": "int", "default": 3306},
            "login_unix_socket": {"type": "path", "default": ""},
            "connect_timeout": {"type": "int", "default": 10},
            "database": {"type": "str"},
            "privileges": {"type": "list", "elements": "str"},
        },
        required_together=[("database", "privileges")],
        supports_check_mode=True,
    )
    if pymysql is None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=PYMYSQL_ERROR)
    try:
        conn = connect(module.params)
    except pymysql.err.MySQLError as exc:
        module.fail_json(msg=f"Cannot log in as {module.params['login_user']}: {exc}")
    try:
        with conn.cursor() as cursor:
            result = run(module, cursor)
    except pymysql.err.MySQLError as exc:
        module.fail_json(msg=f"The server refused a statement: {exc}")
    finally:
        conn.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
