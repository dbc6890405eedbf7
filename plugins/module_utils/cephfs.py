# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Reach a Ceph cluster from a module: monitor reachability (TCP) and a libcephfs session.

libcephfs comes from Debian's python3-cephfs, a dependency of ceph-common; monitors are checked
with plain sockets, so that check runs before any Ceph package is installed.
"""

from __future__ import annotations

import errno
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

try:
    import cephfs
except ImportError:
    cephfs = None

# A monitor without a port is tried on msgr2 (3300) and the legacy msgr1 port (6789): Ceph
# clients do the same with a bare `mon host` entry.
DEFAULT_MON_PORTS = (3300, 6789)

# host | host:port | [ipv6] | [ipv6]:port
_MONITOR = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9._-]+))(?::(?P<port>[0-9]{1,5}))?$")

# libcephfs 16 (python3-cephfs of Debian 12): the messenger thread that handles an MDS reply drops
# the request's inode references just after the caller has its answer. When that happens during
# the unmount, the last references are put off to the client's next tick (client_tick_interval,
# one second, whole seconds only), and shutdown() waits for it ("cache still has 0+2 items,
# waiting (for caps to release?)" at debug_client 20). A short pause before the shutdown lets the
# thread finish first. On the test bed, shutdown waited a second in about one session in three
# without it, and in none of 60 with a pause of 5 to 50 ms.
SHUTDOWN_SETTLE = 0.05

# The options every module that opens a CephFS session accepts (doc fragment harbor_ha.cluster.cephfs).
CONNECTION_ARGS = {
    "monitors": {"type": "list", "elements": "str"},
    "conf_file": {"type": "path"},
    "client_id": {"type": "str", "default": "admin"},
    "key": {"type": "str", "no_log": True},
    "fs_name": {"type": "str"},
    "timeout": {"type": "int", "default": 10},
}


class CephFSError(Exception):
    """A cluster answer a module reports; `reason` says which input to look at."""

    def __init__(self, msg: str, reason: str):
        super().__init__(msg)
        self.reason = reason


def have_libcephfs() -> bool:
    return cephfs is not None


def parse_monitor(entry: str) -> tuple[str, tuple[int, ...]]:
    """Split `host`, `host:port`, `[v6]` or `[v6]:port` into the host and the ports to try."""
    match = _MONITOR.match(entry.strip())
    if not match:
        raise ValueError(f"{entry!r} is not a monitor address (host, host:port or [ipv6]:port)")
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"{entry!r}: port {port} is out of range")
    host = match.group("v6") or match.group("host")
    return host, (int(port),) if port else DEFAULT_MON_PORTS


def answers(host: str, port: int, timeout: float, connect: Callable = socket.create_connection) -> bool:
    try:
        connect((host, port), timeout=timeout).close()
    except OSError:
        return False
    return True


def unanswered_monitors(
    monitors: list[str], timeout: float, connect: Callable = socket.create_connection
) -> list[str]:
    """The monitors that accept no TCP connection on any of their ports within `timeout` each."""
    silent = []
    for entry in monitors:
        host, ports = parse_monitor(entry)
        if not any(answers(host, port, timeout, connect) for port in ports):
            silent.append(entry)
    return silent


def _errno(exc: Exception) -> int | None:
    return getattr(exc, "errno", None)


def _connect_error(exc: Exception, client_id: str, timeout: int) -> CephFSError:
    code = _errno(exc)
    if code in (errno.EACCES, errno.EPERM):
        return CephFSError(
            f"the monitors refused client.{client_id}: its key is wrong or it does not exist", "auth"
        )
    if code == errno.ETIMEDOUT:
        return CephFSError(f"no monitor answered client.{client_id} within {timeout} s", "monitors")
    return CephFSError(f"cannot connect to the cluster as client.{client_id}: {exc}", "connect")


def _mount_error(exc: Exception, client_id: str, fs_name: str | None, timeout: int) -> CephFSError:
    code = _errno(exc)
    name = f"file system {fs_name!r}" if fs_name else "the default file system"
    if code == errno.ENOENT:
        return CephFSError(f"the cluster has no {name}", "fs_name")
    if code in (errno.EACCES, errno.EPERM):
        return CephFSError(f"client.{client_id} may not mount {name} (its mds/mon caps)", "auth")
    if code == errno.ETIMEDOUT:
        return CephFSError(f"{name} did not become available within {timeout} s: is an MDS active?", "mds")
    return CephFSError(f"cannot mount {name}: {exc}", "connect")


@contextmanager
def session(
    *,
    monitors: list[str] | None = None,
    conf_file: str | None = None,
    client_id: str = "admin",
    key: str | None = None,
    fs_name: str | None = None,
    timeout: int = 10,
    lib=None,
) -> Iterator:
    """A mounted libcephfs handle on the root of the file system; CephFSError on failure.

    Settings come from `conf_file` when given (with its keyring), then `monitors` and `key`
    override them: a caller that passes both needs no file on the host at all.
    """
    lib = lib or cephfs
    if lib is None:
        raise CephFSError("libcephfs for Python is missing: install ceph-common (python3-cephfs)", "library")
    conf = {"client_mount_timeout": str(timeout), "log_to_stderr": "false", "err_to_stderr": "false"}
    if monitors:
        conf["mon_host"] = ",".join(monitors)
    if key:
        conf["key"] = key
    try:
        # conffile=None reads no file at all (the library's NO_CONF_FILE constant is refused here).
        handle = lib.LibCephFS(conf=conf, conffile=conf_file or None, auth_id=client_id)
    except lib.Error as exc:
        raise CephFSError(f"cannot read the Ceph configuration {conf_file}: {exc}", "conf_file") from exc
    mounted = False
    try:
        try:
            handle.init()
        except lib.Error as exc:
            raise _connect_error(exc, client_id, timeout) from exc
        try:
            handle.mount(filesystem_name=fs_name or None)
        except lib.Error as exc:
            raise _mount_error(exc, client_id, fs_name, timeout) from exc
        mounted = True
        yield handle
    finally:
        if mounted:
            time.sleep(SHUTDOWN_SETTLE)
        handle.shutdown()


def stat(handle, path: str, lib=None) -> dict | None:
    """Owner, group, mode and type of `path` in the file system, or None when it does not exist."""
    lib = lib or cephfs
    try:
        st = handle.stat(path.encode())
    except lib.ObjectNotFound:
        return None
    except lib.Error as exc:
        raise CephFSError(f"cannot stat {path}: {exc}", "path") from exc
    return {
        "uid": st.st_uid,
        "gid": st.st_gid,
        "mode": f"{st.st_mode & 0o7777:04o}",
        "isdir": (st.st_mode & 0o170000) == 0o040000,
    }


def ensure_directory(
    handle, path: str, mode: int, uid: int | None, gid: int | None, check_mode: bool, lib=None
) -> dict:
    """Make `path` a directory with `mode` (and `uid`/`gid` when given); what it is afterwards."""
    lib = lib or cephfs
    found = stat(handle, path, lib)
    if found is not None and not found["isdir"]:
        raise CephFSError(f"{path} exists and is not a directory", "path")
    created = found is None
    try:
        if created:
            found = {"uid": 0, "gid": 0, "mode": "0000", "isdir": True}
            if not check_mode:
                handle.mkdirs(path.encode(), mode)
                found = stat(handle, path, lib)
        want_uid = found["uid"] if uid is None else uid
        want_gid = found["gid"] if gid is None else gid
        fix_mode = int(found["mode"], 8) != mode
        fix_owner = (found["uid"], found["gid"]) != (want_uid, want_gid)
        if not check_mode:
            # mkdirs applies the client's umask: a new directory gets its mode here too.
            if fix_mode:
                handle.chmod(path.encode(), mode)
            if fix_owner:
                handle.chown(path.encode(), want_uid, want_gid)
    except lib.Error as exc:
        raise CephFSError(f"cannot prepare {path}: {exc}", "path") from exc
    return {
        "changed": created or fix_mode or fix_owner,
        "created": created,
        "mode": f"{mode:04o}",
        "uid": want_uid,
        "gid": want_gid,
    }
