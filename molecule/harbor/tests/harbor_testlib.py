"""Facts and helpers of the harbor scenario's tests (molecule/harbor/molecule.yml)."""

from __future__ import annotations

import json

from bedhelpers import wait_until

NODES = {"harbor-node1": "10.201.5.21", "harbor-node2": "10.201.5.22"}
PORT = 8060
SHARE = "/mnt/cephfs/harbor"
SECRETS = f"{SHARE}/secrets/harbor"


def curl(host, *args: str, body_file: str = "/tmp/harbor-test-body") -> tuple[int, str]:
    """(HTTP status, body) of a request made on `host`."""
    status = host.check_output(f"curl -sS -o {body_file} -w '%{{http_code}}' " + " ".join(args))
    return int(status), host.file(body_file).content_string


def container_starts(host) -> dict[str, str]:
    """{container name: StartedAt} of every container of the node's engine."""
    names = host.check_output("docker ps --all --format '{{.Names}}'").split()
    if not names:
        return {}
    inspect = json.loads(host.check_output("docker inspect " + " ".join(names)))
    return {c["Name"].lstrip("/"): c["State"]["StartedAt"] for c in inspect}


def wait_healthy(host, name: str, timeout: float = 120) -> None:
    """Wait until node `name` answers GET /api/systeminfo 200 through its proxy, asked from
    `host` (a refused connection, while it starts, counts as not yet)."""
    probe = (
        f"curl -s -o /dev/null -w '%{{http_code}}' -H 'Host: {NODES['harbor-node1']}:{PORT}'"
        f" http://{NODES[name]}:{PORT}/api/systeminfo"
    )
    wait_until(lambda: host.run(probe).stdout == "200", timeout, f"{name} answering /api/systeminfo 200")
