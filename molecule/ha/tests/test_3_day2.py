"""Day-2 changes on the running cluster, made as an operator makes them (site.yml with the changed
inventory) while clients work: every restart they need goes through the drained, one-node-at-a-time
restart path (issue 11: items 0, 1, 2, 5, 11 and 12).

The tests run in this order and leave the sandbox as they found it: a port change under load, a
node broken by an engine setting the preflight cannot judge, the corrected run that brings it back
(and restarts both engines, and moves the port back, with a push cut by a short drain timeout),
then a rotation of the database and Redis passwords under a login loop (the sandbox keeps the new
passwords in its generated.yml).
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import re
import shlex
import time
import uuid

import pytest
import yaml
from bedhelpers import ANSI, ansible_playbook, failures
from ha_testlib import (
    CLIENT,
    INVENTORY,
    LB,
    LOGIN_PACE,
    MAX_FAILED_PULLS,
    NODES,
    PACE,
    PROXY_PORT,
    LbTimeline,
    PullLoop,
    SlowUpload,
    assert_rolled,
    edit_hosts,
    lb_check_events,
    lb_servers,
    login_once,
    on,
    pull_once,
    unit_started,
    wait_for_lb,
    why_pulls_failed,
)

CLUSTER = ["sandbox-harbor1", "sandbox-harbor2"]
BACKENDS = ["be_harbor_pull", "be_harbor_token", "be_harbor_read", "be_harbor_write"]
NEW_PORT = 8070
SHARE = "/mnt/cephfs/harbor"
RECORDS = "/var/lib/harbor-ha/pending-restarts"
# Pulls during a site.yml run compete with it for the two cores; a pull that waited for a node's
# restart (15 s and more) would take longer than this.
MAX_PULL_SECONDS_DURING_SITE = 10.0
# Accepted by the preflight (docker_log_max_file is checked, not what docker_daemon_options adds)
# and by dockerd, which refuses it only when it makes a container's logger.
BAD_ENGINE_OPTIONS = {"log-opts": {"max-file": "0"}}


def site(inventory, *args: str, extra_vars: dict | None = None):
    return ansible_playbook(
        "playbooks/site.yml", *args, inventory=inventory, extra_vars=extra_vars, timeout=1800
    )


def states(backend: str = "be_harbor_pull") -> dict[str, str]:
    return {node: server["status"] for node, server in lb_servers(backend).items()}


def assert_pulls_held(pulls: PullLoop, name: str, timeline: LbTimeline | None = None) -> None:
    print(pulls.report(name, 0))  # the scenario's log keeps the figures
    assert len(pulls.results) >= 6, pulls.report(name, 0)
    assert pulls.failed <= MAX_FAILED_PULLS, why_pulls_failed(pulls, pulls.report(name, 0), timeline)
    assert pulls.slowest <= MAX_PULL_SECONDS_DURING_SITE, pulls.report(name, 0)


def assert_nodes_at(port: int) -> None:
    """The load balancer sends every backend's traffic to the nodes at `port`, in its running state
    and in its configuration, and the nodes answer there."""
    for backend in BACKENDS:
        addresses = {node: server["address"] for node, server in lb_servers(backend).items()}
        assert addresses == {node: f"{NODES[node]}:{port}" for node in CLUSTER}, backend
    config = on(LB, "cat /etc/haproxy/haproxy.cfg").stdout
    for node in CLUSTER:
        assert f"server {node} {NODES[node]}:{port}" in config
        probe = f"curl -s -o /dev/null -w '%{{http_code}}' -H 'Host: {LB}:8080' http://{NODES[node]}:{port}/api/systeminfo"
        assert on(CLIENT, probe).stdout == "200"


def secrets() -> dict[str, str]:
    """Every secret of the sandbox: the inventory's (generated.yml) and the cluster's key set on the
    share (its private key by one line of its body)."""
    generated = yaml.safe_load((INVENTORY / "group_vars" / "all" / "generated.yml").read_text())
    found = {name: str(value) for name, value in generated.items() if name.startswith("vault_")}
    keys = f"{SHARE}/secrets/harbor"
    for name in ("ui_secret", "jobservice_secret", "secretkey"):
        found[name] = on(CLUSTER[0], f"cat {keys}/{name}").stdout.strip()
    found["private_key.pem"] = on(CLUSTER[0], f"sed -n 5p {keys}/private_key.pem").stdout.strip()
    assert all(len(value) >= 16 for value in found.values()), "a secret too short to look for"
    return found


def journal(node: str, since: float) -> list[tuple[float, str]]:
    """(time, message) of the harbor unit's journal on `node` since `since` (epoch seconds)."""
    out = on(node, f"journalctl --unit harbor.service --since @{int(since)} --output json --no-pager").stdout
    entries = [json.loads(line) for line in out.splitlines()]
    return [(int(e["__REALTIME_TIMESTAMP"]) / 1e6, str(e.get("MESSAGE", ""))) for e in entries]


def test_simultaneous_starts_take_turns_on_the_share(pushed):
    """Both nodes (re)started at once, as at a reboot of every node: Harbor 1.1's adminserver
    rewrites config.json on the share in place, so the second adminserver may start only once the
    first has written it. Each node's unit takes a lock on the share around its start."""
    since = time.time() - 1
    with concurrent.futures.ThreadPoolExecutor(len(CLUSTER)) as pool:
        list(pool.map(lambda node: on(node, "systemctl restart harbor.service", timeout=900), CLUSTER))
    for node in CLUSTER:
        wait_for_lb(node, "UP", timeout=120)
    created, finished = {}, {}
    for node in CLUSTER:
        entries = journal(node, since)
        created[node] = next(t for t, m in entries if m.startswith("Creating harbor-adminserver"))
        finished[node] = max(t for t, m in entries if m.startswith("Finished harbor.service"))
    first, second = sorted(CLUSTER, key=created.get)
    assert created[second] > finished[first], (
        f"{second}'s adminserver was made {created[second] - finished[first]:.1f} s after {first}'s "
        "start had finished: both adminservers started together"
    )
    # An adminserver that read a half-written config.json exits, and docker starts it again.
    for node in CLUSTER:
        restarts = on(node, "docker inspect --format '{{.RestartCount}}' harbor-adminserver").stdout.strip()
        assert restarts == "0", f"{node}'s adminserver restarted {restarts} time(s)"
    config = json.loads(on(CLUSTER[0], f"cat {SHARE}/data/config/config.json").stdout)
    assert config["mysql_host"] == "10.201.10.11"
    assert pull_once()[0]


def test_a_port_change_rolls_through_the_nodes_under_load(pushed):
    """cluster_node_port changes on a running cluster: each node in turn is drained, restarted on
    the new port, followed there by the load balancer and put back; no pull fails. The run is the
    least README allows for a port change, `--tags harbor,loadbalancer`, with -vv and --diff: no
    secret of the sandbox appears in its output."""
    since = time.monotonic()
    with PullLoop(limit=2000, interval=PACE) as pulls, LbTimeline() as timeline:
        pulls.wait_pulls(3)
        result = site(
            INVENTORY,
            "-vv",
            "--diff",
            "--tags",
            "harbor,loadbalancer",
            extra_vars={"cluster_node_port": NEW_PORT},
        )
        pulls.wait_pulls(3)
    output = ANSI.sub("", result.stdout)
    assert result.returncode == 0, output[-4000:]
    assert_pulls_held(pulls, "port change", timeline)
    assert_rolled(timeline, CLUSTER, "harbor.service", since)
    assert_nodes_at(NEW_PORT)
    for node in CLUSTER:
        refused = on(CLIENT, f"curl -s -o /dev/null http://{NODES[node]}:{PROXY_PORT}/", check=False)
        assert refused.returncode == 7, f"{node} still answers on {PROXY_PORT}"
    text = result.stdout + result.stderr
    leaked = [name for name, value in secrets().items() if value in text]
    assert not leaked, f"secrets in the output of site.yml -vv --diff: {leaked}"


def test_a_node_the_engine_cannot_run_stays_out_of_rotation_and_says_why(pushed, inventory_copy):
    """An engine setting that passes the preflight but makes every container fail (docker checks
    it only when it makes one) on node 1, with a log size change on both nodes, applied with
    `--tags docker`: node 1 restarts first, does not come back, and stops the run. It stays
    drained, the run says why, node 2 is left as it was (its engine restart still recorded) and
    serves every pull."""
    edit_hosts(
        inventory_copy,
        lambda groups: groups["harbor_nodes"]["hosts"].update(
            {"sandbox-harbor1": {"docker_daemon_options": BAD_ENGINE_OPTIONS}}
        ),
    )
    node2_engine = unit_started("sandbox-harbor2", "docker.service")
    with PullLoop(limit=2000, interval=PACE) as pulls:
        pulls.wait_pulls(3)
        result = site(
            inventory_copy,
            "--tags",
            "docker",
            extra_vars={"cluster_node_port": NEW_PORT, "docker_log_max_size": "20m"},
        )
        pulls.wait_pulls(3)
    output = ANSI.sub("", result.stdout)
    assert result.returncode != 0, output[-4000:]
    failed = failures(result)
    assert re.search(
        r"sandbox-harbor1 did not come back after its restart \(docker\.service\):.* It stays drained at"
        r" the load balancers and its restart stays recorded",
        failed,
    ), failed[-3000:]
    assert "max-file cannot be less than 1" in failed, failed[-3000:]
    assert_pulls_held(pulls, "failed restart")
    for backend in BACKENDS:
        node1, node2 = (states(backend)[node] for node in CLUSTER)
        # A tracking backend says "MAINT (via be_harbor_pull/sandbox-harbor1)".
        assert node1.startswith("MAINT") and node2 == "UP", (backend, node1, node2)
    assert on("sandbox-harbor1", f"cat {RECORDS}/engine").stdout == "docker.service\n"
    assert unit_started("sandbox-harbor2", "docker.service") == node2_engine
    assert on("sandbox-harbor2", f"cat {RECORDS}/engine").stdout == "docker.service\n"


def test_the_corrected_run_brings_the_node_back_and_restarts_each_engine_in_turn(pushed, admin_password):
    """The inventory as it was (the engine setting gone, the log size and the port back): both
    nodes' daemon.json change. Node 1, out of service, gets its engine restarted at once, then its
    recorded restart, and comes back; then node 2 is drained and its engine restarted, with no
    manual step and no failed pull. A push in flight on node 2 outlasts a drain timeout of 3 s:
    the run goes on, says which node it cut, and leaves both nodes in rotation."""
    assert states() == {"sandbox-harbor1": "MAINT", "sandbox-harbor2": "UP"}
    since = time.monotonic()
    upload = SlowUpload(admin_password)
    assert upload.node == "sandbox-harbor2"
    with PullLoop(limit=2000, interval=PACE) as pulls, LbTimeline() as timeline:
        pulls.wait_pulls(3)
        result = site(INVENTORY, extra_vars={"harbor_drain_timeout": 3})
        pulls.wait_pulls(3)
    cut = upload.wait()
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, output[-4000:]
    assert_pulls_held(pulls, "engine restarts", timeline)
    assert_rolled(timeline, CLUSTER, "docker.service", since)
    # The push was cut by node 2's restart, which went on after the drain timeout and said so.
    assert cut.returncode != 0, cut.stdout[-1000:]
    warning = re.search(r"\[WARNING\]: (sandbox-harbor2 still had .*? are cut\.)", " ".join(output.split()))
    assert warning, output[-4000:]
    assert "after 3 s of draining" in warning[1] and "in be_harbor_write" in warning[1], warning[1]
    for backend in BACKENDS:
        assert states(backend) == dict.fromkeys(CLUSTER, "UP"), backend
    assert_nodes_at(PROXY_PORT)
    for node in CLUSTER:
        log_config = on(node, "docker inspect --format '{{json .HostConfig.LogConfig}}' harbor-log").stdout
        assert json.loads(log_config)["Config"] == {"max-file": "3", "max-size": "10m"}, node
        assert on(node, f"ls -A {RECORDS}").stdout == "", node


GENERATED = INVENTORY / "group_vars" / "all" / "generated.yml"
# Logins are made one after the other, each a docker exec on the client and two requests.
MIN_LOGINS_DURING_ROTATION = 20
# Logs in to MySQL or Redis from a Harbor node, as the node's Harbor does: exit status 0 if accepted.
_BACKEND_LOGIN = """
import socket, sys, pymysql
kind, host, port, user, password = sys.argv[1:]
if kind == "mysql":
    try:
        pymysql.connect(host=host, port=int(port), user=user, password=password, connect_timeout=5).close()
    except pymysql.err.OperationalError as exc:
        sys.exit(f"refused: {exc}")
else:
    s = socket.create_connection((host, int(port)), timeout=5)
    word = password.encode()
    s.sendall(b"*2\\r\\n$4\\r\\nAUTH\\r\\n$%d\\r\\n%s\\r\\n" % (len(word), word))
    answer = s.recv(256).decode()
    sys.exit(0 if answer.startswith("+OK") else f"refused: {answer.strip()}")
"""


def rotate_in_vault(names: list[str]) -> dict[str, tuple[str, str]]:
    """New values for `names` in the sandbox's generated.yml (its vault), as an operator changes
    them: {name: (old, new)}."""
    changed, lines = {}, []
    for line in GENERATED.read_text().splitlines():
        key, sep, value = line.partition(": ")
        if sep and key in names:
            changed[key] = (json.loads(value), f"rotated-{uuid.uuid4().hex}")
            lines.append(f"{key}: {json.dumps(changed[key][1])}")
        else:
            lines.append(line)
    assert sorted(changed) == sorted(names), f"{names} not all in {GENERATED}"
    GENERATED.write_text("\n".join(lines) + "\n")
    return changed


def backend_accepts(kind: str, password: str) -> bool:
    host, port, user = {"mysql": ("10.201.10.11", 3306, "harbor"), "redis": ("10.201.10.12", 6379, "-")}[kind]
    script = f"python3 -c '{_BACKEND_LOGIN}' {kind} {host} {port} {user} {shlex.quote(password)}"
    return on(CLUSTER[0], script, check=False).returncode == 0


def container_env(node: str, container: str) -> dict[str, str]:
    """The environment of `container` on `node` as the engine gave it (after compose read the env files)."""
    env = json.loads(on(node, f"docker inspect --format '{{{{json .Config.Env}}}}' {container}").stdout)
    return dict(item.split("=", 1) for item in env)


def test_a_password_rotation_loses_no_login(pushed, admin_password):
    """Harbor's database and Redis passwords changed in the vault and applied with site.yml while a
    client logs in through the load balancer over and over (each login checks the password in the
    database and opens a session in Redis that the next request reads, on either node): no login
    fails. Both servers accept the old and the new password until the last node has restarted with
    the new ones, one node at a time; then the old ones are refused."""
    rotated = rotate_in_vault(["vault_harbor_db_password", "vault_redis_password"])
    (db_old, db_new), (redis_old, redis_new) = (
        rotated["vault_harbor_db_password"],
        rotated["vault_redis_password"],
    )
    assert backend_accepts("mysql", db_old) and backend_accepts("redis", redis_old)
    since, since_epoch = time.monotonic(), time.time()
    login = functools.partial(login_once, admin_password)
    with (
        PullLoop(limit=5000, action=login, noun="logins", interval=LOGIN_PACE) as logins,
        LbTimeline() as timeline,
    ):
        logins.wait_pulls(3)
        result = site(INVENTORY)
        logins.wait_pulls(3)
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, output[-4000:]
    print(logins.report("password rotation", 0))  # the scenario's log keeps the figures
    assert len(logins.results) >= MIN_LOGINS_DURING_ROTATION, logins.report("password rotation", 0)
    assert logins.failed == 0, (
        f"{logins.report('password rotation', 0)}; {timeline.summary(CLUSTER)};"
        f" HAProxy said: {lb_check_events(since_epoch)[-12:]}"
    )
    assert_rolled(timeline, CLUSTER, "harbor.service", since)
    for node in CLUSTER:
        assert container_env(node, "harbor-adminserver")["MYSQL_PWD"] == db_new, node
        assert f",{redis_new}," in container_env(node, "harbor-ui")["_REDIS_URL"], node
    assert backend_accepts("mysql", db_new) and backend_accepts("redis", redis_new)
    assert not backend_accepts("mysql", db_old), "the old database password still logs in"
    assert not backend_accepts("redis", redis_old), "the old Redis password still logs in"
    assert login()[0]


@pytest.fixture(scope="module", autouse=True)
def in_rotation_afterwards():
    yield
    assert states() == dict.fromkeys(CLUSTER, "UP")
