"""cephfs_info and cephfs_directory run against an in-memory libcephfs."""

import errno
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.module_utils import cephfs as mu
from ansible_collections.harbor_ha.cluster.plugins.modules import cephfs_directory, cephfs_info
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.cephfs_fake import (
    FakeCephFS,
    PermissionDenied,
    answering_port,
    silent_port,
)

KEY = "AQDvdQlrr2N0FRAAjcTd+3jzl+cIvVPdMLZc5g=="


def run_module(module, capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def lib(monkeypatch):
    fake = FakeCephFS()
    fake.tree["/harbor"] = [0o755, 0, 0, True]
    monkeypatch.setattr(mu, "cephfs", fake)
    return fake


@pytest.fixture
def monitor():
    with answering_port() as port:
        yield f"127.0.0.1:{port}"


def silent_monitor() -> str:
    return f"127.0.0.1:{silent_port()}"


def test_info_checks_monitors_only_without_a_path(capsys, lib, monitor):
    silent = silent_monitor()
    code, result = run_module(cephfs_info, capsys, monitors=[monitor, silent], timeout=2)
    assert code == 0
    assert result["monitors_unanswered"] == [silent]
    assert "stat" not in result
    assert lib.handles == []


def test_info_looks_up_the_path_as_the_client(capsys, lib, monitor):
    code, result = run_module(
        cephfs_info, capsys, monitors=[monitor], client_id="harbor", key=KEY, fs_name="cephfs", path="/harbor"
    )
    assert code == 0
    assert result["stat"] == {"exists": True, "isdir": True, "mode": "0755", "uid": 0, "gid": 0}
    assert lib.handles[0].auth_id == "harbor"
    assert lib.handles[0].conf["key"] == KEY


def test_info_says_what_is_mounted_at_the_mountpoint(capsys, lib, monitor, monkeypatch, tmp_path):
    code, result = run_module(cephfs_info, capsys, monitors=[monitor], key=KEY, path="/harbor")
    assert "mount" not in result

    code, result = run_module(
        cephfs_info, capsys, monitors=[monitor], key=KEY, path="/harbor", mountpoint=str(tmp_path)
    )
    assert code == 0
    assert result["mount"] == {
        "path": str(tmp_path),
        "mounted": False,
        "fstype": None,
        "answering": False,
        "error": None,
    }
    assert result["stat"]["exists"] is True

    read = []
    share = {"path": "/mnt/cephfs/harbor", "mounted": True, "fstype": "fuse.ceph-fuse", "answering": True}
    monkeypatch.setattr(cephfs_info.node_probe, "share", lambda path: read.append(path) or share)
    code, result = run_module(cephfs_info, capsys, monitors=[monitor], mountpoint="/mnt/cephfs/harbor")
    assert (code, read, result["mount"]) == (0, ["/mnt/cephfs/harbor"], share)


def test_info_reads_the_mount_even_when_the_monitors_are_refused(capsys, lib, monkeypatch):
    monkeypatch.setattr(cephfs_info.node_probe, "share", lambda path: {"path": path, "mounted": False})
    code, result = run_module(cephfs_info, capsys, monitors=["http://mon"], mountpoint="/mnt/x")
    assert code == 1
    assert result["reason"] == "monitors"
    assert result["mount"] == {"path": "/mnt/x", "mounted": False}


def test_info_reports_a_missing_path(capsys, lib, monitor):
    code, result = run_module(cephfs_info, capsys, monitors=[monitor], key=KEY, path="/nope")
    assert code == 0
    assert result["stat"] == {"exists": False}


def test_info_does_not_connect_when_no_monitor_answers(capsys, lib):
    silent = silent_monitor()
    code, result = run_module(cephfs_info, capsys, monitors=[silent], key=KEY, path="/harbor", timeout=1)
    assert code == 0
    assert result["monitors_unanswered"] == [silent]
    assert lib.handles == []


def test_info_fails_with_a_reason_and_never_shows_the_key(capsys, lib, monitor):
    lib.init_error = PermissionDenied("denied", errno.EACCES)
    args = {"monitors": [monitor], "client_id": "harbor", "key": KEY, "path": "/harbor"}
    code, result = run_module(cephfs_info, capsys, **args)
    assert code == 1
    assert result["reason"] == "auth"
    assert "refused client.harbor" in result["msg"]
    assert KEY not in json.dumps(result)


def test_info_rejects_a_malformed_monitor(capsys, lib):
    code, result = run_module(cephfs_info, capsys, monitors=["http://mon"])
    assert code == 1
    assert result["reason"] == "monitors"


def test_info_in_check_mode_without_libcephfs_warns(capsys, monkeypatch, monitor):
    monkeypatch.setattr(mu, "cephfs", None)
    # Where a warning ends up depends on what else of ansible-core the process has loaded: catch it
    # where the module hands it over.
    warned = []
    monkeypatch.setattr(cephfs_info.AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    args = {"monitors": [monitor], "key": KEY, "path": "/harbor", "_ansible_check_mode": True}
    code, result = run_module(cephfs_info, capsys, **args)
    assert code == 0
    assert "stat" not in result
    assert any("python3-cephfs is not installed" in msg for msg in warned)


def test_info_without_libcephfs_fails(capsys, monkeypatch, monitor):
    monkeypatch.setattr(mu, "cephfs", None)
    code, result = run_module(cephfs_info, capsys, monitors=[monitor], key=KEY, path="/harbor")
    assert code == 1
    assert result["reason"] == "library"


def test_info_missing_library_skip_checks_the_monitors_only_without_libcephfs(capsys, monkeypatch, monitor):
    monkeypatch.setattr(mu, "cephfs", None)
    silent = silent_monitor()
    args = {
        "monitors": [monitor, silent],
        "key": KEY,
        "path": "/harbor",
        "missing_library": "skip",
        "timeout": 2,
    }
    code, result = run_module(cephfs_info, capsys, **args)
    assert code == 0
    assert result["monitors_unanswered"] == [silent]
    assert "stat" not in result


def test_info_missing_library_skip_still_looks_up_where_libcephfs_is(capsys, lib, monitor):
    args = {"monitors": [monitor], "client_id": "harbor", "key": KEY, "fs_name": "cephfs", "path": "/nope"}
    code, result = run_module(cephfs_info, capsys, missing_library="skip", **args)
    assert (code, result["stat"]) == (0, {"exists": False})


def test_directory_creates_then_changes_nothing(capsys, lib):
    args = {"conf_file": "/etc/ceph/ceph.conf", "path": "/harbor/data", "mode": "0750", "uid": 10000}
    args["gid"] = 10000
    code, first = run_module(cephfs_directory, capsys, **args)
    assert code == 0
    assert (first["changed"], first["created"], first["mode"], first["uid"]) == (True, True, "0750", 10000)
    assert lib.tree["/harbor/data"] == [0o750, 10000, 10000, True]
    code, second = run_module(cephfs_directory, capsys, **args)
    assert (code, second["changed"]) == (0, False)


def test_directory_check_mode_writes_nothing(capsys, lib):
    code, result = run_module(cephfs_directory, capsys, path="/new", _ansible_check_mode=True)
    assert (code, result["changed"], result["created"]) == (0, True, True)
    assert "/new" not in lib.tree


@pytest.mark.parametrize(
    ("args", "reason"), [({"path": "relative"}, "path"), ({"path": "/x", "mode": "0855"}, "mode")]
)
def test_directory_rejects_bad_arguments(capsys, lib, args, reason):
    code, result = run_module(cephfs_directory, capsys, **args)
    assert code == 1
    assert result["reason"] == reason
    assert lib.handles == []
