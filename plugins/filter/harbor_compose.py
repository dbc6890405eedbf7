# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Rewrite Harbor's installer docker-compose file for a node of a shared-storage cluster."""

from __future__ import annotations

DOCUMENTATION = r"""
name: harbor_compose
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: Rewrite Harbor's docker-compose file for a node of an HA cluster
description:
  - Takes the docker-compose file of a Harbor offline installer (parsed, e.g. with
    P(ansible.builtin.from_yaml#filter)) and returns it rewritten for one node of a cluster whose
    Harbor data lives on a shared file system.
  - Every host path under V(/data) moves under O(data_dir); every host path under
    V(/var/log/harbor) moves to O(log_dir) (the node's own log directory on the share). A path
    already under O(data_dir) or O(log_dir) stays (Harbor 2.x's prepare writes them from
    C(harbor.yml)'s C(data_volume) and C(log.local.location)).
  - The services in O(remove_services) (by default the bundled V(mysql)) are removed, together
    with every C(depends_on) and C(links) entry that names them.
  - The proxy's published ports are replaced by O(proxy_ports).
  - Fails on a compose file it does not understand (no services, a host path outside the known
    ones, a proxy without the ports it expects), so that a new Harbor layout is noticed instead
    of half-rewritten.
positional: data_dir, log_dir
options:
  _input:
    description: The parsed docker-compose file of the installer.
    type: dict
    required: true
  data_dir:
    description: Absolute path that replaces V(/data) (the data directory on the share).
    type: path
    required: true
  log_dir:
    description: Absolute path that replaces V(/var/log/harbor) (this node's log directory).
    type: path
    required: true
  proxy_ports:
    description:
      - Published ports of the proxy service, as a mapping of container port to host port
        (V(host_ip:port) is accepted as host port). Container ports of the proxy that are not
        listed are no longer published.
    type: dict
    default: {80: 80}
  proxy_service:
    description: Name of the service that publishes Harbor's HTTP(S) ports.
    type: str
    default: proxy
  remove_services:
    description: Services removed from the file, with every reference to them.
    type: list
    elements: str
    default: [mysql]
  extra_hosts:
    description:
      - Name to address mapping added to every service as C(extra_hosts). Harbor's containers
        resolve names through the node's DNS, not its /etc/hosts.
    type: dict
    default: {}
  overrides:
    description:
      - Per service, keys set after the rewrite (a value of V(null) removes the key), e.g. to
        publish a port or to run another image under the same service name. Only services that
        exist can be overridden.
    type: dict
    default: {}
"""

EXAMPLES = r"""
# The installer's compose file, as read with slurp and ansible.builtin.from_yaml, goes in.
- name: Render the cluster's docker-compose.yml from the installer's own
  ansible.builtin.copy:
    dest: /opt/harbor/v1.1.2/harbor/docker-compose.yml
    content: >-
      {{ installer_compose | harbor_ha.cluster.harbor_compose('/mnt/cephfs/harbor/data',
         '/mnt/cephfs/harbor/log/' ~ inventory_hostname, proxy_ports={80: 8060})
         | ansible.builtin.to_nice_yaml(indent=2, sort_keys=false) }}
    owner: root
    group: root
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The rewritten docker-compose file, as a dict (key order kept).
  type: dict
"""

import copy
import posixpath
from collections.abc import Mapping

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - the plugin always runs inside Ansible
    AnsibleFilterError = ValueError

DATA_ROOT = "/data"
LOG_ROOT = "/var/log/harbor"


def _fail(msg: str):
    raise AnsibleFilterError(f"harbor_compose: {msg}")


def _under(path: str, root: str) -> bool:
    norm = posixpath.normpath(path)
    return norm == root or norm.startswith(root + "/")


def _moved(path: str, root: str, new_root: str) -> str:
    """`path` under `root` moved under `new_root`, keeping a trailing slash."""
    norm = posixpath.normpath(path)
    moved = new_root.rstrip("/") + norm[len(root) :]
    return moved + "/" if path.endswith("/") and not moved.endswith("/") else moved


def _host_path(source: str, service: str, data_dir: str, log_dir: str) -> str:
    if not source.startswith("/"):
        # ./common/config/... and named volumes stay: they are per node by design.
        return source
    if _under(source, data_dir) or _under(source, log_dir):
        return source
    if _under(source, DATA_ROOT):
        return _moved(source, DATA_ROOT, data_dir)
    if _under(source, LOG_ROOT):
        return _moved(source, LOG_ROOT, log_dir)
    return _fail(
        f"service {service!r} mounts host path {source!r}, which is neither under {DATA_ROOT} nor "
        f"under {LOG_ROOT}: this compose file has a layout the filter does not know"
    )


def _volume(entry, service: str, data_dir: str, log_dir: str):
    if isinstance(entry, str):
        parts = entry.split(":")
        if len(parts) == 1:  # an anonymous volume: container path only
            return entry
        parts[0] = _host_path(parts[0], service, data_dir, log_dir)
        return ":".join(parts)
    if isinstance(entry, dict):
        if entry.get("type", "volume") != "bind":
            return entry
        if "source" not in entry:
            _fail(f"service {service!r} has a bind volume without a source: {entry!r}")
        new = dict(entry)
        new["source"] = _host_path(str(entry["source"]), service, data_dir, log_dir)
        return new
    return _fail(f"service {service!r} has a volume entry of an unknown form: {entry!r}")


def _without(refs, removed: set, service: str, key: str):
    if isinstance(refs, list):
        return [r for r in refs if str(r).split(":", maxsplit=1)[0] not in removed]
    if isinstance(refs, dict):
        return {k: v for k, v in refs.items() if k not in removed}
    return _fail(f"service {service!r} has a {key} of an unknown form: {refs!r}")


def _shared_with(spec: dict) -> set:
    """Services whose volumes or network namespace `spec` uses (volumes_from, network_mode)."""
    names = set()
    for ref in _as_list(spec.get("volumes_from") or []):
        text = str(ref)
        if not text.startswith("container:"):
            names.add(text.split(":", maxsplit=1)[0])
    mode = str(spec.get("network_mode") or "")
    if mode.startswith("service:"):
        names.add(mode.split(":", 1)[1])
    return names


def _plain(value):
    """A copy of an override made of plain dicts, lists and scalars.

    Read item by item rather than deep-copied: Ansible hands filters lazily templated containers,
    whose values (such as this host's address) must be rendered as they are read.
    """
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _container_port(mapping) -> int:
    if isinstance(mapping, dict):
        return int(mapping["target"])
    text = str(mapping).split("/", maxsplit=1)[0]
    return int(text.rsplit(":", 1)[-1])


def _proxy_ports(ports, proxy_ports: dict, service: str) -> list[str]:
    if not isinstance(ports, list):
        _fail(f"service {service!r} publishes no ports; expected the proxy's HTTP port")
    wanted = {int(k): str(v) for k, v in proxy_ports.items()}
    published = {_container_port(p) for p in ports}
    unknown = sorted(set(wanted) - published)
    if unknown:
        _fail(
            f"proxy_ports names container port(s) {unknown} that service {service!r} does not "
            f"publish (it publishes {sorted(published)})"
        )
    return [f"{wanted[port]}:{port}" for port in sorted(wanted)]


def harbor_compose(
    compose,
    data_dir,
    log_dir,
    proxy_ports=None,
    proxy_service="proxy",
    remove_services=("mysql",),
    extra_hosts=None,
    overrides=None,
):
    """See DOCUMENTATION."""
    # Read once into plain containers: Ansible's lazy containers template each value at every
    # read, and the copies below would read the whole file several times (most of a no-op run's
    # time in this filter).
    compose = _plain(compose)
    if not isinstance(compose, dict) or not isinstance(compose.get("services"), dict):
        _fail("the input is not a docker-compose file with a `services` mapping")
    for name, path in (("data_dir", data_dir), ("log_dir", log_dir)):
        if not isinstance(path, str) or not posixpath.isabs(path):
            _fail(f"{name} must be an absolute path, got {path!r}")
    services = compose["services"]
    removed = set(remove_services or ())
    if proxy_service not in services:
        _fail(f"there is no {proxy_service!r} service (services: {sorted(services)})")
    if proxy_service in removed:
        _fail(f"the proxy service {proxy_service!r} cannot be removed")

    result = copy.deepcopy(compose)
    result["services"] = {
        name: _service(name, spec, data_dir, log_dir, removed, extra_hosts)
        for name, spec in services.items()
        if name not in removed
    }
    proxy = result["services"][proxy_service]
    proxy["ports"] = _proxy_ports(proxy.get("ports"), proxy_ports or {80: 80}, proxy_service)
    for name, keys in (overrides or {}).items():
        if name not in result["services"]:
            _fail(f"cannot override service {name!r}: it is not in the file (or was removed)")
        for key, value in keys.items():
            if value is None:
                result["services"][name].pop(key, None)
            else:
                result["services"][name][key] = _plain(value)
    return result


def _service(name: str, spec, data_dir: str, log_dir: str, removed: set, extra_hosts) -> dict:
    if not isinstance(spec, dict):
        _fail(f"service {name!r} is not a mapping")
    new = copy.deepcopy(spec)
    if "volumes" in new:
        new["volumes"] = [_volume(v, name, data_dir, log_dir) for v in new["volumes"]]
    for key in ("depends_on", "links"):
        if key in new:
            new[key] = _without(new[key], removed, name, key)
            if not new[key]:
                del new[key]
    shared = _shared_with(new) & removed
    if shared:
        _fail(f"service {name!r} shares volumes or network with removed service(s) {sorted(shared)}")
    if extra_hosts:
        added = [f"{host}:{addr}" for host, addr in sorted(extra_hosts.items())]
        new["extra_hosts"] = [*_as_list(new.get("extra_hosts") or []), *added]
    return new


class FilterModule:
    """harbor_ha.cluster filters for Harbor's docker-compose file."""

    def filters(self):
        return {"harbor_compose": harbor_compose}
