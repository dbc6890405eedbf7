"""Helpers of the cephfs scenario's tests: hosts by name, playbooks that apply cephfs_client."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import testinfra
from bedhelpers import ansible_playbook

MOUNTPOINT = "/mnt/cephfs/harbor"
MOUNT_UNIT = "mnt-cephfs-harbor.mount"
NODES = ("cephfs-node1", "cephfs-node2")
ROLE = "harbor_ha.cluster.cephfs_client"
# The scenario's fixtures (molecule.yml), as converge.yml passes them to the role.
GOOD_VARS = {
    "cephfs_client_monitors": "{{ cephfs_test_monitors }}",
    "cephfs_client_key": "{{ cephfs_test_client_key }}",
}
# Files the role manages on a node: a failed run must leave them as they were.
MANAGED_FILES = (
    "/etc/fstab",
    "/etc/ceph/ceph.conf",
    "/etc/ceph/ceph.client.harbor.keyring",
    "/etc/systemd/system/docker.service.d/harbor-ha-cephfs.conf",
)


def node(name: str):
    return testinfra.get_host(f"docker://{name}")


def fstype(host) -> str:
    """What a write to the mountpoint reaches: the top of the mounts stacked there, or ''."""
    lines = host.run(f"findmnt --noheadings --output FSTYPE --mountpoint {MOUNTPOINT}").stdout.split()
    return lines[-1] if lines else ""


def snapshot(host) -> dict[str, str]:
    """Checksums of the role's files and what is mounted at the mountpoint."""
    sums = host.check_output(f"sha256sum {' '.join(MANAGED_FILES)}")
    return {"files": sums, "mount": fstype(host)}


def text(result: subprocess.CompletedProcess) -> str:
    """A run's output with line wrapping undone, to search for a message."""
    return " ".join((result.stdout + result.stderr).split())


def write_playbook(directory: Path, tasks: list[dict], hosts: str = "cephfs-node1") -> Path:
    play = [{"name": "cephfs test play", "hosts": hosts, "gather_facts": False, "tasks": tasks}]
    path = directory / "play.yml"
    path.write_text(json.dumps(play, indent=2))
    return path


def apply_role(directory: Path, role_vars: dict, hosts: str = "cephfs-node1") -> subprocess.CompletedProcess:
    """Run the whole role with exactly these variables (nothing else from converge.yml)."""
    task = {"name": "Apply cephfs_client", "ansible.builtin.include_role": {"name": ROLE}, "vars": role_vars}
    return ansible_playbook(write_playbook(directory, [task], hosts))


def guarded_write(directory: Path, hosts: str = "cephfs-node1") -> subprocess.CompletedProcess:
    """What the harbor role does: run the share guard, then write under the share."""
    tasks = [
        {
            "name": "Refuse to write unless the share is mounted",
            "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "assert_mounted"},
            "vars": {"cephfs_client_guard_path": MOUNTPOINT},
        },
        {
            "name": "Write a file on the share",
            "ansible.builtin.copy": {
                "dest": f"{MOUNTPOINT}/guarded-{{{{ inventory_hostname }}}}",
                "content": "written after the guard\n",
                "owner": "root",
                "group": "root",
                "mode": "0644",
            },
        },
    ]
    return ansible_playbook(write_playbook(directory, tasks, hosts))


def local_entries(host) -> list[str]:
    """What lies in the mountpoint directory on the node's own disk (call with the share unmounted)."""
    assert fstype(host) == "", "the share is still mounted"
    return host.check_output(f"ls -A {MOUNTPOINT}").split()


def remount(host) -> None:
    """Bring the share (and docker, which requires it) back after a test took it away."""
    while fstype(host) not in ("", "fuse.ceph-fuse"):  # what a test mounted there itself
        host.check_output(f"umount {MOUNTPOINT}")
    host.run(f"systemctl unmask --runtime {MOUNT_UNIT}")
    host.run(f"systemctl reset-failed {MOUNT_UNIT} docker.service")
    host.check_output(f"systemctl start {MOUNT_UNIT} docker.service")
    assert fstype(host) == "fuse.ceph-fuse"


def wait_booted(name: str, timeout: float = 120) -> None:
    """After `docker restart`: wait until the node's systemd reports it booted."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = subprocess.run(
            ["docker", "exec", name, "systemctl", "is-system-running", "--wait"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    raise AssertionError(f"{name} did not boot within {timeout} s (state {state!r})")


def wait_active(host, unit: str, timeout: float = 30) -> bool:
    """Whether `unit` is active within `timeout` (units a restart propagates to start after it returns)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.run(f"systemctl is-active --quiet {unit}").rc == 0:
            return True
        time.sleep(0.5)
    return False


def unit_property(host, unit: str, prop: str) -> str:
    return host.check_output(f"systemctl show --property={prop} --value {unit}")


def words(value: str) -> set[str]:
    return set(re.split(r"\s+", value.strip()))
