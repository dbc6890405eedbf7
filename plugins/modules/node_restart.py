#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Restart a unit that Harbor runs on now, or record the restart for Harbor's restart path."""

from __future__ import annotations

DOCUMENTATION = r"""
module: node_restart
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Restart a unit that Harbor runs on now, or record it for Harbor's restart path
description:
  - For the handlers of the roles whose change takes effect only when a unit restarts that stops
    Harbor on a node (the share's mount unit, the docker engine, Harbor itself).
  - While Harbor's unit runs (or starts) on the node, writes the unit's name to
    O(record_dir)/O(restart) instead of restarting it, for the harbor role's restart path, which
    drains the node at the load balancers and performs the strongest recorded restart, one node
    at a time. The record stays until that restart succeeds, so a failed run leaves it for the
    next one.
  - Where Harbor does not run (a first install, a node out of service), nothing is served that a
    restart could cut, so the share's or the engine's unit restarts now (after a daemon-reload).
    A Harbor restart (O(restart=harbor)) is always recorded; the harbor role starts Harbor.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  restart:
    description:
      - What must restart. A share remount restarts the engine (docker requires the mount), an
        engine restart restarts Harbor (its unit requires docker).
    type: str
    required: true
    choices: [share, engine, harbor]
  unit:
    description: The systemd unit whose restart performs it.
    type: str
    required: true
  record_dir:
    description: Where restarts are recorded, one file per kind holding the unit's name.
    type: path
    default: /var/lib/harbor-ha/pending-restarts
  harbor_unit:
    description: Harbor's systemd unit on the node.
    type: str
    default: harbor.service
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Restart docker
  harbor_ha.cluster.node_restart:
    restart: engine
    unit: docker.service
  listen: Restart docker
"""

RETURN = r"""
restarted:
  description: Whether the unit was restarted now (Harbor does not run on the node).
  returned: always
  type: bool
record:
  description: The file that records the restart, when it was recorded; empty otherwise.
  returned: always
  type: str
  sample: /var/lib/harbor-ha/pending-restarts/engine
harbor_state:
  description: The ActiveState of Harbor's unit (not asked for O(restart=harbor)).
  returned: always
  type: str
  sample: active
"""

import os

from ansible.module_utils.basic import AnsibleModule

# Harbor's unit in these states serves nothing a restart could cut.
NOT_RUNNING = ("inactive", "failed")


def active_state(module: AnsibleModule, systemctl: str, unit: str) -> str:
    rc, out, err = module.run_command([systemctl, "show", unit, "--property=ActiveState", "--value"])
    if rc != 0:
        module.fail_json(msg=f"systemctl show {unit}: {err.strip() or out.strip()}")
    return out.strip()


def record(module: AnsibleModule, path: str, unit: str) -> bool:
    """Write `unit` to `path` unless it holds it already; whether that changed anything."""
    content = f"{unit}\n"
    if os.path.exists(path):
        with open(path, encoding="utf-8") as existing:
            if existing.read() == content:
                return False
    if not module.check_mode:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
            out.write(content)
    return True


def run(module: AnsibleModule) -> dict:
    params = module.params
    systemctl = module.get_bin_path("systemctl", required=True)
    harbor_state = ""
    if params["restart"] != "harbor":
        harbor_state = active_state(module, systemctl, params["harbor_unit"])
        if harbor_state in NOT_RUNNING:
            if not module.check_mode:
                for command in ([systemctl, "daemon-reload"], [systemctl, "restart", params["unit"]]):
                    rc, out, err = module.run_command(command)
                    if rc != 0:
                        module.fail_json(msg=f"{' '.join(command[1:])}: {err.strip() or out.strip()}")
            return {"changed": True, "restarted": True, "record": "", "harbor_state": harbor_state}
    path = os.path.join(params["record_dir"], params["restart"])
    changed = record(module, path, params["unit"])
    return {"changed": changed, "restarted": False, "record": path, "harbor_state": harbor_state}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "restart": {"type": "str", "required": True, "choices": ["share", "engine", "harbor"]},
            "unit": {"type": "str", "required": True},
            "record_dir": {"type": "path", "default": "/var/lib/harbor-ha/pending-restarts"},
            "harbor_unit": {"type": "str", "default": "harbor.service"},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
