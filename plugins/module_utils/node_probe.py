# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Read-only probes of a Harbor node: the share's mount, HTTP answers, TCP reachability, files.

Each probe returns a result instead of raising: a status report must describe a broken node,
not stop at it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import urllib.error

from ansible.module_utils.urls import open_url

# What a CephFS mount looks like in /proc/self/mountinfo: the kernel client, then ceph-fuse.
CEPH_TYPES = ("ceph", "fuse.ceph-fuse")


def _unescape(field: str) -> str:
    """Mount paths in /proc/self/mountinfo escape space, tab, newline and backslash in octal."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mount_at(path: str, mountinfo: str | None = None) -> dict | None:
    """The mount whose mount point is exactly `path` ({'fstype', 'source'}), or None.

    The last entry wins, as in the kernel: a mount on top of another hides it.
    """
    if mountinfo is None:
        with open("/proc/self/mountinfo", encoding="utf-8") as handle:
            mountinfo = handle.read()
    wanted = os.path.normpath(path)
    found = None
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        sep = fields.index("-")
        if _unescape(fields[4]) == wanted:
            found = {"fstype": fields[sep + 1], "source": _unescape(fields[sep + 2])}
    return found


def share(path: str, mountinfo: str | None = None) -> dict:
    """Whether a CephFS is mounted at `path`, whether it answers, and how full it is.

    A ceph-fuse process that died leaves its mount in place, answering ENOTCONN: `answering` is
    false then, with the error.
    """
    mount = mount_at(path, mountinfo)
    result = {"path": path, "mounted": bool(mount and mount["fstype"] in CEPH_TYPES)}
    result["fstype"] = mount["fstype"] if mount else None
    result.update(answering=False, error=None)
    if result["mounted"]:
        try:
            stat = os.statvfs(path)
        except OSError as exc:
            result["error"] = exc.strerror or str(exc)
            return result
        size, avail = stat.f_blocks * stat.f_frsize, stat.f_bavail * stat.f_frsize
        used = size - stat.f_bfree * stat.f_frsize
        result.update(
            answering=True,
            size=size,
            used=used,
            avail=avail,
            used_percent=round(100 * used / size, 1) if size else 0,
        )
    return result


def http_status(url: str, host: str | None = None, timeout: float = 3.0) -> dict:
    """{'status': HTTP status or None, 'error': text or None} of a GET."""
    if not url.startswith(("http://", "https://")):
        return {"status": None, "error": f"not an http(s) URL: {url}"}
    try:
        with open_url(
            url, headers={"Host": host} if host else {}, timeout=timeout, follow_redirects="none"
        ) as resp:
            return {"status": resp.status, "error": None}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "error": None}
    except (urllib.error.URLError, OSError) as exc:
        return {"status": None, "error": str(getattr(exc, "reason", exc))}


def http_json(url: str, host: str, user: str = "", password: str = "", timeout: float = 3.0) -> dict:
    """{'status', 'document' (the JSON answer of a 200) or None, 'error'} of a GET, with basic auth
    when `user` is given."""
    if not url.startswith(("http://", "https://")):
        return {"status": None, "document": None, "error": f"not an http(s) URL: {url}"}
    auth = {"url_username": user, "url_password": password, "force_basic_auth": True} if user else {}
    try:
        with open_url(url, headers={"Host": host}, timeout=timeout, follow_redirects="none", **auth) as resp:
            status, body = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "document": None, "error": None}
    except (urllib.error.URLError, OSError) as exc:
        return {"status": None, "document": None, "error": str(getattr(exc, "reason", exc))}
    try:
        return {"status": status, "document": json.loads(body), "error": None}
    except ValueError as exc:
        return {"status": status, "document": None, "error": f"not JSON: {exc}"}


# The request the load balancer checks each node with, per Harbor generation: 1.1's ui answers
# /api/systeminfo, 2.x's core /api/v2.0/ping. The release table (roles/cluster/vars/main.yml,
# health_path) gives HAProxy the same paths; a unit test holds the two together.
HEALTH_PATHS = {1: "/api/systeminfo", 2: "/api/v2.0/ping"}


def harbor2_health(base: str, host: str, timeout: float = 3.0) -> dict:
    """Harbor 2.x core's ping (GET /api/v2.0/ping, what the load balancer asks), its health API
    (GET /api/v2.0/health) and its registry's challenge (GET /v2/)."""
    ping = http_status(f"{base}{HEALTH_PATHS[2]}", host, timeout)
    api = http_json(f"{base}/api/v2.0/health", host, timeout=timeout)
    registry = http_status(f"{base}/v2/", host, timeout)
    document = api.pop("document") or {}
    components = {c.get("name"): c.get("status") for c in document.get("components") or []}
    return {
        "ping": ping,
        "api": {**api, "overall": document.get("status")},
        "registry": registry,
        "components": components,
        "healthy": ping["status"] == 200
        and api["status"] == 200
        and document.get("status") == "healthy"
        and registry["status"] == 401,
    }


def tcp_reachable(host: str, port: int, timeout: float = 3.0) -> dict:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return {"reachable": True, "error": None}
    except OSError as exc:
        return {"reachable": False, "error": str(exc)}


def sha256_of(path: str) -> str | None:
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def unit_states(units: list[str], output: str) -> dict[str, dict[str, str]]:
    """{unit: {active, enabled, up}} from `systemctl show --property=ActiveState,UnitFileState` of
    `units`: one block per unit, in the order given, blocks apart by an empty line. `up`: the unit
    runs and starts at boot (active, enabled), so that a role has nothing to start or enable."""
    blocks = output.strip("\n").split("\n\n") if output.strip() else []
    if len(blocks) != len(units):
        raise ValueError(f"systemctl show gave {len(blocks)} answers for {len(units)} units")
    states = {}
    for index, unit in enumerate(units):
        props = dict(line.split("=", 1) for line in blocks[index].splitlines() if "=" in line)
        active, enabled = props.get("ActiveState", ""), props.get("UnitFileState", "")
        up = active == "active" and enabled == "enabled"
        states[unit] = {"active": active, "enabled": enabled, "up": up}
    return states


def systemd_units(module, units: list[str]) -> dict[str, dict[str, str]]:
    """Whether each of `units` is active and enabled, in one `systemctl show`; fails the module
    when systemd does not answer."""
    if not units:
        return {}
    systemctl = module.get_bin_path("systemctl", required=True)
    rc, out, err = module.run_command(
        [systemctl, "show", "--property=ActiveState,UnitFileState", "--", *units],
        environ_update={"LC_ALL": "C"},
    )
    if rc != 0:
        module.fail_json(msg=f"systemctl show failed (rc {rc}): {err.strip()}", rc=rc)
    try:
        return unit_states(units, out)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
