#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Read a MySQL or MariaDB server's version from its greeting, without logging in."""

from __future__ import annotations

DOCUMENTATION = r"""
module: mysql_server_version
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Read a MySQL or MariaDB server's version without logging in
description:
  - Connects to the server, reads the version it announces in the greeting it sends before any
    login, and closes the connection. No credentials and no client library are needed, so it can
    run before anything is installed (a playbook's preflight).
  - Also says whether Harbor 1.1's account can use C(mysql_native_password), the only method its
    MySQL driver speaks. The server's version decides that, except on MySQL 8.4, where only a login
    can tell whether the server started with C(mysql_native_password=ON).
  - A connection closed without a login counts towards the server's C(max_connect_errors) for the
    address it comes from. Read it where a real login follows from the same place (a run of the
    mysql role logs in there), which clears the count.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  host:
    description: The server's address (when O(unix_socket) is empty).
    type: str
    default: localhost
  port:
    description: The server's port.
    type: int
    default: 3306
  unix_socket:
    description: The server's unix socket; used instead of O(host) when set.
    type: path
    default: ""
  timeout:
    description: Seconds the connection may take.
    type: float
    default: 5
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the existing server's version
  harbor_ha.cluster.mysql_server_version:
    unix_socket: /run/mysqld/mysqld.sock
  register: __server

- name: Refuse a server where Harbor 1.1 cannot log in
  ansible.builtin.assert:
    that: __server.native_password.allowed is not false
    fail_msg: "{{ __server.native_password.reason }}"
"""

RETURN = r"""
version:
  description: The version string of the greeting.
  returned: always
  type: str
  sample: 5.5.5-10.11.6-MariaDB-0+deb12u1
flavor:
  description: V(mysql) or V(mariadb).
  returned: always
  type: str
release:
  description: The release as three numbers.
  returned: always
  type: list
  elements: int
  sample: [10, 11, 6]
native_password:
  description:
    - Whether Harbor 1.1's account can use C(mysql_native_password) there (C(allowed) true or
      false, or null when only a login can tell), and why.
  returned: always
  type: dict
  sample: {allowed: false, reason: MySQL 9.1.0 removed mysql_native_password ...}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import mysql_account


def run(params: dict) -> dict:
    text = mysql_account.read_greeting(
        params["host"], params["port"], params["unix_socket"], params["timeout"]
    )
    server = mysql_account.parse_version(text)
    verdict = mysql_account.native_password(server)
    return {
        "changed": False,
        "version": text,
        "flavor": server.flavor,
        "release": list(server.version),
        "native_password": {"allowed": verdict.allowed, "reason": verdict.reason},
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "host": {"type": "str", "default": "localhost"},
            "port": {"type": "int", "default": 3306},
            "unix_socket": {"type": "path", "default": ""},
            "timeout": {"type": "float", "default": 5},
        },
        supports_check_mode=True,
    )
    where = module.params["unix_socket"] or f"{module.params['host']}:{module.params['port']}"
    try:
        module.exit_json(**run(module.params))
    except (OSError, ConnectionError, ValueError) as exc:
        module.fail_json(msg=f"No MySQL or MariaDB greeting from {where}: {exc}")


if __name__ == "__main__":
    main()
