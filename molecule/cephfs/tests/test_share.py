"""The Harbor share on both nodes: mounted, persistent, shared, required by docker, and resilient."""

import subprocess
import uuid

import pytest
from cephfs_testlib import (
    MOUNT_UNIT,
    MOUNTPOINT,
    NODES,
    fstype,
    local_entries,
    node,
    remount,
    unit_property,
    wait_active,
    wait_booted,
    words,
)


@pytest.mark.parametrize("name", NODES)
def test_share_is_mounted_with_ceph_fuse(name):
    host = node(name)
    mount = host.check_output(f"findmnt --noheadings --output SOURCE,FSTYPE,OPTIONS {MOUNTPOINT}")
    source, kind, options = mount.split()
    assert (source, kind) == ("ceph-fuse", "fuse.ceph-fuse")
    assert "noatime" in options.split(",")
    assert host.service(MOUNT_UNIT).is_running


@pytest.mark.parametrize("name", NODES)
def test_mount_is_persistent(name):
    host = node(name)
    fstab = host.file("/etc/fstab").content_string.splitlines()
    entries = [line.split() for line in fstab if MOUNTPOINT in line]
    assert len(entries) == 1
    src, path, kind, options, dump, passno = entries[0]
    assert (src, path, kind, dump, passno) == ("none", MOUNTPOINT, "fuse.ceph", "0", "0")
    assert set(options.split(",")) == {
        "ceph.id=harbor",
        "ceph.client_fs=cephfs",
        "ceph.client_mountpoint=/harbor",
        "_netdev",
        "noatime",
    }
    # What brings it back at boot: the fstab generator makes it a remote mount of remote-fs.target.
    assert unit_property(host, MOUNT_UNIT, "SourcePath") == "/etc/fstab"
    assert "remote-fs.target" in words(unit_property(host, MOUNT_UNIT, "RequiredBy"))
    assert host.service("remote-fs.target").is_enabled


@pytest.mark.parametrize("name", NODES)
def test_client_configuration(name):
    host = node(name)
    conf = host.file("/etc/ceph/ceph.conf")
    assert "mon host = 10.201.2.10" in conf.content_string.splitlines()
    assert (conf.user, conf.group, conf.mode) == ("root", "root", 0o644)
    keyring = host.file("/etc/ceph/ceph.client.harbor.keyring")
    assert (keyring.user, keyring.group, keyring.mode) == ("root", "root", 0o600)
    assert "[client.harbor]" in keyring.content_string
    assert not host.file("/etc/ceph/ceph.client.harbor.secret").exists


def test_share_layout(node1):
    # Harbor 1.1 (the scenario's release) runs as root: root owns the tree.
    expected = {
        "data": ("0", "0755"),
        "data/registry": ("0", "0755"),
        "data/config": ("0", "0755"),
        "data/ca_download": ("0", "0755"),
        "data/job_logs": ("0", "0755"),
        "data/cert": ("0", "0700"),
        "secrets": ("0", "0700"),
        "log": ("0", "0755"),
        "log/cephfs-node1": ("0", "0755"),
        "log/cephfs-node2": ("0", "0755"),
    }
    for path, (owner, mode) in expected.items():
        found = node1.check_output(f"stat --format '%F %u %g %a' {MOUNTPOINT}/{path}")
        assert found == f"directory {owner} {owner} {int(mode, 8):o}", path


@pytest.mark.parametrize(("writer", "reader"), [NODES, tuple(reversed(NODES))])
def test_written_on_one_node_is_read_on_the_other(writer, reader):
    token = uuid.uuid4().hex
    path = f"{MOUNTPOINT}/data/shared-{writer}"
    node(writer).check_output(f"echo {token} > {path}")
    try:
        assert node(reader).file(path).content_string == f"{token}\n"
    finally:
        node(reader).check_output(f"rm {path}")
    assert not node(writer).file(path).exists


@pytest.mark.parametrize("name", NODES)
def test_docker_requires_the_share(name):
    host = node(name)
    dropin = host.file("/etc/systemd/system/docker.service.d/harbor-ha-cephfs.conf")
    assert (dropin.user, dropin.mode) == ("root", 0o644)
    assert unit_property(host, "docker.service", "RequiresMountsFor") == MOUNTPOINT
    assert MOUNT_UNIT in words(unit_property(host, "docker.service", "Requires"))
    assert MOUNT_UNIT in words(unit_property(host, "docker.service", "After"))
    assert host.service("docker.service").is_running


@pytest.mark.parametrize(
    ("break_mount", "repair"),
    [
        pytest.param("mount --bind /dev/null /dev/fuse", "umount /dev/fuse", id="mount fails"),
        pytest.param(
            f"systemctl mask --runtime {MOUNT_UNIT}",
            f"systemctl unmask --runtime {MOUNT_UNIT}",
            id="no mount unit",
        ),
    ],
)
def test_docker_does_not_start_without_the_share(node2, break_mount, repair):
    node2.check_output(f"systemctl stop docker.socket docker.service {MOUNT_UNIT}")
    node2.check_output(break_mount)
    try:
        start = node2.run("systemctl start docker.service")
        assert start.rc != 0
        assert not node2.service("docker.service").is_running
        assert local_entries(node2) == []
    finally:
        node2.check_output(repair)
        remount(node2)
    assert node2.service("docker.service").is_running


def test_docker_start_mounts_the_share(node2):
    node2.check_output(f"systemctl stop docker.service {MOUNT_UNIT}")
    assert fstype(node2) == ""
    node2.check_output("systemctl start docker.service")
    assert fstype(node2) == "fuse.ceph-fuse"
    assert node2.service("docker.service").is_running


def test_mount_comes_back_after_its_unit_restarts(node1, node2):
    token = uuid.uuid4().hex
    node2.check_output(f"echo {token} > {MOUNTPOINT}/data/restart-probe")
    before = node1.check_output("pgrep -x ceph-fuse")
    # The tests before this one restarted docker often enough to reach its start limit (3 in 60 s).
    node1.check_output("systemctl reset-failed docker.service")
    node1.check_output(f"systemctl restart {MOUNT_UNIT}")
    try:
        assert fstype(node1) == "fuse.ceph-fuse"
        assert node1.check_output("pgrep -x ceph-fuse") != before
        assert node1.file(f"{MOUNTPOINT}/data/restart-probe").content_string == f"{token}\n"
        # systemd restarts what requires the mount along with it.
        assert wait_active(node1, "docker.service")
    finally:
        node2.check_output(f"rm {MOUNTPOINT}/data/restart-probe")


def test_mount_and_docker_come_back_after_a_reboot(node2):
    subprocess.run(["docker", "restart", "cephfs-node2"], check=True, capture_output=True)
    wait_booted("cephfs-node2")
    assert fstype(node2) == "fuse.ceph-fuse"
    assert node2.file(f"{MOUNTPOINT}/data/registry").is_directory
    assert node2.service("docker.service").is_running
    mounted = int(unit_property(node2, MOUNT_UNIT, "ActiveEnterTimestampMonotonic"))
    docker_started = int(unit_property(node2, "docker.service", "ExecMainStartTimestampMonotonic"))
    assert 0 < mounted < docker_started
