# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Harbor 2.x's prepare output, staged: the cluster's pinned values set in it, then made live.

Shared by the harbor2_prepare module and its unit tests. Harbor's prepare draws new secrets on
every run; the cluster pins them, so that every node, and every run, ends with the same files.
What the staged tree differs in from the live one is then a real change, and only that.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass

# The values Harbor 2.x's prepare draws anew on every run (make/photon/prepare/utils/configs.py
# and utils/core.py at v2.15.2), by the env key it writes each under, with the file of the
# cluster's key set that pins it.
PINNED_ENV = {
    "CORE_SECRET": "core_secret",
    "JOBSERVICE_SECRET": "jobservice_secret",
    "REGISTRY_CREDENTIAL_PASSWORD": "registry_password",
    "CSRF_KEY": "csrf_key",
    "ROBOT_SCANNER_NAME_PREFIX": "scan_robot_prefix",
}
# The registry's htpasswd, which prepare writes from the password it drew (bcrypt, salted anew).
PINNED_CONFIG_FILES = {"registry/passwd": "registry_htpasswd"}
# The keys prepare makes under data_volume only when they are missing: given to it from the key
# set, so that it makes none (and two nodes never make two).
KEY_FILES = {
    "secret/keys/secretkey": "secretkey",
    "secret/core/private_key.pem": "private_key.pem",
    "secret/registry/root.crt": "root.crt",
}
KEY_SET = sorted({*PINNED_ENV.values(), *PINNED_CONFIG_FILES.values(), *KEY_FILES.values()})
# prepare joins this list from a Python set: its order changes from run to run, its meaning not.
SET_VALUED_ENV = ("NO_PROXY",)
CSRF_KEY_LENGTH = 32


class PinError(ValueError):
    """The staged output or the key set is not what the pinning expects: nothing was changed."""


def read_key_set(directory: str) -> dict[str, bytes]:
    """The cluster's key set: every file of KEY_SET in `directory`."""
    missing = [name for name in KEY_SET if not os.path.isfile(os.path.join(directory, name))]
    if missing:
        raise PinError(
            f"the cluster's key set in {directory} lacks {', '.join(missing)}: it is not a Harbor 2.x"
            " key set (a Harbor 1.1 cluster cannot be upgraded to 2.x in place)"
        )
    values = {}
    for name in KEY_SET:
        with open(os.path.join(directory, name), "rb") as handle:
            values[name] = handle.read()
    return values


def env_values(key_set: dict[str, bytes], csrf_key: str | None = None) -> dict[str, str]:
    """The env values to pin, from the key set (and a CSRF key given by hand, which wins)."""
    values = {key: key_set[name].decode().strip() for key, name in PINNED_ENV.items()}
    if csrf_key:
        values["CSRF_KEY"] = csrf_key
    if len(values["CSRF_KEY"]) != CSRF_KEY_LENGTH:
        raise PinError(
            f"the CSRF key has {len(values['CSRF_KEY'])} characters: Harbor's core refuses every"
            f" protected request unless it has {CSRF_KEY_LENGTH}"
        )
    return values


def pin_env(text: str, values: dict[str, str]) -> tuple[str, set[str]]:
    """`text` of an env file with each key of `values` set, and set-valued keys in one order.

    Returns the new text and the keys of `values` the file holds. Other lines stay as they are.
    """
    found = set()
    lines = []
    for line in text.split("\n"):
        key, sep, value = line.partition("=")
        if sep and key in values:
            found.add(key)
            lines.append(f"{key}={values[key]}")
        elif sep and key in SET_VALUED_ENV and value:
            lines.append(f"{key}={','.join(sorted(value.split(',')))}")
        else:
            lines.append(line)
    return "\n".join(lines), found


def htpasswd_user(text: bytes) -> str:
    return text.decode().split(":", 1)[0].strip()


def pin_config(config: str, key_set: dict[str, bytes], values: dict[str, str]) -> None:
    """Set the pinned values in a staged common/config tree, in place (modes and owners kept).

    Fails when prepare wrote a pinned value nowhere: a release whose prepare draws another set of
    values than PINNED_ENV must be looked at before its output reaches a node.
    """
    found: set[str] = set()
    registry_user = None
    for directory, _subdirs, files in os.walk(config):
        for name in files:
            if name != "env":
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            pinned, keys = pin_env(text, values)
            found |= keys
            registry_user = registry_user or _env_value(text, "REGISTRY_CREDENTIAL_USERNAME")
            if pinned != text:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(pinned)
    unwritten = sorted(set(values) - found)
    if unwritten:
        raise PinError(f"prepare wrote no {', '.join(unwritten)} into common/config: not a layout to pin")
    for relative, name in PINNED_CONFIG_FILES.items():
        path = os.path.join(config, relative)
        if not os.path.isfile(path):
            raise PinError(f"prepare wrote no common/config/{relative}: not a layout to pin")
        if htpasswd_user(key_set[name]) != registry_user:
            raise PinError(
                f"the key set's {name} is for the user {htpasswd_user(key_set[name])!r}, and prepare's"
                f" registry credential is {registry_user!r}"
            )
        with open(path, "wb") as handle:
            handle.write(key_set[name])


def _env_value(text: str, key: str) -> str | None:
    for line in text.split("\n"):
        name, sep, value = line.partition("=")
        if sep and name == key:
            return value
    return None


def seed_data(data: str, key_set: dict[str, bytes]) -> None:
    """prepare's /data with the cluster's keys in place, so that it makes none."""
    for relative, name in KEY_FILES.items():
        path = os.path.join(data, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key_set[name])


# --------------------------------------------------------------------------- staged -> live


@dataclass(frozen=True)
class Entry:
    """A file or directory of a tree: what makes two of them equal."""

    is_dir: bool
    mode: int
    uid: int
    gid: int
    content: bytes | None = None


def entry(path: str, with_content: bool = True) -> Entry | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    is_dir = stat.S_ISDIR(info.st_mode)
    content = None
    if with_content and not is_dir:
        with open(path, "rb") as handle:
            content = handle.read()
    return Entry(is_dir, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, content)


def tree(root: str) -> dict[str, Entry]:
    """Every file and directory under `root` (not `root` itself), by relative path."""
    entries = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            entries[os.path.relpath(path, root)] = entry(path)
    return entries


@dataclass
class Plan:
    """What makes a live tree equal to a staged one: paths relative to the trees' roots."""

    write: list[str]
    remove: list[str]

    @property
    def empty(self) -> bool:
        return not (self.write or self.remove)


def plan(staged: dict[str, Entry], live_root: str, mirror: bool) -> Plan:
    """The differences of `live_root` from `staged`. With `mirror`, live files that are not staged
    go too (prepare empties common/config on every run; it keeps directories), but for empty
    ones: docker makes an empty file where a container binds a file into a directory it binds
    from there (the registry's root.crt into common/config/registry), again at every start."""
    write = [
        relative
        for relative, wanted in sorted(staged.items())
        if entry(os.path.join(live_root, relative), with_content=not wanted.is_dir) != wanted
    ]
    remove = []
    if mirror:
        for directory, _subdirs, files in os.walk(live_root):
            for name in files:
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, live_root)
                if relative not in staged and os.path.getsize(path) > 0:
                    remove.append(relative)
    return Plan(write, sorted(remove))


def _chown_tree(path: str, uid: int, gid: int) -> None:
    """prepare_dir's rule: a directory whose owner is not the wanted one is given, with all it holds."""
    for directory, dirs, files in os.walk(path):
        os.chown(directory, uid, gid)
        for name in dirs + files:
            os.lchown(os.path.join(directory, name), uid, gid)


def _write_file(path: str, wanted: Entry) -> None:
    """Replace `path` in one rename: a reader (a container starting) sees the old or the new file."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".harbor-ha-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(wanted.content)
        os.chown(tmp, wanted.uid, wanted.gid)
        os.chmod(tmp, wanted.mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply(the_plan: Plan, staged: dict[str, Entry], live_root: str) -> None:
    """Carry out `the_plan` (parents first: the staged paths are sorted)."""
    for relative in the_plan.write:
        path, wanted = os.path.join(live_root, relative), staged[relative]
        if wanted.is_dir:
            try:
                os.mkdir(path, wanted.mode)
            except OSError as exc:
                # Another node of the cluster may make the same directory on the share.
                if exc.errno != errno.EEXIST:
                    raise
            current = os.lstat(path)
            if (current.st_uid, current.st_gid) != (wanted.uid, wanted.gid):
                _chown_tree(path, wanted.uid, wanted.gid)
            os.chmod(path, wanted.mode)
        else:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            _write_file(path, wanted)
    for relative in the_plan.remove:
        os.unlink(os.path.join(live_root, relative))
