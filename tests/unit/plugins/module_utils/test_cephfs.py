"""module_utils.cephfs: monitor addresses and reachability, libcephfs sessions, directories."""

import errno
import socket

import pytest

from ansible_collections.harbor_ha.cluster.plugins.module_utils import cephfs as mu
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.cephfs_fake import (
    FakeCephFS,
    ObjectNotFound,
    PermissionDenied,
    answering_port,
    silent_port,
)
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.cephfs_fake import OSError as CephOSError


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("10.0.0.1", ("10.0.0.1", (3300, 6789))),
        ("mon-a.example.com:6789", ("mon-a.example.com", (6789,))),
        ("[fd00::1]:3300", ("fd00::1", (3300,))),
        ("[fd00::1]", ("fd00::1", (3300, 6789))),
        (" 10.0.0.1 ", ("10.0.0.1", (3300, 6789))),
    ],
)
def test_parse_monitor(entry, expected):
    assert mu.parse_monitor(entry) == expected


@pytest.mark.parametrize(
    "entry", ["", "10.0.0.1:", "fd00::1", "http://mon:6789", "mon:99999", "mon:0", "a b"]
)
def test_parse_monitor_rejects(entry):
    with pytest.raises(ValueError, match=r"monitor address|out of range"):
        mu.parse_monitor(entry)


@pytest.fixture
def listening_port():
    with answering_port() as port:
        yield port


def test_unanswered_monitors_over_real_sockets(listening_port):
    silent = f"127.0.0.1:{silent_port()}"
    assert mu.unanswered_monitors([f"127.0.0.1:{listening_port}", silent], timeout=2) == [silent]


def test_bare_monitor_answers_on_either_default_port():
    tried = []

    def connect(address, timeout):
        tried.append(address)
        if address[1] != 6789:
            raise ConnectionRefusedError
        return socket.socket()

    assert mu.unanswered_monitors(["10.0.0.1"], timeout=1, connect=connect) == []
    assert tried == [("10.0.0.1", 3300), ("10.0.0.1", 6789)]


def test_unanswered_monitors_rejects_a_malformed_entry():
    with pytest.raises(ValueError, match="not a monitor address"):
        mu.unanswered_monitors(["mon a"], timeout=1)


@pytest.fixture
def lib():
    return FakeCephFS()


def test_session_passes_monitors_key_and_timeout_without_a_conf_file(lib):
    monitors = ["10.0.0.1", "10.0.0.2:6789"]
    with mu.session(monitors=monitors, client_id="harbor", key="AQ==", timeout=7, lib=lib):
        pass
    handle = lib.handles[0]
    assert handle.conffile is None
    assert handle.auth_id == "harbor"
    assert handle.conf["mon_host"] == "10.0.0.1,10.0.0.2:6789"
    assert handle.conf["key"] == "AQ=="
    assert handle.conf["client_mount_timeout"] == "7"
    assert handle.state == "shutdown"


def test_session_reads_a_conf_file_and_its_keyring(lib):
    with mu.session(conf_file="/etc/ceph/ceph.conf", lib=lib):
        pass
    handle = lib.handles[0]
    assert handle.conffile == "/etc/ceph/ceph.conf"
    assert handle.auth_id == "admin"
    assert "key" not in handle.conf
    assert "mon_host" not in handle.conf


@pytest.mark.parametrize(
    ("phase", "error", "reason", "message"),
    [
        ("init_error", PermissionDenied("denied", errno.EACCES), "auth", "refused client.harbor"),
        ("init_error", CephOSError("timed out", errno.ETIMEDOUT), "monitors", "no monitor answered"),
        ("init_error", CephOSError("other", errno.EIO), "connect", "cannot connect"),
        ("mount_error", PermissionDenied("denied", errno.EPERM), "auth", "may not mount file system"),
        ("mount_error", CephOSError("timed out", errno.ETIMEDOUT), "mds", "is an MDS active"),
        ("mount_error", ObjectNotFound("nope", errno.ENOENT), "fs_name", "has no file system 'cephfs'"),
    ],
)
def test_session_errors_say_what_to_fix(lib, phase, error, reason, message):
    setattr(lib, phase, error)
    with (
        pytest.raises(mu.CephFSError, match=message) as caught,
        mu.session(client_id="harbor", fs_name="cephfs", lib=lib),
    ):
        pass
    assert caught.value.reason == reason
    assert lib.handles[0].state == "shutdown"


def test_session_pauses_before_the_shutdown_of_a_mounted_session_only(lib, monkeypatch):
    """The pause that lets libcephfs 16 drop the last request's references before the unmount."""
    pauses = []
    monkeypatch.setattr(mu.time, "sleep", lambda seconds: pauses.append((seconds, lib.handles[-1].state)))
    with mu.session(lib=lib):
        pass
    assert pauses == [(mu.SHUTDOWN_SETTLE, "mounted")]
    assert lib.handles[0].state == "shutdown"
    assert 0 < mu.SHUTDOWN_SETTLE <= 0.1

    lib.mount_error = PermissionDenied("denied", errno.EPERM)
    with pytest.raises(mu.CephFSError), mu.session(lib=lib):
        pass
    assert len(pauses) == 1
    assert lib.handles[1].state == "shutdown"


def test_session_names_an_unknown_file_system(lib):
    with (
        pytest.raises(mu.CephFSError, match="no file system 'other'") as caught,
        mu.session(fs_name="other", lib=lib),
    ):
        pass
    assert caught.value.reason == "fs_name"


def test_session_without_libcephfs(monkeypatch):
    monkeypatch.setattr(mu, "cephfs", None)
    assert not mu.have_libcephfs()
    with pytest.raises(mu.CephFSError, match="python3-cephfs") as caught, mu.session():
        pass
    assert caught.value.reason == "library"


def test_stat(lib):
    lib.tree["/harbor"] = [0o750, 10000, 10000, True]
    lib.tree["/file"] = [0o644, 0, 0, False]
    with mu.session(lib=lib) as handle:
        assert mu.stat(handle, "/harbor", lib) == {"uid": 10000, "gid": 10000, "mode": "0750", "isdir": True}
        assert mu.stat(handle, "/file", lib)["isdir"] is False
        assert mu.stat(handle, "/missing", lib) is None


def test_ensure_directory_creates_with_the_exact_mode(lib):
    with mu.session(lib=lib) as handle:
        result = mu.ensure_directory(handle, "/harbor/data", 0o775, None, None, check_mode=False, lib=lib)
    assert result == {"changed": True, "created": True, "mode": "0775", "uid": 0, "gid": 0}
    # The umask (022) took the group's write bit at creation; the chmod gave it back.
    assert lib.tree["/harbor/data"][:3] == [0o775, 0, 0]
    assert lib.tree["/harbor"][3] is True


def test_ensure_directory_is_idempotent(lib):
    with mu.session(lib=lib) as handle:
        mu.ensure_directory(handle, "/harbor", 0o755, 10000, None, check_mode=False, lib=lib)
        again = mu.ensure_directory(handle, "/harbor", 0o755, 10000, None, check_mode=False, lib=lib)
    assert again == {"changed": False, "created": False, "mode": "0755", "uid": 10000, "gid": 0}


def test_ensure_directory_fixes_mode_and_owner(lib):
    lib.tree["/harbor"] = [0o700, 0, 0, True]
    with mu.session(lib=lib) as handle:
        result = mu.ensure_directory(handle, "/harbor", 0o755, 10000, 10000, check_mode=False, lib=lib)
    assert result["changed"] is True
    assert result["created"] is False
    assert lib.tree["/harbor"] == [0o755, 10000, 10000, True]


def test_ensure_directory_in_check_mode_changes_nothing(lib):
    lib.tree["/old"] = [0o700, 0, 0, True]
    with mu.session(lib=lib) as handle:
        new = mu.ensure_directory(handle, "/new", 0o755, None, None, check_mode=True, lib=lib)
        old = mu.ensure_directory(handle, "/old", 0o755, None, None, check_mode=True, lib=lib)
    assert (new["changed"], new["created"]) == (True, True)
    assert (old["changed"], old["created"]) == (True, False)
    assert "/new" not in lib.tree
    assert lib.tree["/old"][0] == 0o700


def test_ensure_directory_refuses_a_file(lib):
    lib.tree["/harbor"] = [0o644, 0, 0, False]
    with mu.session(lib=lib) as handle, pytest.raises(mu.CephFSError, match="not a directory") as caught:
        mu.ensure_directory(handle, "/harbor", 0o755, None, None, check_mode=False, lib=lib)
    assert caught.value.reason == "path"
