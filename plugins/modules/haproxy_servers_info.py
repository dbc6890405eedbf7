#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Read the state of HAProxy's backend servers from its admin socket."""

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_servers_info
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: Read the state of HAProxy's backend servers
description:
  - Sends C(show stat) to HAProxy's admin socket and returns every server (or those of one
    backend) with its status (V(UP), V(DOWN), V(MAINT), V(DRAIN), V(NOLB), transitional states
    such as V(UP 1/2)), last health-check result and traffic counters.
  - Optionally waits until given servers reach a status, which is how a rolling restart knows a
    node is back in service.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  socket:
    description: Path of HAProxy's admin socket (C(stats socket ... level admin)).
    type: path
    default: /run/haproxy/admin.sock
  backend:
    description: Only the servers of this backend.
    type: str
  wait_for:
    description:
      - Server names that must reach O(wait_status) before the module returns.
    type: list
    elements: str
    default: []
  wait_status:
    description: The status the servers in O(wait_for) must reach.
    type: str
    default: UP
  timeout:
    description: Seconds to wait for O(wait_for).
    type: int
    default: 60
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the Harbor backend's servers
  harbor_ha.cluster.haproxy_servers_info:
    backend: be_harbor_pull
  register: __servers

- name: Wait until a restarted node is back in service
  harbor_ha.cluster.haproxy_servers_info:
    backend: be_harbor_pull
    wait_for: [harbor1]
    timeout: 120
"""

RETURN = r"""
servers:
  description: The servers, in HAProxy's order.
  returned: always
  type: list
  elements: dict
  sample:
    - {backend: be_harbor_pull, name: harbor1, address: "10.0.0.11:8060", status: UP, check: L7OK,
       last_change_s: 42, sessions_current: 0, sessions_total: 120, retries: 0, redispatches: 0}
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils.haproxy_socket import (
    HAProxySocketError,
    command,
    parse_stat,
    servers,
)


def read(params: dict) -> list[dict]:
    return servers(parse_stat(command(params["socket"], "show stat")), params["backend"])


def run(module: AnsibleModule) -> dict:
    params = module.params
    deadline = time.monotonic() + params["timeout"]
    try:
        found = read(params)
        names = {s["name"] for s in found}
        unknown = sorted(set(params["wait_for"]) - names)
        if unknown:
            module.fail_json(msg=f"no server named {unknown} (servers: {sorted(names)})", servers=found)
        while True:
            pending = [
                s for s in found if s["name"] in params["wait_for"] and s["status"] != params["wait_status"]
            ]
            if not pending:
                return {"changed": False, "servers": found}
            if time.monotonic() >= deadline:
                states = {s["name"]: s["status"] for s in pending}
                wanted, seconds = params["wait_status"], params["timeout"]
                module.fail_json(
                    msg=f"servers did not reach {wanted} within {seconds} s: {states}", servers=found
                )
            time.sleep(0.5)
            found = read(params)
    except HAProxySocketError as exc:
        module.fail_json(msg=str(exc))


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "default": "/run/haproxy/admin.sock"},
            "backend": {"type": "str"},
            "wait_for": {"type": "list", "elements": "str", "default": []},
            "wait_status": {"type": "str", "default": "UP"},
            "timeout": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
