"""Backup and restore of the whole cluster (issue 15), on the sandbox's real parts: the lab Ceph's
CephFS snapshots, MariaDB's dump, HAProxy's write pause (Harbor's services are the test
installer's stand-ins, as everywhere).

In order: a backup refused on a degraded cluster; image A pushed and project P made, then a
backup under a pull loop (0 failed pulls) while a write prober sees pushes answered 503 with
Retry-After and the message, then let through; image B pushed and P deleted; a restore refused
onto the non-empty database; the restore in place. After it A pulls with its digest, B is gone, P
is back, a session opened before the backup is still valid, and status.yml is healthy and lists
the backup. They run after the day-2 tests and before the add-node and TLS tests, which change
the sandbox's shape. The stand-in ui has no project API: P is written and deleted in the database as
Harbor's ui does (a row of `project`, deleted = 1 on deletion).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import threading
import uuid

import pytest
import yaml
from bedhelpers import ANSI, ansible_playbook, failures
from ha_testlib import (
    CLIENT,
    INVENTORY,
    LB,
    MAX_FAILED_PULLS,
    REGISTRY,
    PullLoop,
    lb_servers,
    local_digest,
    on,
    wait_for_lb,
)

DB = "sandbox-db"
NAME = f"ha-{uuid.uuid4().hex[:8]}"
PROJECT_P = f"p-{NAME}"
IMAGE_A = f"{REGISTRY}/library/backup-a:{NAME}"
IMAGE_B = f"{REGISTRY}/library/backup-b:{NAME}"
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


def test_backup_pauses_writes_only(pushed, session_before, state):
    state["digest_a"] = push(IMAGE_A)
    sql(
        "INSERT INTO project (owner_id, name, creation_time, update_time, deleted, public)"
        f" VALUES (1, '{PROJECT_P}', NOW(), NOW(), 0, 0)"
    )
    with PullLoop(limit=1000) as pulls, WriteProber() as writes:
        pulls.wait_pulls(2)
        result = backup()
        pulls.wait_pulls(2)
    assert result.returncode == 0, failures(result) or result.stdout[-3000:]
    pause = re.search(r"writes were paused for ([\d.]+) s", result.stdout)
    assert pause, result.stdout[-3000:]
    print(f"backup {NAME}: write pause {pause[1]} s; {pulls.report('pulls during the backup', 0)}")
    assert pulls.failed <= MAX_FAILED_PULLS, pulls.report("backup", 0)
    answers = writes.answers
    refused = [a for a in answers if a[0] == "503"]
    assert refused, answers[-5:]
    assert all(a[1] == "30" and "read-only for a moment" in a[2] for a in refused), refused[:3]
    # Open before and after the pause: the registry asks for a token.
    assert answers[0][0] == "401" and answers[-1][0] == "401", (answers[:2], answers[-2:])
    assert on("sandbox-harbor1", f"test -d /mnt/cephfs/harbor/.snap/{NAME}/data/registry").returncode == 0
    assert on(LB, "cat /etc/haproxy/write-pause.acl").stdout == ""


def test_restore_refused_onto_a_non_empty_database(state):
    state["digest_b"] = push(IMAGE_B)
    sql(f"UPDATE project SET deleted = 1 WHERE name = '{PROJECT_P}'")
    result = ansible_playbook(
        "playbooks/restore.yml", inventory=INVENTORY, extra_vars={"harbor_restore_name": NAME}
    )
    assert result.returncode != 0
    assert "Refusing to restore" in failures(result) and "harbor_restore_replace_database=true" in failures(
        result
    )
    assert {server["status"] for server in lb_servers().values()} == {"UP"}


def test_restore_in_place_brings_the_backup_back(session_before, state):
    result = ansible_playbook(
        "playbooks/restore.yml",
        inventory=INVENTORY,
        extra_vars={"harbor_restore_name": NAME, "harbor_restore_replace_database": True},
        timeout=1200,
    )
    assert result.returncode == 0, failures(result) or result.stdout[-3000:]
    assert f"Restored backup {NAME}" in result.stdout
    assert project_p() == "0"
    on(CLIENT, f"docker rmi -f {IMAGE_A} {IMAGE_B} >/dev/null 2>&1; true", check=False)
    on(CLIENT, f"docker pull {IMAGE_A}")
    assert local_digest(IMAGE_A) == state["digest_a"]
    gone = on(CLIENT, f"docker pull {IMAGE_B}", check=False)
    assert gone.returncode != 0 and "manifest unknown" in gone.stderr, gone.stderr
    current = on(CLIENT, f"curl -sf -b {session_before} http://{REGISTRY}/api/users/current")
    assert '"admin"' in current.stdout
    status = ansible_playbook("playbooks/status.yml", inventory=INVENTORY)
    assert status.returncode == 0, failures(status)
    assert NAME in status.stdout and "h old" in status.stdout
