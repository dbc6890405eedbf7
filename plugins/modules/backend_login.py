#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Log in to Harbor's database and Redis from this host, with the given credentials."""

from __future__ import annotations

DOCUMENTATION = r"""
module: backend_login
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Log in to Harbor's database and Redis from this host
description:
  - Logs in, from the host it runs on, to the database and to Redis with the credentials given, as
    Harbor's services do from that host, and reports for each whether the login worked and, when
    not, why. A port that answers is not enough, because a server that refuses the password answers too.
  - The database is MySQL or MariaDB (Harbor 1.1; with PyMySQL, Debian's C(python3-pymysql)) or
    PostgreSQL (Harbor 2.x; with psycopg2, Debian's C(python3-psycopg2), without TLS). Redis is
    logged in to as Harbor 1.1's ui does, with C(AUTH) and the password alone, then C(SELECT) of its
    database, over a plain socket.
  - A refused login is reported, not raised, so that the caller can name the variable that holds the
    wrong value. Changes nothing.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  database:
    description: The database login; omit it to skip the database.
    type: dict
    suboptions:
      type:
        description: The database's protocol.
        type: str
        choices: [mysql, postgresql]
        required: true
      host:
        description: Address of the server.
        type: str
        required: true
      port:
        description: Port of the server.
        type: int
        required: true
      user:
        description: Account.
        type: str
        required: true
      password:
        description: Its password.
        type: str
        required: true
      name:
        description: The database the account opens.
        type: str
        required: true
  redis:
    description: The Redis login; omit it to skip Redis.
    type: dict
    suboptions:
      host:
        description: Address of the server.
        type: str
        required: true
      port:
        description: Port of the server.
        type: int
        required: true
      password:
        description: The password (C(AUTH) without a user name, the default user's).
        type: str
        required: true
      db:
        description: The database index the client selects.
        type: int
        default: 0
  timeout:
    description: Seconds each connection may take.
    type: float
    default: 5
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
requirements:
  - PyMySQL for a MySQL database, psycopg2 for PostgreSQL, on the host it runs on.
"""

EXAMPLES = r"""
- name: Log in to the database and Redis as this node's Harbor will
  harbor_ha.cluster.backend_login:
    database:
      type: mysql
      host: 10.0.0.10
      port: 3306
      user: harbor
      password: "{{ cluster_db_password }}"
      name: registry
    redis:
      host: 10.0.0.12
      port: 6379
      password: "{{ cluster_redis_password }}"
  register: __logins
  no_log: true

- name: Check the database login
  ansible.builtin.assert:
    that: __logins.database.ok
    fail_msg: "The database refused this node ({{ __logins.database.reason }}): {{ __logins.database.error }}"
"""

RETURN = r"""
database:
  description: The database login (absent when O(database) is not given).
  returned: when O(database) is given
  type: dict
  contains:
    ok:
      description: Whether the login worked.
      type: bool
    reason:
      description:
        - Why it did not, or null. One of V(unreachable), V(wrong_password), V(host_not_allowed)
          (the server refuses the address it sees this host at), V(unknown_database),
          V(no_database_grant), V(missing_library), V(refused).
      type: str
    error:
      description: The server's or the library's message, or null.
      type: str
  sample:
    ok: false
    reason: wrong_password
    error: "(1045) Access denied for user 'harbor'@'10.0.0.21' (using password: YES)"
redis:
  description: The Redis login (absent when O(redis) is not given).
  returned: when O(redis) is given
  type: dict
  contains:
    ok:
      description: Whether the login worked.
      type: bool
    reason:
      description: >-
        Why it did not, or null. One of V(unreachable), V(wrong_password), V(no_password) (the server
        requires no password, so this one is not in force), V(refused).
      type: str
    error:
      description: The server's message, or null.
      type: str
  sample: {ok: true, reason: null, error: null}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import backend_login


def run(params: dict) -> dict:
    result = {"changed": False}
    timeout = params["timeout"]
    database = params["database"]
    if database:
        result["database"] = backend_login.database(
            database["type"],
            host=database["host"],
            port=database["port"],
            user=database["user"],
            password=database["password"],
            database=database["name"],
            timeout=timeout,
        )
    redis = params["redis"]
    if redis:
        result["redis"] = backend_login.redis(
            redis["host"], redis["port"], redis["password"], redis["db"], timeout
        )
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "database": {
                "type": "dict",
                "options": {
                    "type": {"type": "str", "choices": ["mysql", "postgresql"], "required": True},
                    "host": {"type": "str", "required": True},
                    "port": {"type": "int", "required": True},
                    "user": {"type": "str", "required": True},
                    "password": {"type": "str", "required": True, "no_log": True},
                    "name": {"type": "str", "required": True},
                },
            },
            "redis": {
                "type": "dict",
                "options": {
                    "host": {"type": "str", "required": True},
                    "port": {"type": "int", "required": True},
                    "password": {"type": "str", "required": True, "no_log": True},
                    "db": {"type": "int", "default": 0},
                },
            },
            "timeout": {"type": "float", "default": 5},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module.params))


if __name__ == "__main__":
    main()
