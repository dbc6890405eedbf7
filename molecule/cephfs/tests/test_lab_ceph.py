"""LAB ONLY: the one-container Ceph cluster the nodes mount (role lab_ceph)."""

import json

import pytest
from cephfs_testlib import node

DAEMONS = ("ceph-mon@lab", "ceph-mgr@lab", "ceph-osd@0", "ceph-mds@lab")


@pytest.fixture(scope="module")
def lab():
    return node("cephfs-ceph")


def ceph_json(host, *args: str):
    return json.loads(host.check_output(f"ceph {' '.join(args)} --format json"))


@pytest.mark.parametrize("unit", DAEMONS)
def test_daemon_runs_and_starts_at_boot(lab, unit):
    service = lab.service(unit)
    assert service.is_running
    assert service.is_enabled


def test_cluster_has_its_monitor_osd_and_active_mds(lab):
    status = ceph_json(lab, "status")
    assert status["quorum_names"] == ["lab"]
    assert (status["osdmap"]["num_up_osds"], status["osdmap"]["num_in_osds"]) == (1, 1)
    mds = ceph_json(lab, "fs", "get", "cephfs")["mdsmap"]["info"].values()
    assert [(info["name"], info["state"]) for info in mds] == [("lab", "up:active")]


def test_client_has_exactly_the_caps_of_fs_authorize(lab):
    """The caps the role grants are compared with what the cluster's own command grants, with the
    snapshot capability (`s`) the backups need."""
    lab.check_output("ceph fs authorize cephfs client.authorize-probe / rws")
    try:
        reference = ceph_json(lab, "auth", "get", "client.authorize-probe")[0]["caps"]
    finally:
        lab.check_output("ceph auth rm client.authorize-probe")
    assert ceph_json(lab, "auth", "get", "client.harbor")[0]["caps"] == reference


def test_client_key_is_the_one_the_nodes_use(lab, node1):
    keyring = node1.file("/etc/ceph/ceph.client.harbor.keyring").content_string
    assert f"key = {lab.check_output('ceph auth get-key client.harbor')}" in keyring


def test_sub_path_is_a_directory_of_the_file_system(lab):
    """Read through libcephfs as the admin, not through a client's mount of it."""
    script = (
        "import cephfs, stat; fs = cephfs.LibCephFS(conffile='/etc/ceph/ceph.conf'); "
        "fs.mount(filesystem_name='cephfs'); st = fs.stat(b'/harbor'); "
        "print(stat.S_ISDIR(st.st_mode), oct(st.st_mode & 0o7777)); fs.shutdown()"
    )
    assert lab.check_output(f'python3 -c "{script}"') == "True 0o755"
