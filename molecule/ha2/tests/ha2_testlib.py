"""What the ha2 scenario's tests read on Harbor 2.x nodes: containers' env, logins, the schema."""

from __future__ import annotations

import json
import re

from ha_testlib import LB, NODES, PROXY_PORT, docker, on

DATA = "sandbox2-data"
NODE1, NODE2, NODE3 = list(NODES)[:3]
SHARE = "/mnt/cephfs/harbor"
# The values the cluster pins on every node (what Harbor's prepare draws anew on every run).
PINNED = (
    "CORE_SECRET",
    "JOBSERVICE_SECRET",
    "REGISTRY_CREDENTIAL_PASSWORD",
    "CSRF_KEY",
    "ROBOT_SCANNER_NAME_PREFIX",
)
CORE_SERVICES = ("core", "database", "jobservice", "portal", "redis", "registry", "registryctl")


def node_url(node: str) -> str:
    """A node's proxy, straight, as the load balancer reaches it."""
    return f"http://{NODES[node]}:{PROXY_PORT}"


def container_env(node: str, container: str) -> dict[str, str]:
    """The environment a container of the node runs with: what compose made of its env file."""
    out = on(node, f"docker inspect --format '{{{{json .Config.Env}}}}' {container}").stdout
    return dict(item.split("=", 1) for item in json.loads(out))


def harbor_dir(node: str, version: str) -> str:
    """The node's unpacked installer of `version` (the role's /opt/harbor/v<version>-<sha>/harbor)."""
    return on(node, f"ls -d /opt/harbor/v{version}-*/harbor").stdout.strip()


def core_release(node: str) -> str:
    return (
        on(node, "docker inspect --format '{{.Config.Image}}' harbor-core").stdout.strip().rsplit(":", 1)[1]
    )


def psql(sql: str) -> str:
    return on(DATA, f'runuser -u postgres -- psql -d registry -Atc "{sql}"').stdout.strip()


def core_log(node: str) -> str:
    """Core's log of the node, on the share (log.local.location)."""
    return on(node, f"cat {SHARE}/log/{node}/core.log").stdout


def applied_migrations(log: str) -> list[int]:
    """Versions golang-migrate applied, as core logs them ("<version>/u <name> (<duration>)")."""
    return [int(v) for v in re.findall(r"\] (\d+)/u ", log)]


def wait_healthy(node: str) -> None:
    """Until the node's core says every component is healthy (checked every 10 s)."""
    from bedhelpers import wait_until  # noqa: PLC0415 - the bed's helpers, on the verifier's path

    def healthy() -> bool:
        out = on(node, f"curl -s -H 'Host: {LB}:8080' {node_url(node)}/api/v2.0/health", check=False).stdout
        try:
            return json.loads(out).get("status") == "healthy"
        except ValueError:
            return False

    wait_until(healthy, 120, f"{node} healthy")


def lb_config() -> str:
    return docker("exec", LB, "cat", "/etc/haproxy/haproxy.cfg").stdout
