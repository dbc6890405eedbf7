#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Pause and reopen writes at HAProxy: an ACL file toggled at runtime and on disk."""

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_write_pause
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Pause writes at HAProxy, or reopen them, without a reload
description:
  - The load balancer's configuration answers writes with 503 while the ACL loaded from O(acl_file)
    holds the word C(paused) (the loadbalancer role writes that rule). This module adds the word
    to the running ACL through the admin socket (C(add acl)) and writes it to O(acl_file), or
    clears both (C(clear acl)).
  - The running ACL takes effect at once, with no reload; the file keeps the pause across a reload
    or restart of HAProxy (one made by a site.yml run in the middle of a backup, say).
  - Reports a change when either the running ACL or the file was not yet as asked.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  socket:
    description: Path of HAProxy's admin socket (C(stats socket ... level admin)).
    type: path
    default: /run/haproxy/admin.sock
  acl_file:
    description: The file the configuration loads the pause ACL from (C(acl ... -f FILE)).
    type: path
    required: true
  state:
    description: V(paused) answers writes with 503, V(open) lets them through.
    type: str
    required: true
    choices: [paused, open]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Pause writes at the load balancer
  harbor_ha.cluster.haproxy_write_pause:
    acl_file: /etc/haproxy/write-pause.acl
    state: paused
  delegate_to: lb1

- name: Reopen writes
  harbor_ha.cluster.haproxy_write_pause:
    acl_file: /etc/haproxy/write-pause.acl
    state: open
  delegate_to: lb1
"""

RETURN = r"""
was_paused:
  description: Whether the running HAProxy paused writes before the module ran.
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils.haproxy_socket import (
    HAProxySocketError,
    command,
)

WORD = "paused"


def running_entries(socket: str, acl_file: str) -> list[str]:
    """The patterns of the running ACL loaded from `acl_file` (`show acl FILE`: "0xID PATTERN")."""
    answer = command(socket, f"show acl {acl_file}")
    if answer.startswith("Unknown ACL"):
        raise HAProxySocketError(
            f"HAProxy has no ACL loaded from {acl_file}: its configuration predates the write pause;"
            " run the loadbalancer role (site.yml --tags loadbalancer) first"
        )
    return [line.split(maxsplit=1)[1] for line in answer.splitlines() if len(line.split(maxsplit=1)) == 2]


def file_entries(acl_file: str) -> list[str]:
    try:
        with open(acl_file, encoding="utf-8") as handle:
            return [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    except FileNotFoundError:
        return []


def send(socket: str, line: str) -> None:
    answer = command(socket, line).strip()
    if answer and answer != "Done.":
        raise HAProxySocketError(f"`{line}`: {answer}")


def run(module: AnsibleModule) -> dict:
    socket, acl_file = module.params["socket"], module.params["acl_file"]
    paused = module.params["state"] == "paused"
    try:
        running = WORD in running_entries(socket, acl_file)
        on_disk = WORD in file_entries(acl_file)
        changed = running != paused or on_disk != paused
        if changed and not module.check_mode:
            # The file first: a reload between the two steps keeps what was asked.
            if on_disk != paused:
                tmp = f"{acl_file}.tmp"
                with open(tmp, "w", encoding="utf-8") as handle:
                    handle.write(f"{WORD}\n" if paused else "")
                os.chmod(tmp, 0o644)
                os.replace(tmp, acl_file)
            if running != paused:
                send(socket, f"add acl {acl_file} {WORD}" if paused else f"clear acl {acl_file}")
                if (WORD in running_entries(socket, acl_file)) != paused:
                    state = module.params["state"]
                    module.fail_json(msg=f"HAProxy's running ACL {acl_file} did not change to {state}")
        return {"changed": changed, "was_paused": running}
    except (HAProxySocketError, OSError) as exc:
        module.fail_json(msg=str(exc))


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "default": "/run/haproxy/admin.sock"},
            "acl_file": {"type": "path", "required": True},
            "state": {"type": "str", "required": True, "choices": ["paused", "open"]},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
