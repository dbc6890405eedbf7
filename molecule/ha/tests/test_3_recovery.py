"""Backup and restore of the whole cluster (issue 15), on the sandbox's real parts: the lab Ceph's
CephFS snapshots, MariaDB's dump, HAProxy's write pause (Harbor's services are the test
installer's stand-ins, as everywhere).

In order: a backup refused on a degraded cluster; image A pushed and project P made, then a
backup under a pull loop (0 failed pulls) while a write prober sees pushes answered 503 with
Retry-After and the message, then let through; the backup's copy on the controller (dump,
manifest, archive and its checksum, 0600; an older copy beyond harbor_backup_keep removed); image
B pushed and P deleted; a restore refused onto the non-empty database; the restore in place. After
it A pulls with its digest, B is gone, P is back, a session opened before the backup is still
valid, and status.yml is healthy and lists the backup. Then image C is pushed and the cluster is
lost but for its machines (Harbor stopped, the share's Harbor tree and snapshots removed, the
database dropped) and site.yml builds a new one from the same inventory (new keys): a restore from
a copy whose archive was damaged is refused, and one without the controller's copy, naming both
places; the restore from the copy brings back A, P, the keys and the session, and C is gone.

They run after the day-2 tests and before the TLS tests, which change the sandbox's
shape. The stand-in ui has no project API: P is written and deleted in the database as Harbor's
ui does (a row of `project`, deleted = 1 on deletion).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import yaml
from bedhelpers import ANSI, ansible_playbook, failures
from ha_testlib import (
    CLIENT,
    INVENTORY,
    LB,
    MAX_FAILED_PULLS,
    PACE,
    REGISTRY,
    PullLoop,
    lb_servers,
    local_digest,
    on,
    wait_for_lb,
    why_pulls_failed,
)

DB = "sandbox-db"
NODE = "sandbox-harbor1"
NODES = (NODE, "sandbox-harbor2")
SHARE = "/mnt/cephfs/harbor"
NAME = f"ha-{uuid.uuid4().hex[:8]}"
PROJECT_P = f"p-{NAME}"
IMAGE_A = f"{REGISTRY}/library/backup-a:{NAME}"
IMAGE_B = f"{REGISTRY}/library/backup-b:{NAME}"
IMAGE_C = f"{REGISTRY}/library/backup-c:{NAME}"
# A key of the cluster's key set: the private key the ui signs its registry tokens with.
KEY = f"{SHARE}/secrets/harbor/private_key.pem"
TABLES = "FROM information_schema.tables WHERE table_schema = 'registry'"
COPY_FILES = {"registry.sql", "manifest.json", "harbor-data.tar.gz", "harbor-data.tar.gz.sha256"}
# The first write of a push: the registry's upload start, refused at the load balancer before
# any auth while writes are paused (401 from the registry otherwise).
UPLOAD = f"http://{REGISTRY}/v2/library/backup-probe/blobs/uploads/"
RESULT = re.compile(r"^@@ (\d{3}) (\S*)$")


def sql(query: str) -> str:
    generated = yaml.safe_load((INVENTORY / "group_vars" / "all" / "generated.yml").read_text())
    password = shlex.quote(generated["vault_mysql_admin_password"])
    return on(
        DB, f"MYSQL_PWD={password} mariadb -uroot -N -B registry -e {shlex.quote(query)}"
    ).stdout.strip()


def project_p() -> str:
    return sql(f"SELECT deleted FROM project WHERE name = '{PROJECT_P}'")


def push(image: str) -> str:
    on(
        CLIENT,
        f"rm -rf /tmp/bk && mkdir /tmp/bk && head -c 500000 /dev/urandom > /tmp/bk/blob"
        f" && tar -C /tmp/bk -c . | docker import - {image} >/dev/null && docker push {image}",
    )
    return local_digest(image)


class WriteProber:
    """Starts a push's first request (POST of an upload) through the load balancer every 0.2 s
    from the client, in one process, until stopped: [(status, Retry-After, body)]."""

    stop_file = "/tmp/write-prober.stop"

    def __enter__(self) -> WriteProber:
        on(CLIENT, f"rm -f {self.stop_file}")
        loop = (
            f"while [ ! -e {self.stop_file} ]; do"
            f" curl -s -m 5 -X POST -w '\\n@@ %{{http_code}} %header{{retry-after}}\\n' {UPLOAD};"
            " sleep 0.2; done"
        )
        self.proc = subprocess.Popen(
            ["docker", "exec", CLIENT, "sh", "-c", loop], stdout=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.reader.start()
        return self

    def __exit__(self, *exc) -> None:
        on(CLIENT, f"touch {self.stop_file}")
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)

    @property
    def answers(self) -> list[tuple[str, str, str]]:
        result, body = [], []
        for line in self.lines:
            if match := RESULT.match(line.rstrip("\n")):
                result.append((match[1], match[2], "".join(body).strip()))
                body = []
            else:
                body.append(line)
        return result


@pytest.fixture(scope="module")
def session_before(admin_password) -> str:
    """A web UI session opened before the backup: its cookie jar on the client."""
    jar = "/tmp/backup-session"
    on(
        CLIENT,
        f"curl -sf -c {jar} -o /dev/null --data-urlencode principal=admin"
        f" --data-urlencode password={shlex.quote(admin_password)} http://{REGISTRY}/login",
    )
    return jar


def lb_command(line: str) -> None:
    """One command to the load balancer's admin socket."""
    send = (
        "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock');"
        " s.sendall(sys.argv[1].encode() + b'\\n'); print(s.recv(4096).decode())"
    )
    on(LB, f"python3 -c {shlex.quote(send)} {shlex.quote(line)}")


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> Path:
    """harbor_backup_controller_dir, holding a copy older than the backups the tests make."""
    copies = tmp_path_factory.mktemp("backup-copies")
    stale = copies / "stale"
    stale.mkdir()
    os.utime(stale, (1, 1))
    return copies


@pytest.fixture(scope="module")
def state() -> dict:
    """What the tests of this module hand on to the next (digests)."""
    return {}


def backup(**extra) -> subprocess.CompletedProcess:
    return ansible_playbook(
        "playbooks/backup.yml",
        inventory=INVENTORY,
        extra_vars={"harbor_backup_name": NAME} | extra,
        timeout=900,
    )


def restore(**extra) -> subprocess.CompletedProcess:
    return ansible_playbook(
        "playbooks/restore.yml",
        inventory=INVENTORY,
        extra_vars={"harbor_restore_name": NAME} | extra,
        timeout=1200,
    )


def site(limit: str) -> subprocess.CompletedProcess:
    return ansible_playbook("playbooks/site.yml", "--limit", limit, inventory=INVENTORY, timeout=1800)


def assert_back_at_the_backup(
    result: subprocess.CompletedProcess, later: str, session: str, state: dict
) -> None:
    """A restore passed: P is back, A pulls with its digest, `later` (pushed since the backup) is
    gone and the session opened before the backup is valid."""
    assert result.returncode == 0, failures(result) or result.stdout[-3000:]
    assert f"Restored backup {NAME}" in result.stdout
    assert project_p() == "0"
    on(CLIENT, f"docker rmi -f {IMAGE_A} {later} >/dev/null 2>&1; true", check=False)
    on(CLIENT, f"docker pull {IMAGE_A}")
    assert local_digest(IMAGE_A) == state["digest_a"]
    gone = on(CLIENT, f"docker pull {later}", check=False)
    assert gone.returncode != 0 and "manifest unknown" in gone.stderr, gone.stderr
    current = on(CLIENT, f"curl -sf -b {session} http://{REGISTRY}/api/users/current")
    assert '"admin"' in current.stdout


def test_backup_refused_on_a_degraded_cluster():
    node = "sandbox-harbor2"
    lb_command(f"set server be_harbor_pull/{node} state maint")
    try:
        result = backup()
    finally:
        lb_command(f"set server be_harbor_pull/{node} state ready")
        wait_for_lb(node, "UP")
    output = ANSI.sub("", result.stdout)
    assert result.returncode != 0, output[-3000:]
    assert "The cluster is degraded" in output and f"{node} is MAINT at {LB}" in output, output[-3000:]
    assert on("sandbox-harbor1", f"test -e /mnt/cephfs/harbor/.snap/{NAME}", check=False).returncode == 1


def test_backup_pauses_writes_only(pushed, session_before, copies, state):
    state["digest_a"] = push(IMAGE_A)
    sql(
        "INSERT INTO project (owner_id, name, creation_time, update_time, deleted, public)"
        f" VALUES (1, '{PROJECT_P}', NOW(), NOW(), 0, 0)"
    )
    with PullLoop(limit=1000, interval=PACE) as pulls, WriteProber() as writes:
        pulls.wait_pulls(2)
        # One backup to keep: the stale copy on the controller goes, this one stays.
        result = backup(harbor_backup_controller_dir=str(copies), harbor_backup_keep=1)
        pulls.wait_pulls(2)
    assert result.returncode == 0, failures(result) or result.stdout[-3000:]
    pause = re.search(r"writes were paused for ([\d.]+) s", result.stdout)
    assert pause, result.stdout[-3000:]
    print(f"backup {NAME}: write pause {pause[1]} s; {pulls.report('pulls during the backup', 0)}")
    assert pulls.failed <= MAX_FAILED_PULLS, why_pulls_failed(pulls, pulls.report("backup", 0))
    answers = writes.answers
    refused = [a for a in answers if a[0] == "503"]
    assert refused, answers[-5:]
    assert all(a[1] == "30" and "read-only for a moment" in a[2] for a in refused), refused[:3]
    # Open before and after the pause: the registry asks for a token.
    assert answers[0][0] == "401" and answers[-1][0] == "401", (answers[:2], answers[-2:])
    assert on("sandbox-harbor1", f"test -d /mnt/cephfs/harbor/.snap/{NAME}/data/registry").returncode == 0
    assert on(LB, "cat /etc/haproxy/write-pause.acl").stdout == ""


def test_backup_copied_to_the_controller(copies):
    copy = copies / NAME
    assert sorted(path.name for path in copies.iterdir()) == [NAME]
    assert {path.name for path in copy.iterdir()} == COPY_FILES
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in copy.iterdir()}
    assert set(modes.values()) == {0o600}, modes
    assert stat.S_IMODE(copy.stat().st_mode) == 0o700
    check = subprocess.run(
        ["sha256sum", "-c", "harbor-data.tar.gz.sha256"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # The archive holds what a restore puts back, as it was in the snapshot: the share's key.
    listing = subprocess.run(
        ["tar", "-tzf", copy / "harbor-data.tar.gz"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert {"data/secretkey", "data/config/config.json", KEY.removeprefix(f"{SHARE}/")} <= set(listing)
    assert not any(name.startswith(("backups", "log")) for name in listing), listing[:20]
    inside = subprocess.run(
        ["tar", "-xzOf", copy / "harbor-data.tar.gz", KEY.removeprefix(f"{SHARE}/")],
        capture_output=True,
        check=True,
    ).stdout
    assert inside == on(NODE, f"cat {SHARE}/.snap/{NAME}/{KEY.removeprefix(f'{SHARE}/')}").stdout.encode()


def test_restore_refused_onto_a_non_empty_database(state):
    state["digest_b"] = push(IMAGE_B)
    sql(f"UPDATE project SET deleted = 1 WHERE name = '{PROJECT_P}'")
    result = restore()
    assert result.returncode != 0
    assert "Refusing to restore" in failures(result) and "harbor_restore_replace_database=true" in failures(
        result
    )
    assert {server["status"] for server in lb_servers().values()} == {"UP"}


def test_restore_in_place_brings_the_backup_back(session_before, state):
    result = restore(harbor_restore_replace_database=True)
    assert_back_at_the_backup(result, IMAGE_B, session_before, state)
    status = ansible_playbook("playbooks/status.yml", inventory=INVENTORY)
    assert status.returncode == 0, failures(status)
    assert NAME in status.stdout and "h old" in status.stdout


def test_restore_into_a_rebuilt_cluster_from_the_controller_copy(copies, session_before, state):
    """The cluster is lost but for its machines and the controller's copy: the nodes' Harbor
    stopped, the share's Harbor tree and every snapshot removed, the database dropped. site.yml
    builds a new cluster from the same inventory (new keys, an empty schema); the restore from the
    controller's copy brings the backup back into it. Redis, which keeps only sessions, stays."""
    key_before = on(NODE, f"sha256sum {KEY}").stdout.split()[0]
    push(IMAGE_C)
    for node in NODES:
        on(node, "systemctl stop harbor.service")
    on(
        NODE,
        f'for snap in {SHARE}/.snap/*/; do rmdir "$snap"; done;'
        f" find {SHARE} -mindepth 1 -maxdepth 1 ! -name .snap -exec rm -rf {{}} +",
    )
    assert on(NODE, f"ls -A {SHARE} {SHARE}/.snap").stdout.split() == [f"{SHARE}:", f"{SHARE}/.snap:"]
    sql("DROP DATABASE registry")
    rebuilt = site(",".join((*NODES, DB)))
    assert rebuilt.returncode == 0, failures(rebuilt) or rebuilt.stdout[-3000:]
    assert on(NODE, f"sha256sum {KEY}").stdout.split()[0] != key_before
    assert project_p() == ""
    tables = sql(f"SELECT COUNT(*) {TABLES}")
    assert int(tables) > 0

    # A copy whose archive lost one byte (made under another name, the copy of NAME stays whole).
    damaged = copies / f"{NAME}-damaged"
    shutil.copytree(copies / NAME, damaged)
    archive = damaged / "harbor-data.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-1])
    refused = restore(harbor_restore_name=damaged.name, harbor_backup_controller_dir=str(copies))
    shutil.rmtree(damaged)
    assert refused.returncode != 0
    assert f"The archive {archive} does not match its checksum" in failures(refused), failures(refused)

    refused = restore()
    assert refused.returncode != 0
    message = failures(refused)
    assert f"No backup '{NAME}' to restore" in message and f"{SHARE}/.snap/{NAME}/" in message, message
    assert "no harbor_backup_controller_dir was given" in message, message
    assert "Nothing was changed" in message, message
    assert sql(f"SELECT COUNT(*) {TABLES}") == tables
    assert on(NODE, f"sha256sum {KEY}").stdout.split()[0] != key_before

    result = restore(harbor_backup_controller_dir=str(copies), harbor_restore_replace_database=True)
    assert result.returncode == 0, failures(result) or result.stdout[-3000:]
    # As README says for a new cluster: site.yml again writes each node's configuration from the
    # restored key set.
    converged = site(",".join(NODES))
    assert converged.returncode == 0, failures(converged) or converged.stdout[-3000:]
    assert_back_at_the_backup(result, IMAGE_C, session_before, state)
    assert on(NODE, f"sha256sum {KEY}").stdout.split()[0] == key_before
    assert on(NODE, f"ls -A {SHARE}").stdout.split().count(f".restore-{NAME}") == 0
    assert {server["status"] for server in lb_servers().values()} == {"UP"}
