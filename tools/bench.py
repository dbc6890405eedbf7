#!/usr/bin/env python3
"""Benchmark of the collection on this machine's test bed (not a test: it prints figures).

    python3 tools/testbed.py bench [1.1] [2.x]

On its own containers (bench-*, 10.201.20.0/24: Ceph, the database, Redis, four Harbor nodes from
the test installer, HAProxy, a client), once for Harbor 1.1 (inventories/sandbox: MariaDB) and once
for Harbor 2.x (inventories/sandbox2's settings: PostgreSQL, 2.15.2), it measures and prints:
- the converge time of each role from bare hosts (site.yml on two nodes, profile_roles);
- the time of a no-op re-run of site.yml with two and with four Harbor nodes, and their ratio;
  the no-op run's time per role;
  the tasks such a run executes, and its time over a play that only gathers the same hosts'
  facts (the floor of any run);
- the failover window, the failed and the slowest pulls when a node stops and when it hangs (docker
  pulls, and pulls on the wire: the registry protocol's requests timed without the engine's work);
- the pull throughput of a ~100 MB image through the load balancer and straight from one node;
- a backup (playbooks/backup.yml) of that registry: how long writes were paused, and its whole
  time.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".cache" / "bench"
os.environ["HARBOR_HA_TOPOLOGY"] = "bench"
sys.path.insert(0, str(ROOT / "molecule" / "ha" / "tests"))
import ha_testlib as bed  # noqa: E402 - the topology is chosen by the environment above
import yaml  # noqa: E402

BIG_IMAGE = f"{bed.REGISTRY}/library/bench-100mb:1"
ROLE_TIME = re.compile(r"^(\S[^\n]*?) -{3,} (\d+\.\d+)s$", re.M)


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


# The Harbor lines the bench measures: the sandbox whose settings each takes, and its subnet. The
# hosts are the bench's (inventories/sandbox's shape): the database and Redis on hosts of their own.
LINES = {"1.1": ("sandbox", "10.201.10."), "2.x": ("sandbox2", "10.201.11.")}


def inventory(nodes: int, line: str = "1.1") -> Path:
    """The line's sandbox renamed for the bench's containers, with `nodes` Harbor nodes."""
    target = WORK / f"inventory-{line}-{nodes}"
    if target.exists():
        shutil.rmtree(target)
    sandbox, subnet = LINES[line]
    shutil.copytree(bed.PROJECT / "inventories" / sandbox, target)
    shutil.copy(bed.PROJECT / "inventories" / "sandbox" / "hosts.yml", target / "hosts.yml")
    for path in target.rglob("*.yml"):
        text = path.read_text()
        for old, new in ((f"{sandbox}-", "bench-"), ("sandbox-", "bench-"), (subnet, "10.201.20.")):
            text = text.replace(old, new)
        if path.name == "hosts.yml":
            extra = "".join(f"        bench-harbor{n}:\n" for n in range(3, nodes + 1))
            text = text.replace("        # bench-harbor3:\n", extra)
        path.write_text(text)
    return target


RECAP = re.compile(
    r"^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)\s+skipped=(\d+)", re.M
)
# The floor of any run over site.yml's hosts: only their facts, as site.yml's first play gathers them.
FACTS_ONLY = """\
- name: Facts only
  hosts: harbor_nodes:harbor_db:harbor_redis:harbor_lb:harbor_clients
  gather_facts: true
  gather_subset: [min, network]
  tasks: []
"""


def task_count(out: str) -> tuple[int, int]:
    """(task banners, task results over all hosts) of a run: TASK headers, and ok+changed+failed+skipped.

    Under the free strategy a task's banner can be printed again for a later host: the results are
    the count that does not depend on the strategy."""
    return out.count("\nTASK ["), sum(sum(map(int, row)) for row in RECAP.findall(out))


def site(
    inv: Path, *, profile: bool = False, playbook: Path = ROOT / "playbooks" / "site.yml"
) -> tuple[float, str]:
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    if profile:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_roles"
    start = time.monotonic()
    result = subprocess.run(
        ["ansible-playbook", "-i", str(inv), str(playbook)],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"{playbook.name} failed on {inv.name}:\n{result.stdout[-4000:]}")
    return seconds, result.stdout


def role_times(out: str) -> dict[str, float]:
    """Seconds per role from profile_roles' recap; the plays' own tasks (facts, asserts) in one row."""
    ours = {path.name for path in (ROOT / "roles").iterdir() if path.is_dir()}
    times: dict[str, float] = {}
    for raw, sec in ROLE_TIME.findall(out.rsplit("ROLES RECAP", maxsplit=1)[-1]):
        name = raw.strip()
        if name == "total":
            continue
        key = name if name in ours else "(plays' own tasks: facts, preflight)"
        times[key] = times.get(key, 0.0) + float(sec)
    return times


def molecule(action: str) -> None:
    subprocess.run(["molecule", action, "-s", "bench"], cwd=ROOT, check=True)


def failover(name: str, break_node, repair, password: str) -> tuple[float, bed.PullLoop, bed.WirePulls]:
    """The failover window, the docker pulls and the pulls on the wire (with the admin's `password`
    of the measured line) while `break_node` acts."""
    node = "bench-harbor2"
    with bed.PullLoop(limit=300) as loop, bed.WirePulls(password=password) as wire:
        loop.wait_pulls(3)
        wire.wait_pulls(3)
        break_node(node)
        window = bed.wait_for_lb(node, "DOWN", timeout=60)
        loop.wait_pulls(12)
    repair(node)
    bed.wait_for_lb(node, "UP", timeout=180)
    log(f"{loop.report(name, window)}; {wire.report(name, window)}")
    return window, loop, wire


def throughput(image: str, registry_note: str, tags: list[str]) -> float:
    """MB/s of full pulls of `image` (median of three). Every tag of the image (`tags`) goes before
    each pull: a tag left behind keeps the layers, and the pull would download nothing."""
    size = int(bed.on(bed.CLIENT, f"docker image inspect --format '{{{{.Size}}}}' {BIG_IMAGE}").stdout)
    rates = []
    for _ in range(3):
        bed.on(bed.CLIENT, f"docker rmi -f {' '.join(tags)} >/dev/null 2>&1; true", check=False)
        ok, seconds = bed.pull_once(image)
        if not ok:
            sys.exit(f"pull of {image} ({registry_note}) failed")
        rates.append(size / seconds / 1e6)
    return statistics.median(rates)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} x {cpu}, {mem:.0f} GiB RAM, Linux {platform.release()}"


def measure(line: str) -> list[tuple[str, str]]:
    """The rows of one Harbor line, on bench containers made for it."""
    two, four = inventory(2, line), inventory(4, line)
    # The inventory molecule/bench links: the lab Ceph it prepares grants this line's client key.
    shutil.rmtree(WORK / "inventory", ignore_errors=True)
    shutil.copytree(four, WORK / "inventory")
    log(f"Harbor {line}: bench topology, create and prepare (lab Ceph, client)")
    molecule("destroy")
    molecule("create")
    molecule("prepare")
    try:
        log("converge from bare hosts, two Harbor nodes")
        converge_seconds, out = site(two, profile=True)
        roles = role_times(out)
        # The ratio's no-op runs have the callbacks of the facts-only play's (none added): the
        # profiling callback costs time per task, which a play without tasks does not pay. One
        # more run, profiled, gives the time per role.
        noop2, noop_out = min((site(two) for _ in range(2)), key=lambda run: run[0])
        noop_roles = role_times(site(two, profile=True)[1])
        facts_playbook = WORK / "facts_only.yml"
        facts_playbook.write_text(FACTS_ONLY)
        facts2 = min(site(two, playbook=facts_playbook)[0] for _ in range(2))
        noop_tasks, noop_results = task_count(noop_out)
        log("grow to four Harbor nodes")
        grow_seconds, _ = site(four)
        noop4 = min(site(four)[0] for _ in range(2))

        admin = yaml.safe_load((two / "group_vars" / "all" / "generated.yml").read_text())
        bed.login(admin["vault_harbor_admin_password"])
        bed.on(
            bed.CLIENT,
            "rm -rf /tmp/probe && mkdir /tmp/probe && head -c 1000000 /dev/urandom > /tmp/probe/blob"
            f" && tar -C /tmp/probe -c . | docker import - {bed.IMAGE} >/dev/null && docker push {bed.IMAGE}",
        )
        password = admin["vault_harbor_admin_password"]
        stopped = failover(
            "stopped node",
            lambda n: bed.on(n, "systemctl stop harbor.service"),
            lambda n: bed.on(n, "systemctl start harbor.service"),
            password,
        )
        hung = failover("hung node", bed.hang_harbor, bed.wake_harbor, password)

        log("throughput: a ~100 MB image, through the load balancer and straight from one node")
        node1 = f"{bed.NODES['bench-harbor1']}:{bed.PROXY_PORT}"
        direct = BIG_IMAGE.replace(bed.REGISTRY, node1)
        bed.on(
            bed.CLIENT,
            "rm -rf /tmp/big && mkdir /tmp/big && head -c 100000000 /dev/urandom > /tmp/big/blob"
            f" && tar -C /tmp/big -c . | docker import - {BIG_IMAGE} >/dev/null && docker push {BIG_IMAGE}"
            f" >/dev/null && docker tag {BIG_IMAGE} {direct}",
            timeout=900,
        )
        # The client's engine talks plain http to node 1 as well, for the direct pulls.
        bed.on(
            bed.CLIENT,
            "python3 -c \"import json; p='/etc/docker/daemon.json'; d=json.load(open(p)); "
            f"d['insecure-registries'].append('{node1}'); json.dump(d, open(p, 'w'))\""
            " && systemctl restart docker",
        )
        bed.login(admin["vault_harbor_admin_password"], node1)
        via_lb = throughput(BIG_IMAGE, "load balancer", [BIG_IMAGE, direct])
        straight = throughput(direct, "node 1", [BIG_IMAGE, direct])

        backup = backup_rows(four)
    finally:
        molecule("destroy")

    rows = [(f"Harbor {line}: converge from bare hosts, 2 nodes (site.yml)", f"{converge_seconds:.0f} s")]
    rows += [(f"  role {name}", f"{sec:.0f} s") for name, sec in sorted(roles.items(), key=lambda r: -r[1])]
    rows += [
        ("grow 2 -> 4 nodes (site.yml)", f"{grow_seconds:.0f} s"),
        ("no-op re-run, 2 nodes", f"{noop2:.1f} s ({noop_results} task results, {noop_tasks} task banners)"),
        ("facts-only play, same hosts", f"{facts2:.1f} s"),
        ("no-op ratio to facts only (target <= 10)", f"{noop2 / facts2:.1f}"),
    ]
    rows += [
        (f"  no-op, role {name}", f"{sec:.1f} s")
        for name, sec in sorted(noop_roles.items(), key=lambda r: -r[1])
    ]
    rows += [
        ("no-op re-run, 4 nodes", f"{noop4:.1f} s"),
        ("no-op ratio 4 / 2 nodes", f"{noop4 / noop2:.2f}"),
    ]
    for name, (window, loop, wire) in (("stopped node", stopped), ("hung node", hung)):
        rows += [
            (
                f"failover, {name}: docker pulls",
                f"window {window:.2f} s, {loop.failed}/{len(loop.results)} failed,"
                f" slowest {loop.slowest:.2f} s",
            ),
            (
                f"failover, {name}: pulls on the wire",
                f"{wire.failed}/{len(wire.results)} failed, slowest {wire.slowest:.2f} s",
            ),
        ]
    rows += [
        ("pull ~100 MB through the load balancer", f"{via_lb:.0f} MB/s"),
        ("pull ~100 MB straight from node 1", f"{straight:.0f} MB/s"),
        ("throughput ratio load balancer / node", f"{via_lb / straight:.2f}"),
    ]
    return rows + backup


def backup_rows(inventory_dir: Path) -> list[tuple[str, str]]:
    """A backup of the registry as it is now: how long writes were paused, and the whole run."""
    log("backup of the registry as it is now (playbooks/backup.yml)")
    seconds, out = site(inventory_dir, playbook=ROOT / "playbooks" / "backup.yml")
    pause = re.search(r"writes were paused for ([\d.]+) s", out)
    if pause is None:
        sys.exit(f"backup.yml did not report its write pause:\n{out[-4000:]}")
    data_size = bed.on("bench-harbor1", "du -sh /mnt/cephfs/harbor/data | cut -f1").stdout.strip()
    return [
        (f"backup of {data_size} of Harbor data: writes paused", f"{float(pause[1]):.1f} s"),
        ("backup, whole run (status checks, retention)", f"{seconds:.0f} s"),
    ]


def main(argv: list[str]) -> int:
    unknown = [line for line in argv if line not in LINES]
    if unknown:
        sys.exit(f"bench: no Harbor line {', '.join(unknown)}; the lines are {', '.join(LINES)}")
    WORK.mkdir(parents=True, exist_ok=True)
    rows = [("machine", machine())]
    for line in argv or LINES:
        rows += measure(line)
    width = max(len(name) for name, _ in rows)
    print("\nharbor_ha.cluster benchmark")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
