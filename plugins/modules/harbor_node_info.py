#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Report the state of a Harbor node in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_node_info
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: Report the state of a Harbor node
description:
  - Reads, in one call and without changing anything, what an operator checks on a Harbor node
    of the cluster, namely whether the share is mounted (as CephFS) and how full it is, whether the
    node's proxy answers Harbor's health requests, the sha256 of the key files, and whether the
    database and Redis accept connections from the node.
  - For Harbor 2.x (O(generation=2)) the health is core's ping (what the load balancer asks),
    core's health API with each component's status, and the registry's challenge; the release is
    the tag of the image the node's core runs.
  - The role waits for a node with it (until RV(health.healthy)), so one call checks
    everything a healthy node answers.
  - A broken part is reported, not raised; the module fails only on bad parameters.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  share_path:
    description: The shared CephFS mount point.
    type: path
    required: true
  proxy_url:
    description: Base URL of the node's proxy, e.g. V(http://10.0.0.11:8060).
    type: str
    required: true
  host_header:
    description: Host header of the HTTP checks (Harbor's ui answers 400 without one).
    type: str
    required: true
  key_files:
    description: Files whose sha256 is reported (the node's copies of the cluster's keys).
    type: list
    elements: path
    default: []
  endpoints:
    description: TCP endpoints the node must reach.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: A label for the report.
        type: str
        required: true
      host:
        description: Address.
        type: str
        required: true
      port:
        description: Port.
        type: int
        required: true
  timeout:
    description:
      - Seconds each network check may take.
      - A node whose Harbor answers slowly (a busy node, a restart just done) is not a node that is
        down; the default leaves room for that. A check that gets no answer reports its error.
    type: float
    default: 10
  generation:
    description:
      - V(1) for Harbor 1.1 (C(GET /api/systeminfo) must answer 200), V(2) for Harbor 2.x (core's
        C(GET /api/v2.0/ping) must answer 200 and C(GET /api/v2.0/health) must say healthy; the
        core container's image gives the release).
      - Both ask C(GET /v2/), which a healthy node answers 401.
    type: int
    choices: [1, 2]
    default: 1
  docker:
    description: The docker CLI, to read the image of the core container (O(generation=2)).
    type: path
    default: /usr/bin/docker
  unit:
    description:
      - Harbor's systemd unit. Also returns whether it is active and enabled, as RV(unit), so that
        a role that finds Harbor running, enabled and healthy in one call has nothing to start.
    type: str
    version_added: 0.2.0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the node's state
  harbor_ha.cluster.harbor_node_info:
    share_path: /mnt/cephfs/harbor
    proxy_url: "http://{{ harbor_node_address }}:8060"
    host_header: harbor.example.com:8080
    key_files:
      - /mnt/cephfs/harbor/data/secretkey
    endpoints:
      - {name: database, host: 10.0.0.10, port: 3306}
      - {name: redis, host: 10.0.0.12, port: 6379}
  register: __node
"""

RETURN = r"""
msg:
  description:
    - One line on the node's health, naming each request, its answer and the answer wanted; what a
      wait that gave up (until RV(health.healthy)) reports.
  returned: always
  type: str
  sample: "not healthy: GET /api/systeminfo timed out (200 wanted); GET /v2/ 401 (401 wanted)"
share:
  description: The share's mount and usage (size, used, avail in bytes when mounted).
  returned: always
  type: dict
  sample: {path: /mnt/cephfs/harbor, mounted: true, fstype: fuse.ceph-fuse, size: 2147483648,
           used: 10485760, avail: 2137, used_percent: 0.5}
health:
  description:
    - HTTP status of GET /api/systeminfo (200 when healthy) and GET /v2/ (401 when healthy).
    - For Harbor 2.x, C(ping) (the status of GET /api/v2.0/ping), C(api) (the health API's status
      and overall answer) and C(components) (each component's status) in place of C(systeminfo).
  returned: always
  type: dict
  sample: {systeminfo: {status: 200, error: null}, registry: {status: 401, error: null}, healthy: true}
  contains:
    healthy:
      description: Whether every request got the answer of a healthy node.
      returned: always
      type: bool
version:
  description: The release the node's core runs (its image's tag), for Harbor 2.x; null when unknown.
  returned: when O(generation=2)
  type: str
  sample: v2.15.2
keys:
  description: sha256 of each key file (null when missing).
  returned: always
  type: dict
endpoints:
  description: Reachability of each endpoint, by name.
  returned: always
  type: dict
  sample: {database: {reachable: true, error: null}}
unit:
  description:
    - The C(ActiveState) and C(UnitFileState) of O(unit), as systemd reports them, and C(up), true
      when it is active and enabled.
  returned: when O(unit) is given
  type: dict
  version_added: 0.2.0
  sample: {active: active, enabled: enabled, up: true}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import node_probe

# Harbor 2.x's core container (the compose file's container_name).
CORE_CONTAINER = "harbor-core"


def core_release(module: AnsibleModule) -> str | None:
    """The tag of the image the node's core runs, or None when there is no such container."""
    rc, out, _err = module.run_command(
        [module.params["docker"], "inspect", "--format", "{{.Config.Image}}", CORE_CONTAINER]
    )
    return out.strip().rsplit(":", 1)[-1] if rc == 0 and ":" in out else None


def _answer(check: dict) -> str:
    return str(check["status"]) if check["status"] is not None else (check["error"] or "no answer")


def health_line(health: dict) -> str:
    """The health as one line: each request, its answer and the answer wanted."""
    if "systeminfo" in health:
        parts = [
            f"GET {node_probe.HEALTH_PATHS[1]} {_answer(health['systeminfo'])} (200 wanted)",
            f"GET /v2/ {_answer(health['registry'])} (401 wanted)",
        ]
    else:
        api = health["api"]
        failing = ", ".join(
            f"{name} {state}" for name, state in sorted(health["components"].items()) if state != "healthy"
        )
        overall = f", status {api['overall']}" if api.get("overall") else ""
        overall += f" ({failing})" if failing else ""
        parts = [
            f"GET {node_probe.HEALTH_PATHS[2]} {_answer(health['ping'])} (200 wanted)",
            f"GET /api/v2.0/health {_answer(api)}{overall} (healthy wanted)",
            f"GET /v2/ {_answer(health['registry'])} (401 wanted)",
        ]
    return ("healthy: " if health["healthy"] else "not healthy: ") + "; ".join(parts)


def run(module: AnsibleModule) -> dict:
    params = module.params
    base, host, timeout = params["proxy_url"].rstrip("/"), params["host_header"], params["timeout"]
    result = {
        "changed": False,
        "share": node_probe.share(params["share_path"]),
        "keys": {path: node_probe.sha256_of(path) for path in params["key_files"]},
        "endpoints": {
            e["name"]: node_probe.tcp_reachable(e["host"], e["port"], timeout) for e in params["endpoints"]
        },
    }
    if params["unit"]:
        result["unit"] = node_probe.systemd_units(module, [params["unit"]])[params["unit"]]
    if params["generation"] == 2:
        result.update(health=node_probe.harbor2_health(base, host, timeout), version=core_release(module))
        result["msg"] = health_line(result["health"])
        return result
    systeminfo = node_probe.http_status(f"{base}{node_probe.HEALTH_PATHS[1]}", host, timeout)
    registry = node_probe.http_status(f"{base}/v2/", host, timeout)
    result["health"] = {
        "systeminfo": systeminfo,
        "registry": registry,
        "healthy": systeminfo["status"] == 200 and registry["status"] == 401,
    }
    result["msg"] = health_line(result["health"])
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "share_path": {"type": "path", "required": True},
            "proxy_url": {"type": "str", "required": True},
            "host_header": {"type": "str", "required": True},
            "key_files": {"type": "list", "elements": "path", "default": [], "no_log": False},
            "endpoints": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "name": {"type": "str", "required": True},
                    "host": {"type": "str", "required": True},
                    "port": {"type": "int", "required": True},
                },
            },
            "timeout": {"type": "float", "default": 10},
            "generation": {"type": "int", "choices": [1, 2], "default": 1},
            "docker": {"type": "path", "default": "/usr/bin/docker"},
            "unit": {"type": "str"},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
