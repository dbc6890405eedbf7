"""The share guard: nothing is ever written under the mountpoint unless the CephFS is mounted there.

Each test takes the share away from cephfs-node1 in one way, runs a playbook that would write
under the mountpoint, and checks that the run fails with a clear message and that nothing landed
in the mountpoint directory on the node's own disk. The share is mounted again afterwards.
"""

import pytest
from bedhelpers import recap
from cephfs_testlib import (
    GOOD_VARS,
    MOUNT_UNIT,
    MOUNTPOINT,
    apply_role,
    fstype,
    guarded_write,
    local_entries,
    remount,
    text,
)


@pytest.fixture
def unmounted(node1):
    """cephfs-node1 with its share unmounted (docker stops with it); mounted again afterwards."""
    node1.check_output(f"systemctl stop {MOUNT_UNIT}")
    assert fstype(node1) == ""
    assert local_entries(node1) == []
    yield node1
    remount(node1)


def test_guard_lets_a_write_through_when_the_share_is_mounted(node1, node2, tmp_path):
    """The control: the guarded write of the next test works, and lands on the share."""
    target = f"{MOUNTPOINT}/guarded-cephfs-node1"
    result = guarded_write(tmp_path)
    try:
        assert result.returncode == 0, text(result)[-3000:]
        assert node2.file(target).content_string == "written after the guard\n"
    finally:
        node1.run(f"rm -f {target}")


def test_guard_refuses_an_unmounted_share(unmounted, tmp_path):
    result = guarded_write(tmp_path)

    output = text(result)
    assert result.returncode != 0
    assert f"{MOUNTPOINT} on cephfs-node1 is not a mount point" in output, output[-3000:]
    assert "Nothing was written" in output
    assert recap(result)["cephfs-node1"]["failed"] == 1
    assert local_entries(unmounted) == []


def test_role_refuses_another_file_system_at_the_mountpoint(unmounted, tmp_path):
    """A local file system mounted there (systemd then sees the mount unit as active)."""
    unmounted.check_output(f"mount -t tmpfs lookalike {MOUNTPOINT}")

    result = apply_role(tmp_path, GOOD_VARS)

    output = text(result)
    assert result.returncode != 0
    refusal = f"{MOUNTPOINT} on cephfs-node1 is a mount of type tmpfs, not the CephFS share"
    assert refusal in output, output[-3000:]
    assert unmounted.check_output(f"ls -A {MOUNTPOINT}") == ""
    unmounted.check_output(f"umount {MOUNTPOINT}")
    assert local_entries(unmounted) == []


def test_role_fails_clearly_when_the_share_cannot_be_mounted(unmounted, tmp_path):
    """FUSE unusable on the node: the cluster answers the role's checks but ceph-fuse cannot mount."""
    unmounted.check_output("mount --bind /dev/null /dev/fuse")
    try:
        result = apply_role(tmp_path, GOOD_VARS)
    finally:
        unmounted.check_output("umount /dev/fuse")

    output = text(result)
    assert result.returncode != 0
    assert f"Could not mount cephfs:/harbor at {MOUNTPOINT} on cephfs-node1" in output, output[-3000:]
    assert f"journalctl -u {MOUNT_UNIT}" in output
    assert local_entries(unmounted) == []


def test_guard_refuses_a_share_whose_client_died(node1, tmp_path):
    """ceph-fuse killed: its mount stays in the table but answers ENOTCONN."""
    node1.check_output("pkill -KILL -x ceph-fuse")
    try:
        assert fstype(node1) == "fuse.ceph-fuse"
        result = guarded_write(tmp_path)
        output = text(result)
        assert result.returncode != 0
        assert f"The CephFS share at {MOUNTPOINT} on cephfs-node1 does not answer" in output, output[-3000:]
        assert "Transport endpoint is not connected" in output
    finally:
        node1.check_output(f"systemctl restart {MOUNT_UNIT}")
    assert fstype(node1) == "fuse.ceph-fuse"
    assert node1.file(f"{MOUNTPOINT}/data").is_directory
