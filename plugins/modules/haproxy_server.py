#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Take a server out of HAProxy's rotation and put it back, in every backend that has it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_server
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Drain a server at HAProxy and put it back, in every backend that has it
description:
  - Works through HAProxy's admin socket on the server of that name in every backend that has it
    (the servers of one Harbor node), so that a node leaves and rejoins all of them together.
  - V(drained) sets the server to C(drain) (no new requests, those in flight go on), waits up to
    O(drain_timeout) seconds until its current sessions have ended, then sets it to C(maint). A
    timeout does not fail the module; it goes on to C(maint), warns and returns the sessions
    that were still open (RV(sessions_cut)), which the restart that follows cuts.
  - V(ready) first points the server at O(address) and O(port) (the runtime API's C(set server
    addr), which needs no reload), then sets it to C(ready) and waits until it passes its health
    checks (C(UP)) within O(timeout) seconds; it fails naming the status reached otherwise.
  - A server that no backend has (a node the configuration does not list yet) is left alone;
    RV(present) is then false.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  socket:
    description: Path of HAProxy's admin socket (C(stats socket ... level admin)).
    type: path
    default: /run/haproxy/admin.sock
  name:
    description: The server's name, the same in every backend.
    type: str
    required: true
  state:
    description: V(drained) takes it out of rotation, V(ready) puts it back.
    type: str
    required: true
    choices: [drained, ready]
  drain_timeout:
    description:
      - With V(drained), seconds the server's sessions have to end before it goes to maintenance
        anyway.
    type: int
    default: 60
  address:
    description: With V(ready), the IP address to point the server at first; requires O(port).
    type: str
  port:
    description: With V(ready), the port to point the server at first; requires O(address).
    type: int
  timeout:
    description: With V(ready), seconds the server has to pass its health checks.
    type: int
    default: 120
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Drain the node at the load balancer, 60 s at most
  harbor_ha.cluster.haproxy_server:
    name: harbor1
    state: drained
    drain_timeout: 60
  delegate_to: lb1

- name: Put the node back at its new port
  harbor_ha.cluster.haproxy_server:
    name: harbor1
    state: ready
    address: 10.0.0.11
    port: 8070
    timeout: 120
  delegate_to: lb1
"""

RETURN = r"""
present:
  description: Whether any backend has a server of that name.
  returned: always
  type: bool
backends:
  description: The backends that have the server.
  returned: always
  type: list
  elements: str
  sample: [be_harbor_pull, be_harbor_token, be_harbor_read, be_harbor_write]
sessions_cut:
  description:
    - With V(drained), the sessions still open per backend when O(drain_timeout) was reached;
      empty when every session ended in time.
  returned: always
  type: dict
  sample: {be_harbor_write: 1}
drain_seconds:
  description: With V(drained), how long the sessions took to end (or the timeout).
  returned: always
  type: float
servers:
  description: The server in each backend afterwards, as M(harbor_ha.cluster.haproxy_servers_info) lists them.
  returned: always
  type: list
  elements: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils.haproxy_socket import (
    HAProxySocketError,
    command,
    parse_stat,
    servers,
)

POLL_SECONDS = 0.5
# What the admin states look like in `show stat` (a tracking server adds " (via be/srv)").
OUT_OF_ROTATION = ("MAINT", "DRAIN")
# In rotation: passing its checks, or a server without checks.
HEALTHY = ("UP", "no check")


def endpoint(address: str, port: int) -> str:
    """`show stat`'s addr column for an address and port."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


class Server:
    """One server name across the backends of one HAProxy."""

    def __init__(self, module: AnsibleModule):
        self.module = module
        self.socket = module.params["socket"]
        self.name = module.params["name"]

    def rows(self) -> list[dict]:
        found = servers(parse_stat(command(self.socket, "show stat")))
        return [s for s in found if s["name"] == self.name]

    def send(self, line: str, accepted: tuple[str, ...] = ()) -> None:
        """Send a command whose answer is empty, or starts with one of `accepted`."""
        answer = command(self.socket, line).strip()
        if answer and not answer.startswith(accepted):
            raise HAProxySocketError(f"`{line}`: {answer}")

    def set_state(self, rows: list[dict], state: str) -> None:
        for row in rows:
            self.send(f"set server {row['backend']}/{self.name} state {state}")

    def drain(self, rows: list[dict]) -> dict:
        if all(r["status"].startswith("MAINT") for r in rows):
            return {"changed": False, "sessions_cut": {}, "drain_seconds": 0.0}
        if self.module.check_mode:
            return {"changed": True, "sessions_cut": {}, "drain_seconds": 0.0}
        timeout = self.module.params["drain_timeout"]
        start = time.monotonic()
        self.set_state(rows, "drain")
        while True:
            current = self.rows()
            open_sessions = {r["backend"]: r["sessions_current"] for r in current if r["sessions_current"]}
            if not open_sessions or time.monotonic() - start >= timeout:
                break
            time.sleep(POLL_SECONDS)
        seconds = round(time.monotonic() - start, 1)
        self.set_state(current, "maint")
        if open_sessions:
            cut = ", ".join(f"{count} in {backend}" for backend, count in sorted(open_sessions.items()))
            self.module.warn(
                f"{self.name} still had {sum(open_sessions.values())} session(s) open after "
                f"{timeout} s of draining ({cut}): it goes on to restart, and those requests are cut."
            )
        return {"changed": True, "sessions_cut": open_sessions, "drain_seconds": seconds}

    def ready(self, rows: list[dict]) -> dict:
        address, port = self.module.params["address"], self.module.params["port"]
        moved = [r for r in rows if address and r["address"] != endpoint(address, port)]
        resting = [r for r in rows if r["status"].startswith(OUT_OF_ROTATION)]
        if not (moved or resting):
            return {"changed": False}
        if self.module.check_mode:
            return {"changed": True}
        for row in moved:
            self.send(
                f"set server {row['backend']}/{self.name} addr {address} port {port}",
                accepted=("IP changed from", "port changed from", "no need to change"),
            )
        self.set_state(rows, "ready")
        self.wait_up()
        return {"changed": True}

    def wait_up(self) -> None:
        timeout = self.module.params["timeout"]
        deadline = time.monotonic() + timeout
        while True:
            pending = {r["backend"]: r["status"] for r in self.rows() if r["status"] not in HEALTHY}
            if not pending:
                return
            if time.monotonic() >= deadline:
                self.module.fail_json(
                    msg=f"{self.name} did not pass its health checks within {timeout} s: {pending}"
                )
            time.sleep(POLL_SECONDS)


def run(module: AnsibleModule) -> dict:
    server = Server(module)
    try:
        rows = server.rows()
        result = {"present": bool(rows), "backends": [r["backend"] for r in rows]}
        result |= {"changed": False, "sessions_cut": {}, "drain_seconds": 0.0}
        if rows:
            result |= server.drain(rows) if module.params["state"] == "drained" else server.ready(rows)
            result["servers"] = server.rows()
        else:
            result["servers"] = []
        return result
    except HAProxySocketError as exc:
        module.fail_json(msg=str(exc))


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "default": "/run/haproxy/admin.sock"},
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "required": True, "choices": ["drained", "ready"]},
            "drain_timeout": {"type": "int", "default": 60},
            "address": {"type": "str"},
            "port": {"type": "int"},
            "timeout": {"type": "int", "default": 120},
        },
        required_together=[("address", "port")],
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
