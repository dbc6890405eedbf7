"""Facts and tools of the ha scenario's tests: the sandbox topology, driven from the controller."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
# The topology under test: the sandbox's containers (this scenario), the benchmark's
# (tools/bench.py sets HARBOR_HA_TOPOLOGY=bench) or the Harbor 2.x sandbox2's (scenario ha2):
# same shape, other names and addresses. Each with the inventory it is made from.
TOPOLOGY = os.environ.get("HARBOR_HA_TOPOLOGY", "sandbox")
SUBNET, _INVENTORY = {
    "sandbox": ("10.201.10", "sandbox"),
    "bench": ("10.201.20", "sandbox"),
    "sandbox2": ("10.201.11", "sandbox2"),
}[TOPOLOGY]
INVENTORY = PROJECT / "inventories" / _INVENTORY
LB = f"{TOPOLOGY}-lb"
CLIENT = f"{TOPOLOGY}-client"
REGISTRY = f"{LB}:8080"  # harbor_hostname of inventories/sandbox
NODES = {f"{TOPOLOGY}-harbor{n}": f"{SUBNET}.{20 + n}" for n in range(1, 5)}
PROXY_PORT = 8060
IMAGE = f"{REGISTRY}/library/ha-probe:1"
# The bounds a failure under a pull loop is held to. Target: no failed pull, and no pull stalled
# over 3 s (the load balancer replays a stalled pull request on another node after 1 s).
MAX_FAILED_PULLS = 0
MAX_PULL_SECONDS = 3.0
MAX_DETECTION_SECONDS = 10.0
MAX_REJOIN_SECONDS = 120.0

# Reads the load balancer's server states through its admin socket (run with python3 on the LB).
_SHOW_STAT = """
import csv, io, json, socket
s = socket.socket(socket.AF_UNIX); s.connect("/run/haproxy/admin.sock"); s.sendall(b"show stat\\n")
data = b"".join(iter(lambda: s.recv(65536), b"")).decode()
rows = csv.DictReader(io.StringIO(data[2:]))
print(json.dumps({r["svname"]: {"status": r["status"], "sessions": int(r["stot"] or 0)}
                  for r in rows if r["pxname"] == "be_harbor_pull" and r["type"] == "2"}))
"""


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """The docker CLI of the machine the test hosts run on."""
    return subprocess.run(["docker", *args], text=True, capture_output=True, check=check, timeout=timeout)


def on(host: str, command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return docker("exec", host, "sh", "-c", command, check=check, timeout=timeout)


def lb_servers() -> dict[str, dict]:
    """{node: {status, sessions}} as the load balancer sees them."""
    return json.loads(on(LB, f"python3 -c '{_SHOW_STAT}'").stdout)


def wait_for_lb(node: str, status: str, timeout: float = 90) -> float:
    """Seconds until the load balancer reports `node` in `status`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if lb_servers().get(node, {}).get("status") == status:
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"{node} is not {status} at the load balancer after {timeout} s: {lb_servers()}")


def login(password: str, registry: str = REGISTRY) -> None:
    on(CLIENT, f"docker login --username admin --password '{password}' {registry}")


def local_digest(image: str = IMAGE) -> str:
    """The repository digest of `image` in the client's engine."""
    return on(CLIENT, f"docker image inspect --format '{{{{index .RepoDigests 0}}}}' {image}").stdout.strip()


def pull_once(image: str = IMAGE, timeout: float = 600) -> tuple[bool, float]:
    """(succeeded, seconds) of one full pull through the load balancer (layers included)."""
    on(CLIENT, f"docker rmi -f {image} >/dev/null 2>&1; true", check=False)
    start = time.monotonic()
    result = on(CLIENT, f"docker pull {image}", check=False, timeout=timeout)
    return result.returncode == 0, time.monotonic() - start


def push_once(megabytes: int = 20) -> tuple[bool, float]:
    """(succeeded, seconds) of a push of a new image (one layer of fresh random data)."""
    image = f"{REGISTRY}/library/ha-push:{time.monotonic_ns()}"
    on(
        CLIENT,
        f"rm -rf /tmp/push && mkdir /tmp/push && head -c {megabytes}000000 /dev/urandom > /tmp/push/blob"
        f" && tar -C /tmp/push -c . | docker import - {image} >/dev/null",
    )
    start = time.monotonic()
    result = on(CLIENT, f"docker push {image}", check=False, timeout=600)
    seconds = time.monotonic() - start
    on(CLIENT, f"docker rmi {image} >/dev/null", check=False)
    return result.returncode == 0, seconds


@dataclass
class PullLoop:
    """Runs `action` (a pull through the load balancer, by default) over and over in a thread,
    until stopped or `limit`."""

    limit: int = 60
    action: Callable[[], tuple[bool, float]] = pull_once
    results: list[tuple[float, bool, float]] = field(default_factory=list)  # (start, ok, seconds)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._pulling_since: float | None = None

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.results) < self.limit:
            self._pulling_since = time.monotonic()
            ok, seconds = self.action()
            self.results.append((self._pulling_since, ok, seconds))
            self._pulling_since = None

    def __enter__(self) -> PullLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=120)
        if self._thread.is_alive() and self._pulling_since is not None:
            # A pull still hanging after two minutes is the failure this loop is here to catch.
            self.results.append((self._pulling_since, False, time.monotonic() - self._pulling_since))

    def wait_pulls(self, count: int, timeout: float = 120) -> None:
        """Wait until `count` more pulls have finished; fail if they do not within `timeout`."""
        deadline = time.monotonic() + timeout
        target = len(self.results) + count
        while len(self.results) < target:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{target - len(self.results)} of {count} pulls did not finish in {timeout} s"
                )
            time.sleep(0.1)

    @property
    def failed(self) -> int:
        return sum(1 for _, ok, _ in self.results if not ok)

    @property
    def slowest(self) -> float:
        return max(seconds for _, _, seconds in self.results)

    def report(self, name: str, window: float) -> str:
        return (
            f"{name}: {len(self.results)} pulls, {self.failed} failed, slowest {self.slowest:.2f} s, "
            f"detection window {window:.2f} s"
        )


def edit_hosts(inventory: Path, change) -> None:
    """Apply `change(groups)` to the groups of a copied inventory's hosts.yml."""
    path = inventory / "hosts.yml"
    hosts = yaml.safe_load(path.read_text())
    change(hosts["all"]["children"])
    path.write_text(yaml.safe_dump(hosts))


def fail_under_pulls(name: str, node: str, break_node, *, pulls_after: int = 12) -> PullLoop:
    """Break `node` while pulls run; return the loop once it is down and `pulls_after` more ran."""
    with PullLoop(limit=200) as loop:
        loop.wait_pulls(3)
        broken_at = time.monotonic()
        break_node()
        window = wait_for_lb(node, "DOWN", timeout=60)
        loop.wait_pulls(pulls_after)
    print(loop.report(name, window))  # the scenario's log keeps the figures
    assert window < MAX_DETECTION_SECONDS, loop.report(name, window)
    assert loop.failed <= MAX_FAILED_PULLS, loop.report(name, window)
    assert loop.slowest <= MAX_PULL_SECONDS, loop.report(name, window)
    assert broken_at > loop.results[0][0]
    return loop


def rejoins_and_serves(node: str) -> None:
    seconds = wait_for_lb(node, "UP", timeout=MAX_REJOIN_SECONDS)
    before = lb_servers()[node]["sessions"]
    for _ in range(6):
        assert pull_once()[0]
    assert lb_servers()[node]["sessions"] > before, f"{node} is UP after {seconds:.1f} s but serves nothing"
