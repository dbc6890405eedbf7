"""Test doubles for the CephFS plugins: python3-cephfs as an in-memory file system, and monitors
as local TCP ports that answer or not."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace


@contextmanager
def answering_port() -> Iterator[int]:
    """A local TCP port that accepts connections, standing in for a monitor."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def silent_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Error(Exception):
    pass


class OSError(Error):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.errno = code


class PermissionDenied(OSError):
    pass


class ObjectNotFound(OSError):
    pass


class FakeCephFS:
    """The module `cephfs`: LibCephFS handles share one file system; failures are set per phase."""

    Error = Error
    OSError = OSError
    PermissionDenied = PermissionDenied
    ObjectNotFound = ObjectNotFound

    def __init__(self, file_systems=("cephfs",)):
        self.file_systems = set(file_systems)
        # path -> [mode, uid, gid, is_dir]; the root exists.
        self.tree = {"/": [0o755, 0, 0, True]}
        self.init_error: Exception | None = None
        self.mount_error: Exception | None = None
        self.umask = 0o022
        self.handles: list[Handle] = []
        self.LibCephFS = self._make_handle

    def _make_handle(self, conf=None, conffile=None, auth_id=None):
        handle = Handle(self, conf or {}, conffile, auth_id)
        self.handles.append(handle)
        return handle


class Handle:
    def __init__(self, fs: FakeCephFS, conf: dict, conffile, auth_id):
        self.fs, self.conf, self.conffile, self.auth_id = fs, conf, conffile, auth_id
        self.state = "configuring"

    def init(self):
        if self.fs.init_error:
            raise self.fs.init_error
        self.state = "initialized"

    def mount(self, filesystem_name=None):
        assert self.state == "initialized"
        if self.fs.mount_error:
            raise self.fs.mount_error
        if filesystem_name is not None and filesystem_name not in self.fs.file_systems:
            raise ObjectNotFound("error calling ceph_mount", errno.ENOENT)
        self.state = "mounted"

    def shutdown(self):
        self.state = "shutdown"

    def _entry(self, path: bytes):
        assert self.state == "mounted"
        entry = self.fs.tree.get(path.decode())
        if entry is None:
            raise ObjectNotFound(f"error in stat: {path.decode()}", errno.ENOENT)
        return entry

    def stat(self, path: bytes):
        mode, uid, gid, is_dir = self._entry(path)
        kind = 0o040000 if is_dir else 0o100000
        return SimpleNamespace(st_mode=kind | mode, st_uid=uid, st_gid=gid)

    def mkdirs(self, path: bytes, mode: int):
        parts = path.decode().strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/" + "/".join(parts[:depth])
            self.fs.tree.setdefault(sub, [mode & ~self.fs.umask, 0, 0, True])

    def chmod(self, path: bytes, mode: int):
        self._entry(path)[0] = mode

    def chown(self, path: bytes, uid: int, gid: int):
        entry = self._entry(path)
        entry[1], entry[2] = uid, gid
