"""Facts and tools of the ha scenario's tests: the sandbox topology, driven from the controller."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

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
# The bounds a cluster under load is held to: no failed pull, and no pull stalled over 3 s (a hung
# node costs a pull one wait of at most 1.7 s, then the load balancer replays the stalled request
# on another node); a failed node leaves the rotation within 10 s and comes back within 2 min.
# A node's failure is met by docker pulls and by pulls on the wire (WirePulls: the registry
# protocol's requests, retried only in the one case below, where the engine retries a failed
# layer download by itself), both held to these bounds.
# One case no load balancer can replay: a node that hangs while it is sending a layer. The answer
# has begun, so the load balancer cuts it after the pull timeout (1.7 s), and the client must fetch
# the layer again. The engine does, after its own wait of 5 s (moby distribution/xfer: "Retrying
# in 5 seconds", delay = retries x 5 s), and the wire loop does at once. Such a pull is "resumed":
# it must still succeed, only the one pull in flight when the node broke can be resumed, and it is
# held to the cut, the engine's wait and the 3 s bound together.
MAX_FAILED_PULLS = 0
MAX_PULL_SECONDS = 3.0
PULL_TIMEOUT_SECONDS = 1.7  # loadbalancer_pull_timeout's default
ENGINE_LAYER_RETRY_SECONDS = 5.0
MAX_RESUMED_PULL_SECONDS = PULL_TIMEOUT_SECONDS + ENGINE_LAYER_RETRY_SECONDS + MAX_PULL_SECONDS
MAX_DETECTION_SECONDS = 10.0
MAX_REJOIN_SECONDS = 120.0
# The clients of the day-2 tests (a rolling change under load): a pull starts every PACE seconds
# and a login every LOGIN_PACE seconds (PullLoop.interval). Back to back, the login loop made ~7
# logins a second (each a docker exec and two requests through HAProxy, Harbor and Redis) on a
# two-core machine that also runs the nodes, their health checks and the playbook under test.
PACE = 1.0
LOGIN_PACE = 0.5

# Reads the load balancer's server states through its admin socket (run with python3 on the LB).
_SHOW_STAT = """
import csv, io, json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect("/run/haproxy/admin.sock"); s.sendall(b"show stat\\n")
data = b"".join(iter(lambda: s.recv(65536), b"")).decode()
rows = csv.DictReader(io.StringIO(data[2:]))
print(json.dumps({r["svname"]: {"status": r["status"], "sessions": int(r["stot"] or 0),
                                "current": int(r["scur"] or 0), "address": r["addr"]}
                  for r in rows if r["pxname"] == sys.argv[1] and r["type"] == "2"}))
"""


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """The docker CLI of the machine the test hosts run on."""
    return subprocess.run(["docker", *args], text=True, capture_output=True, check=check, timeout=timeout)


def on(host: str, command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return docker("exec", host, "sh", "-c", command, check=check, timeout=timeout)


def hang_harbor(node: str) -> None:
    """Every Harbor process on `node` paused: its sockets accept and nothing answers. The node's
    engine pauses them: its containers live beside the node's own in the machine's cgroup tree
    (the bed's hosts share the host's cgroup namespace), so `docker pause` of the node would
    leave Harbor answering."""
    on(node, "docker pause $(docker ps -q)")


def wake_harbor(node: str) -> None:
    """Harbor's processes on `node` running again after hang_harbor."""
    on(node, "docker unpause $(docker ps -q --filter status=paused)")


def lb_servers(backend: str = "be_harbor_pull") -> dict[str, dict]:
    """{node: {status, sessions, current, address}} in `backend` as the load balancer sees them
    (sessions: total so far; current: open now; address: address:port)."""
    return json.loads(on(LB, f"python3 -c '{_SHOW_STAT}' {backend}").stdout)


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


class Attempt(NamedTuple):
    """One pull, push or login of a PullLoop."""

    ok: bool
    seconds: float
    resumed: bool = False  # a layer fetched again after its answer was cut (see the bounds above)
    error: str = ""  # what failed, where the action can say
    output: str = ""  # what the action printed (a docker pull: the engine's progress lines)


def docker_pull(image: str = IMAGE, timeout: float = 600) -> Attempt:
    """One full pull through the load balancer (layers included), timed on the client as its user
    sees it: from `docker pull` to its end (the seconds `docker exec` takes to reach the client on
    a loaded test machine are not the registry's). Resumed: the engine fetched a layer again after
    a failed download (it printed "Retrying in"). Its output: the engine's lines, each with the
    seconds into the pull it came at."""
    on(CLIENT, f"docker rmi -f {image} >/dev/null 2>&1; true", check=False)
    start = time.monotonic()
    pull = f"bash -c {shlex.quote(_TIMED_PULL.format(image=image))}"
    result = on(CLIENT, pull, check=False, timeout=timeout)
    seconds = time.monotonic() - start
    began = None
    if re.fullmatch(r"[\d.]+ [\d.]+", result.stdout.strip()):
        began, ended = map(float, result.stdout.split())
        seconds = ended - began

    def since_start(line: str) -> str:
        at, _, text = line.partition(" ")
        if began is None or not re.fullmatch(r"[\d.]+", at):
            return line
        return f"+{float(at) - began:.2f} s {text}"

    output = "\n".join(since_start(line) for line in result.stderr.splitlines())
    return Attempt(result.returncode == 0, seconds, resumed="Retrying in" in result.stderr, output=output)


# A docker pull on the client, in bash: each line it prints with the time it came (stderr), then
# its start and end (stdout); its exit code is the pull's.
_TIMED_PULL = (
    "set -o pipefail; s=$EPOCHREALTIME; docker pull {image} 2>&1"
    ' | while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done >&2;'
    ' rc=$?; echo "$s $EPOCHREALTIME"; exit $rc'
)


def pull_once(image: str = IMAGE, timeout: float = 600) -> tuple[bool, float]:
    """(succeeded, seconds) of one full pull through the load balancer: docker_pull."""
    attempt = docker_pull(image, timeout)
    return attempt.ok, attempt.seconds


def login_once(password: str) -> Attempt:
    """A login through the load balancer as the web UI makes it (POST /login: the ui checks the
    password in the database and opens a session in Redis), then the session read back through the
    load balancer (GET /api/users/current: either node's ui). Its error names the request that
    failed and the status it got (000: no answer)."""
    jar = f"/tmp/login-{time.monotonic_ns()}"
    command = (
        f"curl -s -c {jar} -o /dev/null -w '%{{http_code}}\\n' --data-urlencode principal=admin"
        f" --data-urlencode password={shlex.quote(password)} http://{REGISTRY}/login;"
        f" curl -s -b {jar} -w '\\n%{{http_code}}' http://{REGISTRY}/api/users/current; rm -f {jar}"
    )
    start = time.monotonic()
    result = on(CLIENT, command, check=False)
    seconds = time.monotonic() - start
    posted, _, rest = result.stdout.partition("\n")
    body, _, read = rest.rpartition("\n")
    if not posted.startswith(("2", "3")):
        return Attempt(False, seconds, error=f"POST /login answered {posted or '?'}")
    if read != "200" or not re.search(r'"username": ?"admin"', body):
        return Attempt(False, seconds, error=f"GET /api/users/current answered {read or '?'}: {body[:80]!r}")
    return Attempt(True, seconds)


def push_once(megabytes: int = 20) -> Attempt:
    """A push of a new image (one layer of fresh random data), with what docker printed."""
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
    return Attempt(result.returncode == 0, seconds, output=f"{result.stdout}{result.stderr}".strip())


@dataclass
class PullLoop:
    """Runs `action` (a pull through the load balancer, by default) over and over in a thread,
    until stopped or `limit`."""

    limit: int = 60
    # One pull: an Attempt, or (ok, seconds).
    action: Callable[[], tuple] = docker_pull
    noun: str = "pulls"  # what `action` does, for the report
    # The least time from one start to the next. 0: back to back, for the failover tests, which
    # need pulls in flight when the node breaks. A day-2 run under a paced loop still meets a
    # client every `interval` seconds, and the loop leaves the machine to what it watches.
    interval: float = 0.0
    results: list[tuple[float, bool, float]] = field(default_factory=list)  # (start, ok, seconds)
    resumed: list[float] = field(default_factory=list)  # the starts of the resumed pulls
    errors: list[str] = field(default_factory=list)  # what each failed one met, when the action says
    outputs: dict[float, str] = field(default_factory=dict)  # {start: what the action printed}

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._pulling_since: float | None = None
        self.began = self.began_wall = 0.0  # when the loop began: monotonic, epoch

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.results) < self.limit:
            self._pulling_since = time.monotonic()
            attempt = Attempt(*self.action())
            if attempt.resumed:
                self.resumed.append(self._pulling_since)
            if attempt.error:
                self.errors.append(f"{attempt.error} at {self._pulling_since:.1f}")
            if attempt.output:
                self.outputs[self._pulling_since] = attempt.output
            self.results.append((self._pulling_since, attempt.ok, attempt.seconds))
            started, self._pulling_since = self._pulling_since, None
            self._stop.wait(started + self.interval - time.monotonic())

    def __enter__(self) -> PullLoop:
        self.began, self.began_wall = time.monotonic(), time.time()
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

    @property
    def slowest_whole(self) -> float:
        """The slowest pull that fetched every layer once (not resumed)."""
        return max((seconds for start, _, seconds in self.results if start not in self.resumed), default=0.0)

    def slower_than(self, bound: float, since: float, mark: str = "the break") -> list[str]:
        """Each pull over `bound` seconds: when it started (seconds from `since`, a monotonic
        time: the moment `mark`), how long it took and what it printed."""
        return [self._describe(result, since, mark) for result in self.results if result[2] > bound]

    def failures(self, since: float, mark: str) -> list[str]:
        """Each failed pull, as slower_than tells it."""
        return [self._describe(result, since, mark) for result in self.results if not result[1]]

    def _describe(self, result: tuple[float, bool, float], since: float, mark: str) -> str:
        start, ok, seconds = result
        return (
            f"{self.noun} started {start - since:+.2f} s from {mark} (monotonic {start:.1f}),"
            f" {'ok' if ok else 'FAILED'} in"
            f" {seconds:.2f} s{' (resumed)' if start in self.resumed else ''}:"
            f" {' | '.join(self.outputs.get(start, '').splitlines()[-12:]) or '(no output)'}"
        )

    def report(self, name: str, window: float) -> str:
        resumed = [seconds for start, _, seconds in self.results if start in self.resumed]
        return (
            f"{name}: {len(self.results)} {self.noun}, {self.failed} failed, slowest {self.slowest:.2f} s, "
            f"detection window {window:.2f} s"
            + (f", resumed after a cut layer: {', '.join(f'{s:.2f} s' for s in resumed)}" if resumed else "")
            + (f"; failures: {self.errors[:5]}" if self.errors else "")
        )


def admin_password() -> str:
    """The admin's password of the topology's inventory (its generated secrets)."""
    generated = yaml.safe_load((INVENTORY / "group_vars" / "all" / "generated.yml").read_text())
    return generated["vault_harbor_admin_password"]


# A pull as the registry protocol makes it, what `docker pull` sends without the engine's own work:
# the ping, a token for the repository with the client's credentials, the manifest, then the
# config and each layer, checked against their digests. A layer whose answer is cut after it began
# is fetched again once, at once (the engine does the same after its wait, see the bounds above);
# anything else that fails fails the pull. One process on the client, a pull every 0.2 s until its
# stdin closes; one line per pull: "<monotonic start> <ok> <seconds> <resumed> <what failed>".
_WIRE_PULLS = r"""
import base64, hashlib, http.client, json, os, re, sys, threading, time
import urllib.error, urllib.parse, urllib.request
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
registry, repository, reference = sys.argv[1:4]
basic = "Basic " + base64.b64encode(os.environ["PULL_CREDENTIALS"].encode()).decode()
accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"

class Cut(Exception):
    "An answer that began and ended before its end."

def get(url, headers):
    try:
        answer = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    with answer:
        try:
            return answer.status, answer.headers, answer.read()
        except (http.client.IncompleteRead, ConnectionError) as exc:
            raise Cut(repr(exc)) from exc

def pull(state):
    status, headers, _ = get(f"http://{registry}/v2/", {})
    if status != 401:
        return f"ping answered {status}"
    challenge = dict(re.findall(r'(\w+)="([^"]*)"', headers.get("WWW-Authenticate", "")))
    scope = f"repository:{repository}:pull"
    scope = urllib.parse.urlencode({"service": challenge["service"], "scope": scope})
    status, _, body = get(f"{challenge['realm']}?{scope}", {"Authorization": basic})
    if status != 200:
        return f"token answered {status}"
    bearer = {"Authorization": "Bearer " + json.loads(body)["token"]}
    url = f"http://{registry}/v2/{repository}"
    status, _, body = get(f"{url}/manifests/{reference}", {**bearer, "Accept": accept})
    if status != 200:
        return f"manifest answered {status}"
    manifest = json.loads(body)
    for blob in [manifest["config"], *manifest["layers"]]:
        try:
            status, _, data = get(f"{url}/blobs/{blob['digest']}", bearer)
        except Cut:
            if state["resumed"]:
                raise
            state["resumed"] = True
            status, _, data = get(f"{url}/blobs/{blob['digest']}", bearer)
        if status != 200 or "sha256:" + hashlib.sha256(data).hexdigest() != blob["digest"]:
            return f"blob {blob['digest']} answered {status}"
    return ""

while True:
    start, state = time.monotonic(), {"resumed": False}
    try:
        error = pull(state)
    except Exception as exc:
        error = repr(exc)
    seconds, resumed = time.monotonic() - start, int(state["resumed"])
    print(start, int(not error), seconds, resumed, error.replace(chr(10), " "), flush=True)
    time.sleep(0.2)
"""


class WirePulls(PullLoop):
    """Pulls of `image` as the registry protocol makes them (_WIRE_PULLS), timed on the client at
    the wire while in the `with` block: what the load balancer and the nodes answer, without the
    engine's own work. `errors` says what each failed pull met."""

    def __init__(self, image: str = IMAGE, password: str | None = None) -> None:
        super().__init__(limit=0, noun="pulls on the wire")
        registry, _, path = image.partition("/")
        repository, _, reference = path.rpartition(":")
        self._argv = [registry, repository, reference]
        self._credentials = f"admin:{password or admin_password()}"

    def _read(self) -> None:
        for line in self._process.stdout:
            start, ok, seconds, resumed, *error = line.rstrip("\n").split(" ", 4)
            if error and error[0]:
                self.errors.append(f"{error[0]} at {float(start):.1f}")
            if resumed == "1":
                self.resumed.append(float(start))
            self.results.append((float(start), ok == "1", float(seconds)))

    def __enter__(self) -> WirePulls:
        self._process = subprocess.Popen(
            [
                "docker",
                "exec",
                "-i",
                "-e",
                f"PULL_CREDENTIALS={self._credentials}",
                CLIENT,
                "python3",
                "-c",
                _WIRE_PULLS,
                *self._argv,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def __exit__(self, *exc) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=120)
        self._reader.join(timeout=30)


# Prints every node's status in be_harbor_pull at the load balancer, 5 times a second, as lines of
# "<monotonic time> <json>", until its stdin closes: one process on the LB for a whole test.
_SAMPLE_STATES = """
import csv, io, json, os, socket, sys, threading, time
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
while True:
    s = socket.socket(socket.AF_UNIX); s.connect("/run/haproxy/admin.sock"); s.sendall(b"show stat\\n")
    data = b"".join(iter(lambda: s.recv(65536), b"")).decode(); s.close()
    rows = csv.DictReader(io.StringIO(data[2:]))
    states = {r["svname"]: r["status"] for r in rows if r["pxname"] == "be_harbor_pull" and r["type"] == "2"}
    print(time.monotonic(), json.dumps(states), flush=True)
    time.sleep(0.2)
"""


class LbTimeline:
    """Samples every node's status at the load balancer while in its `with` block:
    [(monotonic time, {node: status})]. The sampler runs on the LB (one process, not one docker
    exec per sample, which would load the machine the pulls are timed on)."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, dict[str, str]]] = []

    def _read(self) -> None:
        for line in self._process.stdout:
            when, states = line.split(" ", 1)
            self.samples.append((float(when), json.loads(states)))

    def __enter__(self) -> LbTimeline:
        self._process = subprocess.Popen(
            ["docker", "exec", "-i", LB, "python3", "-c", _SAMPLE_STATES],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=30)
        self._thread.join(timeout=30)
        assert self.samples, "the load balancer's states were never sampled"

    def out_of_rotation(self, node: str) -> list[tuple[float, float]]:
        """The periods (first, last sample) in which `node` was drained or in maintenance."""
        periods: list[list[float]] = []
        inside = False
        for when, states in self.samples:
            out = states.get(node, "").startswith(("DRAIN", "MAINT"))
            if out and inside:
                periods[-1][1] = when
            elif out:
                periods.append([when, when])
            inside = out
        return [(first, last) for first, last in periods]

    def periods(self, node: str) -> list[tuple[str, float, float]]:
        """(state, first sample, last sample) of each run of samples in which `node` was not UP."""
        runs: list[list] = []
        previous = "UP"
        for when, states in self.samples:
            state = states.get(node, "?")
            if state != "UP" and state == previous:
                runs[-1][2] = when
            elif state != "UP":
                runs.append([state, when, when])
            previous = state
        return [(state, first, last) for state, first, last in runs]

    def summary(self, nodes: list[str]) -> str:
        """When each of `nodes` was out of rotation, and in which states besides UP, for a report."""
        parts = []
        for node in nodes:
            out = ", ".join(f"{first:.1f}-{last:.1f}" for first, last in self.out_of_rotation(node))
            states = ", ".join(f"{state} {first:.1f}-{last:.1f}" for state, first, last in self.periods(node))
            parts.append(f"{node} out {out or 'never'} (not UP: {states or 'never'})")
        return "; ".join(parts)


def lb_journal(since: float) -> list[str]:
    """The load balancer's journal since `since` (epoch seconds): HAProxy's events and its log of
    every request."""
    journal = on(LB, f"journalctl --since @{int(since)} --output short-precise --no-pager", check=False)
    return journal.stdout.splitlines()


def lb_check_events(since: float) -> list[str]:
    """HAProxy's own words, since `since` (epoch seconds), on every server that went DOWN or
    came UP by its checks and every backend left without a server (maintenance is left out): why a
    node left the rotation, for a failure's report."""
    return check_events(lb_journal(since))


def check_events(journal: list[str]) -> list[str]:
    """The lines of the load balancer's `journal` that lb_check_events keeps."""
    wanted = re.compile(r"is (DOWN|UP)\b|no server available")
    # Tracking servers repeat what their tracked server said ("via"); stderr repeats the log, and
    # the log has two facilities: one line per hundredth of a second and message.
    unwanted = re.compile(r"maintenance| via |\[(WARNING|ALERT)\]")
    lines = [line for line in journal if wanted.search(line) and not unwanted.search(line)]
    return list({(line[:18], line.partition(": ")[2]): line for line in lines}.values())


def unit_started(host: str, unit: str) -> float:
    """When `unit` last became active on `host`, on this machine's monotonic clock (the
    containers share its kernel, so systemd's monotonic timestamps compare with time.monotonic())."""
    value = on(host, f"systemctl show {unit} --property=ActiveEnterTimestampMonotonic --value").stdout
    return int(value) / 1e6


def assert_rolled(timeline: LbTimeline, nodes: list[str], unit: str, since: float) -> None:
    """`unit` restarted on each of the two `nodes` after `since`, while that node was out of rotation, and the
    nodes were out of rotation one after the other."""
    periods = {}
    for node in nodes:
        started = unit_started(node, unit)
        assert started > since, f"{unit} did not restart on {node}"
        out = timeline.out_of_rotation(node)
        around = [(first, last) for first, last in out if first <= started <= last]
        assert around, (
            f"{unit} restarted on {node} {started - since:.1f} s into the run, while the node was in "
            f"rotation (out of rotation: {[(round(a - since, 1), round(b - since, 1)) for a, b in out]})"
        )
        periods[node] = around[0]
    (_, first_back), (second_out, _) = sorted(periods.values())
    assert first_back < second_out, f"both nodes were out of rotation at once: {periods}"


# A blob upload as docker push sends it (one PATCH, chunked), endless and slow: it stays in flight
# on its node until something cuts it. $1: the admin's password.
_SLOW_UPLOAD = f"""
set -e
url=http://{REGISTRY} repository=library/ha-slow
scope="service=harbor-registry&scope=repository:$repository:push"
token=$(curl -sf -u "admin:$1" "$url/service/token?$scope" \\
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
auth="Authorization: Bearer $token"
location=$(curl -sf -o /dev/null -D - -X POST -H "$auth" "$url/v2/$repository/blobs/uploads/" \\
  | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p')
case "$location" in http*) ;; *) location="$url$location" ;; esac
head -c 500000000 /dev/zero | curl -sS -f --limit-rate 20k -X PATCH -T - \\
  -H 'Content-Type: application/octet-stream' -H "$auth" "$location"
"""


class SlowUpload:
    """A slow push in flight through the load balancer (in a thread): `node` is the node it went
    to, `result` the upload's end (a cut upload fails)."""

    def __init__(self, password: str) -> None:
        self.result: subprocess.CompletedProcess | None = None
        self._thread = threading.Thread(
            target=lambda: setattr(
                self,
                "result",
                docker("exec", CLIENT, "sh", "-c", _SLOW_UPLOAD, "sh", password, check=False, timeout=1800),
            ),
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [n for n, s in lb_servers("be_harbor_write").items() if s["current"]]
            if busy:
                self.node = busy[0]
                return
            if self.result is not None:
                raise AssertionError(f"the slow upload ended at once: {self.result.stderr[-1000:]}")
            time.sleep(0.2)
        raise AssertionError(f"no upload in flight at the load balancer: {lb_servers('be_harbor_write')}")

    def wait(self, timeout: float = 120) -> subprocess.CompletedProcess:
        self._thread.join(timeout=timeout)
        assert self.result is not None, f"the slow upload to {self.node} is still in flight"
        return self.result


def edit_hosts(inventory: Path, change) -> None:
    """Apply `change(groups)` to the groups of a copied inventory's hosts.yml."""
    path = inventory / "hosts.yml"
    hosts = yaml.safe_load(path.read_text())
    change(hosts["all"]["children"])
    path.write_text(yaml.safe_dump(hosts))


def fail_under_pulls(
    name: str, node: str, break_node, *, pulls_after: int = 12
) -> tuple[PullLoop, WirePulls]:
    """Break `node` while docker pulls and pulls on the wire run; return both loops once it is down
    and `pulls_after` more docker pulls ran."""
    with PullLoop(limit=200) as loop, WirePulls() as wire:
        loop.wait_pulls(3)
        wire.wait_pulls(3)
        broken_at, broken_wall = time.monotonic(), time.time()
        break_node()
        window = wait_for_lb(node, "DOWN", timeout=60)
        loop.wait_pulls(pulls_after)
    report = f"{loop.report(name, window)}; {wire.report(name, window)}"
    print(report)  # the scenario's log keeps the figures
    try:
        _hold_to_the_bounds(report, window, broken_at, loop, wire)
    except AssertionError as failure:
        # What a failed bound needs to be understood: the slow pulls with what the engine printed,
        # the client engine's log and the load balancer's unusual answers over the same seconds.
        slow = [line for pulls in (loop, wire) for line in pulls.slower_than(MAX_PULL_SECONDS, broken_at)]
        raise AssertionError("\n".join([str(failure), *slow, *failover_logs(broken_wall - 5)])) from None
    return loop, wire


# One line of HAProxy's httplog: "... be/server Tq/Tw/Tc/Tr/Ta status bytes - - STATE conns retries"
# (status -1: no answer at all).
_HTTPLOG = re.compile(
    r" \S+/\S+ -?\d+/-?\d+/-?\d+/-?\d+/(-?\d+) -?\d+ \d+ \S+ \S+ (\S{4}) \S+/\S+/\S+/\S+/(\+?\d+) "
)


def failover_logs(since: float) -> list[str]:
    """What the client's engine logged since `since` (epoch seconds), the load balancer's check
    events, and every answer of the load balancer since then that was cut, retried, redispatched
    or took over a second. Left out: the engine's first try of every pull, over https, and the
    load balancer's 400 to it (the registry is insecure: the engine falls back to http)."""
    engine = on(CLIENT, f"journalctl -u docker --since @{int(since)} --output short-precise", check=False)
    journal = lb_journal(since)
    unusual = [
        line
        for line in journal
        if (match := _HTTPLOG.search(line))
        and (match[2] != "----" or match[3] != "0" or int(match[1]) > 1000)
        and "<BADREQ>" not in line
    ]
    return [
        "client engine:",
        *[line for line in engine.stdout.splitlines() if "HTTP response to HTTPS client" not in line][-40:],
        "load balancer, checks:",
        *check_events(journal),
        "load balancer, answers cut, retried or slow:",
        *unusual[-40:],
    ]


def why_pulls_failed(pulls: PullLoop, report: str, timeline: LbTimeline | None = None) -> str:
    """A failed-pull assertion's message: the report, each failed pull with what the engine printed,
    the load balancer's view of the nodes meanwhile (from `timeline`) and the logs failover_logs
    keeps, all since the loop began. Evaluated only when the assertion fails: it reads logs on the
    hosts."""
    lines = [report, *pulls.failures(pulls.began, "the loop's start")]
    if timeline is not None and timeline.samples:
        nodes = sorted(timeline.samples[-1][1])
        lines.append(f"load balancer, the nodes' states (monotonic): {timeline.summary(nodes)}")
    return "\n".join([*lines, *failover_logs(pulls.began_wall - 5)])


def _hold_to_the_bounds(
    report: str, window: float, broken_at: float, loop: PullLoop, wire: WirePulls
) -> None:
    assert window < MAX_DETECTION_SECONDS, report
    assert loop.failed <= MAX_FAILED_PULLS and wire.failed <= MAX_FAILED_PULLS, report
    for pulls in (loop, wire):
        assert pulls.slowest_whole <= MAX_PULL_SECONDS, report
        # Only the pull in flight when the node broke can meet a layer cut mid-answer; once the
        # node is out of the rotation no layer comes from it.
        assert len(pulls.resumed) <= 1 and all(start < broken_at + window for start in pulls.resumed), report
        assert pulls.slowest <= MAX_RESUMED_PULL_SECONDS, report
    assert broken_at > loop.results[0][0] and broken_at > wire.results[0][0]
    assert any(start > broken_at for start, _, _ in wire.results), report


def rejoins_and_serves(node: str) -> None:
    seconds = wait_for_lb(node, "UP", timeout=MAX_REJOIN_SECONDS)
    before = lb_servers()[node]["sessions"]
    for _ in range(6):
        assert pull_once()[0]
    assert lb_servers()[node]["sessions"] > before, f"{node} is UP after {seconds:.1f} s but serves nothing"
