#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Make a tree of directories, with owner, group and mode, in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: share_tree
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Make directories under a root, each with its owner, group and mode, in one call
description:
  - Makes each directory of O(directories) under O(root) when missing and sets its owner, group
    and mode, in the order given (parents first), as C(ansible.builtin.file) with
    C(state=directory) would for each, but in one call, so that a re-run of a role that lays out a share
    tree costs one module run, not one per directory.
  - Safe to run on several hosts at once against one shared O(root); a directory another host
    made between the check and the C(mkdir) is taken as made.
  - Never creates O(root) itself and refuses a path that leaves it (C(..), an absolute path), so
    that a guard on O(root) (the share is mounted) covers every directory made.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  root:
    description: An existing directory the paths are relative to.
    type: path
    required: true
  directories:
    description: The directories, parents before children.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Relative to O(root).
        type: str
        required: true
      owner:
        description: User name or uid.
        type: str
        required: true
      group:
        description: Group name or gid.
        type: str
        required: true
      mode:
        description:
          - Octal mode, as a string such as V("0755"), or an int YAML already read (an unquoted
            V(0755) is 493), as M(ansible.builtin.file) reads it.
        type: raw
        required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Make Harbor's directories on the share
  harbor_ha.cluster.share_tree:
    root: /mnt/cephfs/harbor
    directories:
      - {path: data, owner: root, group: root, mode: "0755"}
      - {path: data/registry, owner: "10000", group: "10000", mode: "0755"}
"""

RETURN = r"""
changed_paths:
  description: The directories made or whose owner, group or mode changed (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/mnt/cephfs/harbor/data/registry]
"""

import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import file_mode


class TreeError(Exception):
    """A directory that cannot be laid out: the message says which and why."""


def _uid(owner: str) -> int:
    if owner.isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise TreeError(f"no user {owner!r} on this host") from None


def _gid(group: str) -> int:
    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise TreeError(f"no group {group!r} on this host") from None


def _mode(mode) -> int:
    try:
        return file_mode.octal_mode(mode)
    except ValueError as error:
        raise TreeError(str(error)) from None


def plan(root: str, directories: list[dict]) -> list[tuple[str, int, int, int]]:
    """(absolute path, uid, gid, mode) of each directory, or TreeError."""
    resolved_root = os.path.realpath(root)
    wanted = []
    for entry in directories:
        relative = entry["path"]
        if os.path.isabs(relative) or ".." in relative.split("/"):
            raise TreeError(f"{relative!r} must be a path relative to {root}, without '..'")
        path = os.path.normpath(os.path.join(resolved_root, relative))
        wanted.append((path, _uid(str(entry["owner"])), _gid(str(entry["group"])), _mode(entry["mode"])))
    return wanted


def apply(root: str, directories: list[dict], check_mode: bool) -> list[str]:
    """Make or fix each directory; return the paths that changed (or would)."""
    if not os.path.isdir(root):
        raise TreeError(f"{root} is not a directory")
    changed = []
    for path, uid, gid, mode in plan(root, directories):
        try:
            current = os.lstat(path)
        except FileNotFoundError:
            current = None
        if current is not None and not stat.S_ISDIR(current.st_mode):
            raise TreeError(f"{path} exists and is not a directory")
        if current is not None and (current.st_uid, current.st_gid, stat.S_IMODE(current.st_mode)) == (
            uid,
            gid,
            mode,
        ):
            continue
        changed.append(path)
        if check_mode:
            continue
        if current is None:
            try:
                os.mkdir(path, mode)
            except FileExistsError:
                # Another node laying out the same tree on the share made it first.
                if not os.path.isdir(path):
                    raise TreeError(f"{path} exists and is not a directory") from None
        os.chown(path, uid, gid)
        # After chown, which clears set-id bits, and regardless of the umask mkdir applied.
        os.chmod(path, mode)
    return changed


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "root": {"type": "path", "required": True},
            "directories": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "path": {"type": "str", "required": True},
                    "owner": {"type": "str", "required": True},
                    "group": {"type": "str", "required": True},
                    "mode": {"type": "raw", "required": True},
                },
            },
        },
        supports_check_mode=True,
    )
    try:
        changed = apply(module.params["root"], module.params["directories"], module.check_mode)
    except (TreeError, OSError) as exc:
        module.fail_json(msg=f"share_tree: {exc}")
    module.exit_json(changed=bool(changed), changed_paths=changed)


if __name__ == "__main__":
    main()
