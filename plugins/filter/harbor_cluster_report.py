# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Turn the nodes' and load balancers' states into a report and a list of problems."""

from __future__ import annotations

DOCUMENTATION = r"""
name: harbor_cluster_report
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: The cluster's state as report lines and problems
description:
  - Takes what C(harbor_ha.cluster.harbor_node_info) returned for each Harbor node and what
    C(harbor_ha.cluster.haproxy_servers_info) returned for each load balancer, and returns the
    lines of a report (one per node) and the list of problems that make the cluster degraded.
  - Problems are, per node, anything but V(UP) at a load balancer, a share that is not a mounted
    CephFS, a failed health check, an unreachable database or Redis, a live setting that differs
    from the inventory's (C(settings), what C(harbor_ha.cluster.harbor_settings_info) returned),
    and, across nodes, key files whose fingerprints differ. A node without a state (unreachable)
    is a problem too; a node whose settings could not be read says why, without a problem.
  - A Harbor 2.x node's line names the release its core runs and the components of its health;
    an unhealthy one names its failing components and a failing ping (the load balancer's check).
positional: load_balancers
options:
  _input:
    description: Node name to the result of harbor_node_info (empty when the node did not answer).
    type: dict
    required: true
  load_balancers:
    description: Load balancer name to the result of haproxy_servers_info (empty when it did not answer).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.debug:
    msg: "{{ (nodes | harbor_ha.cluster.harbor_cluster_report(lbs)).lines }}"
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    lines:
      description: One line per node, then one per key file, then one per setting that differs.
      type: list
      elements: str
    problems:
      description: What makes the cluster degraded; empty when it is healthy.
      type: list
      elements: str
"""

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - the plugin always runs inside Ansible
    AnsibleFilterError = ValueError


def _size(num_bytes: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if num_bytes < 1024 or unit == "TiB":
            return f"{num_bytes:.0f} {unit}" if unit == "B" else f"{num_bytes:.1f} {unit}"
        num_bytes /= 1024
    return ""  # pragma: no cover


def _probe(name: str, probe: dict) -> str:
    """`systeminfo 200`; a probe that got no HTTP answer says why (`systeminfo None: timed out`)."""
    text = f"{name} {probe['status']}"
    return f"{text}: {probe['error']}" if probe.get("error") else text


def _lb_state(node: str, load_balancers: dict) -> tuple[str, list[str]]:
    states, problems = [], []
    for lb, result in sorted(load_balancers.items()):
        servers = {s["name"]: s for s in (result or {}).get("servers", [])}
        if not result:
            states.append(f"{lb}=?")
            problems.append(f"load balancer {lb} did not answer")
            continue
        state = servers.get(node, {}).get("status", "absent")
        states.append(f"{lb}={state}")
        if state != "UP":
            problems.append(f"{node} is {state} at {lb}")
    return ", ".join(states) or "no load balancer", problems


def _node_line(node: str, status: dict, load_balancers: dict) -> tuple[str, list[str]]:
    lb, problems = _lb_state(node, load_balancers)
    if not status or "share" not in status:
        return f"{node}: did not answer | lb {lb}", [f"{node} did not answer", *problems]
    share = status["share"]
    if share["mounted"] and share.get("answering", True):
        usage = f"{_size(share['used'])}/{_size(share['size'])} ({share['used_percent']}%)"
        share_text = f"share {share['fstype']} {usage}"
    elif share["mounted"]:
        share_text = f"share {share['fstype']} NOT ANSWERING ({share.get('error')})"
        problems.append(f"{node}: the share {share['path']} does not answer ({share.get('error')})")
    else:
        share_text = f"share NOT MOUNTED ({share.get('fstype') or 'no mount'})"
        problems.append(f"{node}: the share {share['path']} is not mounted")
    health = status["health"]
    if "components" in health:
        health_text, health_problems = _harbor2_health(node, status)
        problems += health_problems
    elif health["healthy"]:
        health_text = "harbor healthy"
    else:
        codes = ", ".join(_probe(name, health[name]) for name in ("systeminfo", "registry"))
        health_text = f"harbor UNHEALTHY ({codes})"
        problems.append(f"{node}: Harbor is unhealthy ({codes})")
    reach = []
    for name, endpoint in sorted(status.get("endpoints", {}).items()):
        reach.append(f"{name} {'ok' if endpoint['reachable'] else 'UNREACHABLE'}")
        if not endpoint["reachable"]:
            problems.append(f"{node}: {name} unreachable ({endpoint['error']})")
    line = f"{node}: lb {lb} | {share_text} | {health_text} | {', '.join(reach)}"
    if "settings" in status:
        settings_text, settings_problems = _settings_state(node, status["settings"])
        line += f" | {settings_text}"
        problems += settings_problems
    return line, problems


def _settings_state(node: str, settings: dict) -> tuple[str, list[str]]:
    if settings.get("error"):
        return f"settings not compared ({settings['error']})", []
    drifted = [item["key"] for item in settings["drift"]]
    if not drifted:
        return "settings as the inventory", []
    return f"settings DIFFER ({', '.join(drifted)})", [
        f"{node}: Harbor's settings differ from the inventory ({', '.join(drifted)}): the next start"
        " of any node reverts a change made in the web UI; set it in the inventory (harbor_cfg_extra)"
        " to keep it"
    ]


def _drift_lines(statuses: dict) -> list[str]:
    """One line per drifted setting and value pair, naming the nodes that answered it."""
    seen: dict[tuple, list[str]] = {}
    for node, status in sorted(statuses.items()):
        for item in ((status or {}).get("settings") or {}).get("drift") or []:
            if item["only"] == "harbor":
                text = f"setting {item['key']}: set in Harbor ({item['harbor']!r}), not by the inventory"
            elif item["only"] == "inventory":
                text = f"setting {item['key']}: the inventory's {item['inventory']!r} is missing in Harbor"
            else:
                text = f"setting {item['key']}: inventory {item['inventory']!r}, Harbor {item['harbor']!r}"
            seen.setdefault(text, []).append(node)
    return [f"{text} (on {', '.join(nodes)})" for text, nodes in seen.items()]


def _harbor2_health(node: str, status: dict) -> tuple[str, list[str]]:
    """Harbor 2.x: the release the node's core runs, and the components core's health API lists."""
    health = status["health"]
    release = status.get("version") or "(release unknown)"
    components = health["components"]
    if health["healthy"]:
        return f"harbor {release} healthy ({', '.join(sorted(components))})", []
    failing = [f"{name} {state}" for name, state in sorted(components.items()) if state != "healthy"]
    api, registry = health["api"], health["registry"]
    if not failing:
        failing.append(f"health API {api['status'] or api['error']}, registry {registry['status']}")
    # The request the load balancer checks a node with: failing, it takes the node out of the
    # rotation whatever the health API says.
    if health["ping"]["status"] != 200:
        failing.insert(0, _probe("ping", health["ping"]))
    detail = ", ".join(failing)
    return f"harbor {release} UNHEALTHY ({detail})", [f"{node}: Harbor is unhealthy ({detail})"]


def _key_lines(statuses: dict) -> tuple[list[str], list[str]]:
    digests: dict[str, dict[str, str | None]] = {}
    for node, status in statuses.items():
        for path, digest in (status or {}).get("keys", {}).items():
            digests.setdefault(path.rsplit("/", 1)[-1], {})[node] = digest
    lines, problems = [], []
    for name, by_node in sorted(digests.items()):
        distinct = set(by_node.values())
        if None in distinct:
            missing = sorted(n for n, d in by_node.items() if d is None)
            lines.append(f"key {name}: MISSING on {', '.join(missing)}")
            problems.append(f"key {name} is missing on {', '.join(missing)}")
        elif len(distinct) == 1:
            lines.append(f"key {name}: same on every node (sha256 {next(iter(distinct))[:16]}...)")
        else:
            detail = ", ".join(f"{n} {d[:12]}" for n, d in sorted(by_node.items()))
            lines.append(f"key {name}: DIFFERS ({detail})")
            problems.append(
                f"key {name} differs between nodes: logins fail at random behind the load balancer"
            )
    return lines, problems


def harbor_cluster_report(nodes, load_balancers):
    """See DOCUMENTATION."""
    if not isinstance(nodes, dict) or not isinstance(load_balancers, dict):
        raise AnsibleFilterError("harbor_cluster_report: expects two mappings (nodes, load balancers)")
    lines, problems = [], []
    for node, status in sorted(nodes.items()):
        line, node_problems = _node_line(node, status, load_balancers)
        lines.append(line)
        problems += node_problems
    key_lines, key_problems = _key_lines(nodes)
    # A load balancer that did not answer is reported once, not once per node.
    return {
        "lines": lines + key_lines + _drift_lines(nodes),
        "problems": list(dict.fromkeys(problems + key_problems)),
    }


class FilterModule:
    """harbor_ha.cluster filters for the status report."""

    def filters(self):
        return {"harbor_cluster_report": harbor_cluster_report}
