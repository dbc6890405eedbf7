#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Write a node's configuration files in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: config_files
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.6.0
short_description: Write a node's configuration files in one call
description:
  - Makes the given directories, writes the given files and removes the given paths on the node,
    in one module run. A role that writes many small files (units, configuration, keys) does so
    in one round trip to the node instead of the four or five that each
    M(ansible.builtin.template) or M(ansible.builtin.copy) task costs; that is most of the time
    of a re-run that changes nothing.
  - The content of a file is given by the controller (render a template with the
    C(ansible.builtin.template) lookup) or read from another file on the node (O(files[].src)).
  - A file is written only when its content differs, atomically (a temporary file in the same
    directory, then a rename), and its owner, group and mode are set when they differ.
  - Directories come first, then files in the order given, then removals.
options:
  directories:
    description: Directories to make (with missing parents) or to give the owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: Its owner; unchanged when not given.
        type: str
      group:
        description: Its group; unchanged when not given.
        type: str
      mode:
        description: Its permissions, as an octal string such as V("0755"); unchanged when not given.
        type: raw
  files:
    description:
      - Files to write. Their content appears in the diff.
      - Exactly one of O(files[].content) and O(files[].src) per file.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file. Its directory must exist (or be in O(directories)).
        type: path
        required: true
      content:
        description: The file's content, written as it is (UTF-8).
        type: str
      src:
        description: A file on the node whose content this file gets. Its content is not shown in the diff.
        type: path
      owner:
        description: The file's owner; unchanged (root for a new file) when not given.
        type: str
      group:
        description: The file's group; unchanged when not given.
        type: str
      mode:
        description:
          - The file's permissions, as an octal string such as V("0644").
          - Unchanged when not given; a new file then gets 0600.
        type: raw
      force:
        description:
          - With V(false), the file is written only when it does not exist; an existing file is
            left as it is, content and attributes (what M(ansible.builtin.copy) does with
            C(force=false)). For a file whose content something else owns once it exists.
        type: bool
        default: true
      validate:
        description:
          - A command that checks the new content before it replaces the file, with V(%s) where
            the path of the new content goes (as M(ansible.builtin.template)'s C(validate)). It
            runs only when the content changes, not in check mode; when it fails, the file is
            left as it was and the module fails with the command's output.
        type: str
      drop_lines:
        description:
          - A regular expression (Python's C(re), searched in each line as
            M(ansible.builtin.lineinfile)'s C(regexp)). The lines of the content that match it
            are left out.
          - With O(files[].src) set to the file itself, this removes lines from a file in place,
            as M(ansible.builtin.lineinfile) with C(state=absent) does, in the same call as the
            other files. The diff then shows the lines removed.
        type: str
        version_added: 0.2.0
  secret_files:
    description:
      - Files whose content is a credential (keys, passwords). As O(files), but their content
        never appears in the output nor in the diff, which names the file only.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file.
        type: path
        required: true
      content:
        description: The file's content.
        type: str
      src:
        description: A file on the node whose content this file gets.
        type: path
      owner:
        description: The file's owner.
        type: str
      group:
        description: The file's group.
        type: str
      mode:
        description: The file's permissions, as an octal string.
        type: raw
      force:
        description: As O(files[].force).
        type: bool
        default: true
      validate:
        description: As O(files[].validate); a failed check's output is not shown (it may quote the content).
        type: str
      drop_lines:
        description: As O(files[].drop_lines).
        type: str
        version_added: 0.2.0
  absent:
    description: Files to remove when they exist (not directories).
    type: list
    elements: path
    default: []
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
notes:
  - A task that writes files whose changes mean different things (one restarts a service, another
    does not) is better split in two calls, since the task is changed when any of its files is.
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Install the script that starts Harbor and its unit
  harbor_ha.cluster.config_files:
    files:
      - path: /usr/local/sbin/harbor-start
        content: "{{ lookup('ansible.builtin.template', 'harbor-start.j2') }}"
        owner: root
        group: root
        mode: "0755"
      - path: /etc/systemd/system/harbor.service
        content: "{{ lookup('ansible.builtin.template', 'harbor.service.j2') }}"
        owner: root
        group: root
        mode: "0644"
  register: harbor_service_files
  notify: Harbor changed

- name: Write the Ceph client's keyring and copy the cluster's secretkey from the share
  harbor_ha.cluster.config_files:
    directories:
      - path: /etc/ceph
        mode: "0755"
    secret_files:
      - path: /etc/ceph/ceph.client.harbor.keyring
        content: "{{ lookup('ansible.builtin.template', 'ceph.client.keyring.j2') }}"
        mode: "0600"
      - path: /data/secretkey
        src: /mnt/cephfs/harbor/secrets/secretkey
        mode: "0600"
    absent:
      - /etc/ceph/harbor.secret
"""

RETURN = r"""
changed_files:
  description: The directories and files made, written, given other attributes or removed.
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/harbor.service]
"""

import grp
import os
import pwd
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import file_mode

ENTRY = {
    "path": {"type": "path", "required": True},
    "content": {"type": "str"},
    "src": {"type": "path"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
    "force": {"type": "bool", "default": True},
    "validate": {"type": "str"},
    "drop_lines": {"type": "str"},
}


class ConfigFilesError(Exception):
    """An entry the module cannot act on; the message names it."""


def octal_mode(value, path: str) -> int | None:
    """The permission bits of an entry's `mode` (module_utils.file_mode), or None."""
    if value is None:
        return None
    try:
        return file_mode.octal_mode(value)
    except ValueError as error:
        raise ConfigFilesError(f"{path}: {error}") from None


def ids(entry: dict) -> tuple[int, int]:
    """The uid and gid an entry asks for, -1 where it asks for none (os.chown's "unchanged")."""
    uid = gid = -1
    try:
        if entry.get("owner") is not None:
            uid = int(entry["owner"]) if entry["owner"].isdigit() else pwd.getpwnam(entry["owner"]).pw_uid
        if entry.get("group") is not None:
            gid = int(entry["group"]) if entry["group"].isdigit() else grp.getgrnam(entry["group"]).gr_gid
    except KeyError as exc:
        raise ConfigFilesError(f"{entry['path']}: no such user or group {exc}") from None
    return uid, gid


def attributes_differ(path: str, entry: dict) -> bool:
    """Whether the existing path's owner, group or mode is not the one asked for."""
    st = os.lstat(path)
    uid, gid = ids(entry)
    mode = octal_mode(entry.get("mode"), path)
    return uid not in (-1, st.st_uid) or gid not in (-1, st.st_gid) or mode not in (None, st.st_mode & 0o7777)


def apply_attributes(path: str, entry: dict) -> None:
    uid, gid = ids(entry)
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid)
    mode = octal_mode(entry.get("mode"), path)
    if mode is not None:
        os.chmod(path, mode)


def wanted_content(entry: dict) -> bytes:
    has_content, has_src = entry.get("content") is not None, entry.get("src") is not None
    if has_content == has_src:
        raise ConfigFilesError(f"{entry['path']}: give exactly one of content and src")
    if has_content:
        data = entry["content"].encode("utf-8")
    else:
        try:
            with open(entry["src"], "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise ConfigFilesError(
                f"{entry['path']}: cannot read its src {entry['src']}: {exc.strerror}"
            ) from exc
    return without_lines(data, entry.get("drop_lines"), entry["path"])


def without_lines(data: bytes, pattern: str | None, path: str) -> bytes:
    """`data` without the lines in which `pattern` is found (all of it when `pattern` is None)."""
    if pattern is None:
        return data
    try:
        regexp = re.compile(pattern)
    except re.error as exc:
        raise ConfigFilesError(f"{path}: drop_lines is not a regular expression: {exc}") from exc
    try:
        lines = data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError as exc:
        raise ConfigFilesError(f"{path}: drop_lines needs UTF-8 text: {exc}") from exc
    return "".join(line for line in lines if not regexp.search(line.rstrip("\r\n"))).encode("utf-8")


def current_content(path: str) -> bytes | None:
    if not os.path.lexists(path):
        return None
    if not os.path.isfile(path) or os.path.islink(path):
        raise ConfigFilesError(f"{path} exists and is not a regular file")
    with open(path, "rb") as handle:
        return handle.read()


def write(path: str, data: bytes, entry: dict, run_command=None, secret: bool = False) -> None:
    """Replace `path` with `data` in one rename; the new file has its attributes before it appears.

    With the entry's `validate`, `run_command` (AnsibleModule.run_command) checks the new content
    first; a failed check leaves `path` as it was. A secret file's check output is not shown: it
    may quote the content."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            st = os.stat(path)
            os.chown(tmp, st.st_uid, st.st_gid)
            os.chmod(tmp, st.st_mode & 0o7777)
        apply_attributes(tmp, entry)
        if entry.get("validate"):
            rc, out, err = run_command(entry["validate"] % tmp)
            if rc != 0:
                output = "(output not shown: secret file)" if secret else (err or out).strip()
                raise ConfigFilesError(
                    f"{path}: the new content failed its validate command (rc {rc}), the file is "
                    f"unchanged: {output}"
                )
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def make_directories(entries: list, check_mode: bool) -> list[str]:
    changed = []
    for entry in entries:
        path = entry["path"]
        octal_mode(entry.get("mode"), path)
        if not os.path.isdir(path):
            if os.path.lexists(path):
                raise ConfigFilesError(f"{path} exists and is not a directory")
            changed.append(path)
            if not check_mode:
                os.makedirs(path)
                apply_attributes(path, entry)
        elif attributes_differ(path, entry):
            changed.append(path)
            if not check_mode:
                apply_attributes(path, entry)
    return changed


def write_files(
    entries: list, secret: bool, made: set, check_mode: bool, diffs: list | None, run_command=None
) -> list[str]:
    """Write `entries`; `made` are the directories a check run would make (they do not exist yet)."""
    changed = []
    for entry in entries:
        path = entry["path"]
        if entry.get("validate") and "%s" not in entry["validate"]:
            raise ConfigFilesError(f"{path}: validate must hold %s, where the new content's path goes")
        if not entry.get("force", True) and os.path.lexists(path):
            continue
        data = wanted_content(entry)
        octal_mode(entry.get("mode"), path)
        parent = os.path.dirname(path) or "."
        new_parent = check_mode and parent in made
        if not new_parent and not os.path.isdir(parent):
            raise ConfigFilesError(f"{path}: its directory {parent} does not exist")
        before = None if new_parent else current_content(path)
        if before != data:
            changed.append(path)
            if diffs is not None:
                shown = not secret and entry.get("src") in (None, path)
                diffs.append(diff_of(path, before, data, shown=shown))
            if not check_mode:
                write(path, data, entry, run_command, secret)
        elif attributes_differ(path, entry):
            changed.append(path)
            if not check_mode:
                apply_attributes(path, entry)
    return changed


def remove_files(paths: list, check_mode: bool, diffs: list | None) -> list[str]:
    changed = []
    for path in paths:
        if not os.path.lexists(path):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            raise ConfigFilesError(f"{path} is a directory: absent removes files only")
        changed.append(path)
        if diffs is not None:
            diffs.append(
                {"before_header": path, "after_header": path, "before": "(exists)\n", "after": "(absent)\n"}
            )
        if not check_mode:
            os.unlink(path)
    return changed


def run(params: dict, check_mode: bool, diff_mode: bool, run_command=None) -> dict:
    diffs: list | None = [] if diff_mode else None
    changed = make_directories(params["directories"], check_mode)
    made = {path for path in changed if not os.path.isdir(path)}  # in check mode only
    changed += write_files(params["files"], False, made, check_mode, diffs, run_command)
    changed += write_files(params["secret_files"], True, made, check_mode, diffs, run_command)
    changed += remove_files(params["absent"], check_mode, diffs)
    result: dict = {"changed": bool(changed), "changed_files": changed}
    if diffs:
        result["diff"] = diffs
    return result


def diff_of(path: str, before: bytes | None, after: bytes, shown: bool) -> dict:
    if shown:
        old = "" if before is None else before.decode("utf-8", errors="replace")
        new = after.decode("utf-8", errors="replace")
    else:
        old = "(absent)\n" if before is None else "(content not shown)\n"
        new = "(content not shown, changed)\n"
    return {"before_header": path, "after_header": path, "before": old, "after": new}


def main() -> None:
    secret_entry = {**ENTRY, "content": {"type": "str", "no_log": True}}
    module = AnsibleModule(
        argument_spec={
            "directories": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {key: ENTRY[key] for key in ("path", "owner", "group", "mode")},
            },
            "files": {"type": "list", "elements": "dict", "default": [], "options": ENTRY},
            # The content of each entry is no_log (secret_entry), not the paths and modes: masked
            # too, they would blank every path and "root" in the output.
            "secret_files": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": secret_entry,
                "no_log": False,
            },
            "absent": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    try:
        result = run(module.params, module.check_mode, module._diff, module.run_command)
    except ConfigFilesError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"{exc.filename or ''}: {exc.strerror}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
