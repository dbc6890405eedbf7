"""Backup and restore of a Harbor 2.x cluster (issue 15): PostgreSQL's dump (pg_dump) and load,
with the CephFS snapshot and write pause that Harbor 1.1's backups use (the ha scenario proves the
pause and the refusal of a degraded cluster there). What differs on 2.x is proved here: the
database, the key set (the CSRF key among the pinned values) and core starting on a loaded schema.

In order: image A pushed and project P created through the load balancer (a CSRF-protected POST
of a portal session); a backup under a pull loop (0 failed pulls); image B pushed and P deleted
(in the database, as Harbor's project DAO does: deleted = true and the name suffixed with #id);
a restore refused onto the non-empty database; then the share loses the backup (its snapshot and
dump removed) and the restore in place comes from the backup's copy on the controller (dump,
manifest, archive of the data and key set). After it A pulls with its digest, B is gone, P is back,
and the session opened before the backup still passes the CSRF check on a new POST. (The ha
scenario restores 1.1 from the snapshot and into a rebuilt cluster from the copy.)
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid

import pytest
from bedhelpers import ansible_playbook, bed_host, failures
from ha2_testlib import NODE1, SHARE, psql
from ha_testlib import (
    CLIENT,
    INVENTORY,
    MAX_FAILED_PULLS,
    PACE,
    REGISTRY,
    PullLoop,
    lb_servers,
    local_digest,
    on,
    why_pulls_failed,
)
from installer2_testlib import create_project, csrf_session

NAME = f"ha2-{uuid.uuid4().hex[:8]}"
PROJECT_P = f"p-{NAME}"
IMAGE_A = f"{REGISTRY}/library/backup-a:{NAME}"
IMAGE_B = f"{REGISTRY}/library/backup-b:{NAME}"
LB_URL = f"http://{REGISTRY}"


@pytest.fixture(scope="module")
def client():
    return bed_host(CLIENT)


@pytest.fixture(scope="module")
def session(client, admin_password):
    """A portal session opened through the load balancer before the backup."""
    return csrf_session(client, LB_URL, admin_password)


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """harbor_backup_controller_dir: where the backup is copied off the cluster."""
    return tmp_path_factory.mktemp("backup-copies")


@pytest.fixture(scope="module")
def state() -> dict:
    """What the tests of this module hand on to the next (digests)."""
    return {}


def push(image: str) -> str:
    on(
        CLIENT,
        "rm -rf /tmp/bk && mkdir /tmp/bk && head -c 500000 /dev/urandom > /tmp/bk/blob"
        f" && tar -C /tmp/bk -c . | docker import - {image} >/dev/null && docker push {image}",
    )
    return local_digest(image)


def project_p() -> str:
    return psql(f"SELECT deleted FROM project WHERE name = '{PROJECT_P}'")


def restore(**extra):
    return ansible_playbook(
        "playbooks/restore.yml",
        inventory=INVENTORY,
        extra_vars={"harbor_restore_name": NAME} | extra,
        timeout=1200,
    )


def test_backup_under_a_pull_loop(pushed, client, session, copies, state):
    state["digest_a"] = push(IMAGE_A)
    status, body = create_project(client, LB_URL, session, PROJECT_P)
    assert status == 201, body
    assert project_p() == "f"
    with PullLoop(limit=1000, interval=PACE) as pulls:
        pulls.wait_pulls(2)
        result = ansible_playbook(
            "playbooks/backup.yml",
            inventory=INVENTORY,
            extra_vars={"harbor_backup_name": NAME, "harbor_backup_controller_dir": str(copies)},
            timeout=900,
        )
        pulls.wait_pulls(2)
    assert result.returncode == 0, failures(result) or result.stdout[-3000:]
    pause = re.search(r"writes were paused for ([\d.]+) s", result.stdout)
    assert pause, result.stdout[-3000:]
    print(f"backup {NAME}: write pause {pause[1]} s; {pulls.report('pulls during the backup', 0)}")
    assert pulls.failed <= MAX_FAILED_PULLS, why_pulls_failed(pulls, pulls.report("backup", 0))
    backup_dir = f"{SHARE}/.snap/{NAME}/backups/{NAME}"
    manifest = json.loads(on(NODE1, f"cat {backup_dir}/manifest.json").stdout)
    assert manifest["harbor_version"] == "2.15.2"
    assert "secrets/harbor/csrf_key" in manifest["keys"] and "secrets/harbor/secretkey" in manifest["keys"]
    dump = on(NODE1, f"cat {backup_dir}/registry.sql").stdout
    assert f"'{PROJECT_P}'" in dump or f"\t{PROJECT_P}\t" in dump, "project P is not in the dump"
    assert "OWNER TO" in dump, "the dump does not give the tables back to Harbor's account"
    # The copy's archive holds 2.x's key set, as in the snapshot.
    copy = copies / NAME
    assert (copy / "registry.sql").read_text() == dump
    listing = subprocess.run(
        ["tar", "-tzf", copy / "harbor-data.tar.gz"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert {"secrets/harbor/csrf_key", "secrets/harbor/secretkey"} <= set(listing), listing[:20]


def test_restore_refused_onto_a_non_empty_database(state):
    state["digest_b"] = push(IMAGE_B)
    psql(f"UPDATE project SET deleted = true, name = name || '#' || project_id WHERE name = '{PROJECT_P}'")
    result = restore()
    assert result.returncode != 0
    assert "Refusing to restore" in failures(result), failures(result) or result.stdout[-3000:]
    assert "harbor_restore_replace_database=true" in failures(result)
    assert {server["status"] for server in lb_servers().values()} == {"UP"}


def test_restore_in_place_from_the_controller_copy(client, session, copies, state):
    on(NODE1, f"rmdir {SHARE}/.snap/{NAME} && rm -rf {SHARE}/backups/{NAME}")
    result = restore(harbor_restore_replace_database=True, harbor_backup_controller_dir=str(copies))
    assert result.returncode == 0, failures(result) or result.stdout[-3000:]
    assert f"Restored backup {NAME}" in result.stdout
    assert project_p() == "f"
    assert psql("SELECT tableowner FROM pg_tables WHERE tablename = 'project'") == "harbor"
    on(CLIENT, f"docker rmi -f {IMAGE_A} {IMAGE_B} >/dev/null 2>&1; true", check=False)
    on(CLIENT, f"docker pull {IMAGE_A}")
    assert local_digest(IMAGE_A) == state["digest_a"]
    gone = on(CLIENT, f"docker pull {IMAGE_B}", check=False)
    assert gone.returncode != 0 and "manifest unknown" in gone.stderr, gone.stderr
    # The session of before, and its CSRF token signed with the backup's CSRF key, on either node.
    status, body = create_project(client, LB_URL, session, f"after-{NAME}")
    assert status == 201, body
