"""systemd_mount_unit names a mount point's unit as systemd-escape --path --suffix=mount does."""

import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.systemd_mount_unit import (
    FilterModule,
    systemd_mount_unit,
)

# Expected names from systemd's escaping rules (unit-name.c, man systemd.unit "String Escaping").
CASES = [
    ("/mnt/cephfs/harbor", "mnt-cephfs-harbor.mount"),
    ("/mnt/cephfs/harbor/", "mnt-cephfs-harbor.mount"),
    ("//mnt//cephfs/./harbor", "mnt-cephfs-harbor.mount"),
    ("/srv/ceph-fs", "srv-ceph\\x2dfs.mount"),
    ("/srv/a b", "srv-a\\x20b.mount"),
    ("/srv/back\\slash", "srv-back\\x5cslash.mount"),
    ("/srv/x:y_z.1", "srv-x:y_z.1.mount"),
    ("/.hidden/data", "\\x2ehidden-data.mount"),
    ("/srv/.hidden", "srv-.hidden.mount"),
    ("/srv/hafen/größe", "srv-hafen-gr\\xc3\\xb6\\xc3\\x9fe.mount"),
    ("/", "-.mount"),
]


@pytest.mark.parametrize(("path", "unit"), CASES)
def test_names(path, unit):
    assert systemd_mount_unit(path) == unit


# On a machine with systemd (the test machine and CI have it), the same answers as systemd's own
# tool. Without the tool there is nothing to compare with; test_names still checks every case.
SYSTEMD_ESCAPE = shutil.which("systemd-escape")


@pytest.mark.skipif(SYSTEMD_ESCAPE is None, reason="systemd-escape is not installed on this machine")
@pytest.mark.parametrize("path", [path for path, _ in CASES])
def test_same_as_systemd_escape(path):
    tool = subprocess.run(
        [SYSTEMD_ESCAPE, "--path", "--suffix=mount", path], capture_output=True, text=True, check=True
    )
    assert systemd_mount_unit(path) == tool.stdout.strip()


@pytest.mark.parametrize("path", ["mnt/cephfs", "", "/mnt/../etc", None, 3])
def test_refuses_what_systemd_refuses(path):
    with pytest.raises(AnsibleFilterError, match="systemd_mount_unit"):
        systemd_mount_unit(path)


def test_registered():
    assert FilterModule().filters()["systemd_mount_unit"] is systemd_mount_unit
