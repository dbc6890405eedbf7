"""Helpers of the installer2 scenario's tests: requests from the node, extra cores beside compose's."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import bedhelpers

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
INSTALLERS = PROJECT / ".cache" / "installers"

NODE = "installer2-node1"
DATA = "installer2-data"
ADDRESS = "10.201.7.11"  # molecule.yml
DATA_ADDRESS = "10.201.7.21"
NETWORK = "harbor_harbor"  # compose's network of the project in .../harbor


def curl(host, *args: str) -> tuple[int, dict[str, str], str]:
    """(status, headers with lower-case names, body) of one request made on the node."""
    out = host.run("curl -sS -D /tmp/i2-headers -o /tmp/i2-body -w '%{http_code}' " + " ".join(args))
    assert out.rc == 0, out.stderr
    headers = {}
    for line in host.file("/tmp/i2-headers").content_string.splitlines()[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(out.stdout), headers, host.file("/tmp/i2-body").content_string


def env_file(host, path: str) -> dict[str, str]:
    text = host.file(path).content_string
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def start_core(host, harbor_dir: str, version: str, name: str, port: int, *env: str, key: str = "") -> None:
    """Another harbor-core of this installation on compose's network, published on 127.0.0.1:port."""
    key = key or "/data/secret/core/private_key.pem"
    options = " ".join(f"-e {item}" for item in env)
    host.check_output(
        f"docker run -d --name {name} --network {NETWORK} -p 127.0.0.1:{port}:8080"
        f" --env-file {harbor_dir}/common/config/core/env {options}"
        f" -v {harbor_dir}/common/config/core/app.conf:/etc/core/app.conf"
        f" -v {key}:/etc/core/private_key.pem -v /data/secret/keys/secretkey:/etc/core/key"
        f" goharbor/harbor-core:v{version}"
    )


def wait_for_core(host, name: str, port: int) -> None:
    def answering() -> bool:
        state = json.loads(host.check_output(f"docker inspect --format '{{{{json .State}}}}' {name}"))
        assert state["Running"], host.check_output(f"docker logs {name} 2>&1")
        return host.run(f"curl -sf http://127.0.0.1:{port}/api/v2.0/ping").rc == 0

    bedhelpers.wait_until(answering, 60, f"{name} answering on 127.0.0.1:{port}")


def csrf_session(host, base: str, password: str) -> dict[str, str]:
    """A login as the portal does it: a CSRF token and cookie first, then POST /c/login."""
    jar = "/tmp/i2-jar"
    host.run(f"rm -f {jar}")
    _, headers, _ = curl(host, f"-c {jar} -b {jar} {base}/c/login")
    token = headers["x-harbor-csrf-token"]
    form = f"--data-urlencode principal=admin --data-urlencode password={password}"
    status, _, body = curl(host, f"-c {jar} -b {jar} -H 'X-Harbor-CSRF-Token: {token}' {form} {base}/c/login")
    assert status == 200, body
    cookies = dict(re.findall(r"\t(\S+)\t(\S+)$", host.file(jar).content_string, re.MULTILINE))
    return {"token": token, "csrf": cookies["_gorilla_csrf"], "sid": cookies["sid"]}


def create_project(host, base: str, session: dict[str, str], name: str) -> tuple[int, str]:
    cookies = f"sid={session['sid']}; _gorilla_csrf={session['csrf']}"
    status, _, body = curl(
        host,
        f"-X POST -H 'Cookie: {cookies}' -H 'X-Harbor-CSRF-Token: {session['token']}'",
        "-H 'Content-Type: application/json'",
        f"-d '{json.dumps({'project_name': name, 'metadata': {'public': 'false'}})}'",
        f"{base}/api/v2.0/projects",
    )
    return status, body


def in_container(host, container: str, script: str, *args: str) -> str:
    """Run a Python snippet inside one of Harbor's containers (its env, its network)."""
    import base64  # noqa: PLC0415

    encoded = base64.b64encode(script.encode()).decode()
    quoted = " ".join(f"'{a}'" for a in args)
    return host.check_output(
        f"docker exec {container} python3 -c \"import base64; exec(base64.b64decode('{encoded}'))\" {quoted}"
    )


# POST or DELETE with `Authorization: Harbor-Secret <secret>`; prints the status and the body.
SECRET_REQUEST = """
import sys, urllib.request, urllib.error
method, url, secret, body = sys.argv[1:5]
req = urllib.request.Request(url, data=body.encode() or None, method=method)
req.add_header("Authorization", "Harbor-Secret " + secret)
req.add_header("Content-Type", "application/json")
try:
    with urllib.request.urlopen(req) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
"""


def remove(host, *names: str) -> None:
    host.run("docker rm -f " + " ".join(names))


def wait_logged(host, name: str, pattern: str, timeout: int = 60) -> None:
    bedhelpers.wait_until(
        lambda: re.search(pattern, host.run(f"docker logs {name} 2>&1").stdout) is not None,
        timeout,
        f"{name} logging {pattern!r}",
    )


def seconds_since(start: float) -> float:
    return time.monotonic() - start
