# Copyright (c) harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)

"""Harbor 1.1's _REDIS_URL: the session store address its ui hands to beego."""

from __future__ import annotations

DOCUMENTATION = r"""
name: harbor_redis_url
short_description: Build Harbor 1.1's C(_REDIS_URL) session store setting
version_added: 0.1.0
author: harbor_ha.cluster contributors (@harbor-ha)
description:
  - Harbor 1.1's ui keeps its sessions in Redis when the environment variable C(_REDIS_URL) is set.
    beego, the framework it runs on, reads that value as C(host:port,poolsize,password,db) and splits
    it on commas.
  - A password that contains a comma, a line break or a NUL cannot be expressed in that format;
    the filter fails with a message instead of producing a URL that Harbor would cut short.
  - An IPv6 address is put in brackets, as Go's dialer expects.
options:
  _input:
    description: Address (IP or name) of the Redis server, as Harbor's containers reach it.
    type: str
    required: true
  password:
    description: The Redis password (C(requirepass)). Required and not empty.
    type: str
    required: true
  port:
    description: TCP port of the Redis server.
    type: int
    default: 6379
  pool_size:
    description: Connections in beego's pool; beego silently uses its own default for values below 1.
    type: int
    default: 100
  database:
    description: Redis database index for the sessions.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Render the ui environment line
  ansible.builtin.debug:
    msg: "_REDIS_URL={{ '10.0.0.5' | harbor_ha.cluster.harbor_redis_url(password=cluster_redis_password) }}"
  # -> _REDIS_URL=10.0.0.5:6379,100,<password>,0

- name: A second database and a smaller pool
  ansible.builtin.debug:
    msg: >-
      {{ 'fd00::5' | harbor_ha.cluster.harbor_redis_url(password=cluster_redis_password,
                                                        pool_size=20, database=1) }}
  # -> [fd00::5]:6379,20,<password>,1
"""

RETURN = r"""
_value:
  description: The value of C(_REDIS_URL), C(host:port,poolsize,password,db).
  type: str
"""

from ansible.errors import AnsibleFilterError

FORBIDDEN_IN_PASSWORD = {
    ",": "a comma (the format's separator: Harbor would cut the password there)",
    "\n": "a line break (it cannot be written to Harbor's environment file)",
    "\r": "a carriage return (it cannot be written to Harbor's environment file)",
    "\0": "a NUL character",
}


def _integer(name: str, value, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise AnsibleFilterError(f"harbor_redis_url: {name} must be an integer, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"harbor_redis_url: {name} must be an integer, got {value!r}") from None
    if number < minimum or (maximum is not None and number > maximum):
        limit = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise AnsibleFilterError(f"harbor_redis_url: {name} must be {limit}, got {number}")
    return number


def _host(address) -> str:
    if not isinstance(address, str) or not address.strip():
        raise AnsibleFilterError(
            f"harbor_redis_url: the Redis address must be a non-empty string, got {address!r}"
        )
    if address != address.strip() or any(c in address for c in ", \t\r\n/"):
        raise AnsibleFilterError(
            f"harbor_redis_url: {address!r} is not a host name or IP address "
            "(no commas, spaces or slashes; give the address only, the port separately)"
        )
    if ":" in address and not address.startswith("["):
        return f"[{address}]"
    return address


def _password(password) -> str:
    if not isinstance(password, str) or password == "":
        raise AnsibleFilterError(
            "harbor_redis_url: the Redis password is missing or empty; Harbor's sessions must go to a "
            "Redis that requires one (cluster_redis_password)"
        )
    for char, what in FORBIDDEN_IN_PASSWORD.items():
        if char in password:
            raise AnsibleFilterError(
                f"harbor_redis_url: the Redis password contains {what}. Harbor 1.1's _REDIS_URL "
                "(host:port,poolsize,password,db) cannot express it: choose a Redis password "
                "(cluster_redis_password) without it."
            )
    return password


def harbor_redis_url(address, password=None, port=6379, pool_size=100, database=0) -> str:
    """Return `host:port,poolsize,password,db` or raise AnsibleFilterError."""
    host = _host(address)
    port = _integer("port", port, 1, 65535)
    pool_size = _integer("pool_size", pool_size, 1)
    database = _integer("database", database, 0)
    return f"{host}:{port},{pool_size},{_password(password)},{database}"


class FilterModule:
    def filters(self):
        return {"harbor_redis_url": harbor_redis_url}
