#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Set the password of Redis' default user at runtime and for the next start."""

from __future__ import annotations

DOCUMENTATION = r"""
module: redis_password
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Set the password of Redis' default user at runtime and for the next start
description:
  - Sets the passwords the C(default) user of the Redis server on this host accepts (the user a
    client's C(AUTH <password>), Harbor's, logs in as) in two places. The running server gets them
    through C(ACL SETUSER), with no restart, so no client loses its connection. A file that
    C(redis.conf) includes (C(include)) gets them for the next start, as one C(user default) line.
  - With O(previous=keep), a new password is added and the ones the server accepted before stay
    valid, so that clients still configured with the old one keep logging in during a rotation.
    With O(previous=drop), only O(password) stays valid. Connections already logged in stay open
    either way (Redis does not log clients out when a password changes).
  - To log in, the module tries O(password), then the password the file holds, then the
    C(requirepass) of O(config_file) (a configuration written before this module managed the
    password), and no password (a fresh server).
  - When no server answers on O(port) (not installed or started yet, or moving to another port),
    only the file is written; its passwords are then the file's own plus O(password).
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
  - ansible.builtin.files
options:
  password:
    description: The password the default user must accept. No line break.
    type: str
    required: true
  previous:
    description:
      - V(keep) keeps valid every password the server accepts now (a rotation in progress).
      - V(drop) leaves O(password) alone valid (the rotation's end).
    type: str
    choices: [keep, drop]
    default: keep
  path:
    description:
      - The file C(redis.conf) includes, holding the C(user default) line; written atomically, only
        when its content changes.
      - It holds O(password) in clear (the module needs it to log in on the next change) and the
        SHA-256 of the previous ones, so give it a private O(mode).
    type: path
    required: true
  config_file:
    description: A C(redis.conf) whose C(requirepass) the module may log in with.
    type: path
  port:
    description: The port of the running server, reached on 127.0.0.1.
    type: int
    default: 6379
  timeout:
    description: Seconds the connection may take.
    type: float
    default: 5
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - Redis 6 or later (ACL). The default user keeps every command, key and channel (C(~* &* +@all)).
"""

EXAMPLES = r"""
- name: Set Redis' password, keeping the previous one until every client uses the new one
  harbor_ha.cluster.redis_password:
    password: "{{ redis_password }}"
    previous: keep
    path: /etc/redis/harbor-ha-users.conf
    config_file: /etc/redis/redis.conf
    port: 6379
    owner: redis
    group: redis
    mode: "0640"
  no_log: true

- name: Forget the previous password once every client uses the new one
  harbor_ha.cluster.redis_password:
    password: "{{ redis_password }}"
    previous: drop
    path: /etc/redis/harbor-ha-users.conf
    owner: redis
    group: redis
    mode: "0640"
  no_log: true
"""

RETURN = r"""
running:
  description: Whether a server answered on O(port) (and was set at runtime).
  returned: always
  type: bool
runtime_changed:
  description: Whether the running server's passwords changed.
  returned: always
  type: bool
file_changed:
  description: Whether the file changed.
  returned: always
  type: bool
previous:
  description: How many passwords other than O(password) stay valid.
  returned: always
  type: int
  sample: 1
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import redis_protocol

HEADER = (
    "# Written by harbor_ha.cluster (module redis_password), included by redis.conf: the passwords\n"
    "# of the default user, which Harbor logs in as. The first in clear, the previous ones (kept\n"
    "# during a rotation) as SHA-256 digests.\n"
)
RULES = ("on", "sanitize-payload", "~*", "&*", "+@all")


def read_file(path: str | None) -> str | None:
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def file_passwords(text: str | None) -> tuple[list[str], list[str]]:
    """The clear passwords (>x) and digests (#h) of the file's `user default` lines."""
    clear, digests = [], []
    for line in (text or "").splitlines():
        try:
            args = redis_protocol.split_args(line)
        except ValueError:
            continue
        if args[:2] == ["user", "default"]:
            clear += [rule[1:] for rule in args[2:] if rule.startswith(">")]
            digests += [rule[1:].lower() for rule in args[2:] if rule.startswith("#")]
    return clear, digests


def requirepass(text: str | None) -> list[str]:
    found = []
    for line in (text or "").splitlines():
        try:
            args = redis_protocol.split_args(line)
        except ValueError:
            continue
        if len(args) == 2 and args[0].lower() == "requirepass" and args[1]:
            found.append(args[1])
    return found


def render(password: str, previous: list[str]) -> str:
    rules = [*RULES, redis_protocol.quote_arg(">" + password), *(f"#{digest}" for digest in previous)]
    return HEADER + "user default " + " ".join(rules) + "\n"


def connect(port: int, timeout: float, candidates: list[str]):
    """A logged-in connection to the local server, or None when none answers; raises
    RuntimeError when it answers and refuses every candidate."""
    try:
        conn = redis_protocol.Connection("127.0.0.1", port, timeout)
    except OSError:
        return None
    try:
        try:
            conn.command("PING")
            return conn
        except redis_protocol.RedisReplyError:
            pass
        for candidate in dict.fromkeys(candidates):
            try:
                conn.command("AUTH", candidate)
                return conn
            except redis_protocol.RedisReplyError:
                continue
    except (OSError, ConnectionError):
        conn.close()
        raise
    conn.close()
    raise RuntimeError(
        f"the Redis server on port {port} accepts none of the passwords the module knows (the new "
        "one, the one in its file, requirepass of config_file): set the one it has in the inventory, "
        "or log in yourself and run ACL SETUSER default"
    )


def run(module: AnsibleModule) -> dict:
    params = module.params
    password, path = params["password"], params["path"]
    if "\n" in password or "\r" in password:
        module.fail_json(msg="password must not contain a line break (a Redis configuration line cannot)")
    new_digest = redis_protocol.password_digest(password)
    text = read_file(path)
    clear, digests = file_passwords(text)
    candidates = [password, *clear, *requirepass(read_file(params["config_file"]))]
    try:
        conn = connect(params["port"], params["timeout"], candidates)
    except (RuntimeError, OSError, ConnectionError) as exc:
        module.fail_json(msg=str(exc))
    result = {"changed": False, "running": conn is not None, "runtime_changed": False, "file_changed": False}
    try:
        if conn is not None:
            user = redis_protocol.acl_user(conn.command("ACL", "GETUSER", "default"))
            accepted = [digest.lower() for digest in user.get("passwords") or []]
            nopass = "nopass" in (user.get("flags") or [])
        else:
            accepted = [*digests, *(redis_protocol.password_digest(value) for value in clear)]
            nopass = False
        kept = [] if params["previous"] == "drop" else [d for d in dict.fromkeys(accepted) if d != new_digest]
        wanted = {new_digest, *kept}
        if conn is not None and (nopass or set(accepted) != wanted):
            result["runtime_changed"] = True
            if not module.check_mode:
                conn.command(
                    "ACL", "SETUSER", "default", "resetpass", *(f"#{d}" for d in [new_digest, *kept])
                )
    finally:
        if conn is not None:
            conn.close()
    content = render(password, kept)
    if content != text:
        result["file_changed"] = True
        if not module.check_mode:
            # mkstemp creates the file 0600: the password is never readable by others, not even
            # between the write and the chmod below.
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".redis_password.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            module.atomic_move(tmp, path)
    result["changed"] = result["runtime_changed"] or result["file_changed"]
    if os.path.exists(path):
        file_args = module.load_file_common_arguments(params)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    result["previous"] = len(kept)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "password": {"type": "str", "required": True, "no_log": True},
            "previous": {"type": "str", "choices": ["keep", "drop"], "default": "keep"},
            "path": {"type": "path", "required": True},
            "config_file": {"type": "path"},
            "port": {"type": "int", "default": 6379},
            "timeout": {"type": "float", "default": 5},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
