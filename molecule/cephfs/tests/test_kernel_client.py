"""The kernel client (mount -t ceph), as far as these machines can take it.

Their kernel has no CephFS client, so the mount itself cannot succeed here. The role is run with
cephfs_client_mount_type=kernel on cephfs-node1 anyway: everything up to mount(2) is real (the
fstab entry, the secret file, the unit), the mount fails with the role's message, the guard keeps
the local disk clean, and a run with the fuse client brings the node back.
"""

from cephfs_testlib import GOOD_VARS, MOUNTPOINT, apply_role, fstype, local_entries, remount, text

SECRET_FILE = "/etc/ceph/ceph.client.harbor.secret"


def fstab_entry(host) -> list[str]:
    entries = [
        line.split() for line in host.file("/etc/fstab").content_string.splitlines() if MOUNTPOINT in line
    ]
    assert len(entries) == 1
    return entries[0]


def test_kernel_client_entry_and_failure_on_a_kernel_without_cephfs(node1, tmp_path):
    filesystems = node1.file("/proc/filesystems").content_string.split()
    assert "ceph" not in filesystems, "this kernel has a CephFS client: expect the kernel mount to work here"
    keyring = node1.file("/etc/ceph/ceph.client.harbor.keyring").content_string
    key = next(
        line.split("=", 1)[1].strip() for line in keyring.splitlines() if line.strip().startswith("key")
    )
    try:
        result = apply_role(tmp_path, {**GOOD_VARS, "cephfs_client_mount_type": "kernel"})

        output = text(result)
        assert result.returncode != 0
        assert f"Could not mount cephfs:/harbor at {MOUNTPOINT} on cephfs-node1" in output, output[-3000:]
        assert fstab_entry(node1) == [
            "10.201.2.10:/harbor",
            MOUNTPOINT,
            "ceph",
            f"name=harbor,secretfile={SECRET_FILE},fs=cephfs,_netdev,noatime",
            "0",
            "0",
        ]
        secret = node1.file(SECRET_FILE)
        assert (secret.user, secret.group, secret.mode) == ("root", "root", 0o600)
        assert secret.content_string == f"{key}\n"
        assert local_entries(node1) == []
    finally:
        back = apply_role(tmp_path, GOOD_VARS)
        assert back.returncode == 0, text(back)[-3000:]
        remount(node1)
    assert fstab_entry(node1)[:3] == ["none", MOUNTPOINT, "fuse.ceph"]
    assert fstype(node1) == "fuse.ceph-fuse"
    assert not node1.file(SECRET_FILE).exists
