#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Look at several paths of a host, and read the files asked for, in one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: files_info
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Look at several paths and read some files of a host in one call
description:
  - Says for each path of O(paths) whether it exists, what it is, and its mode and owner; returns
    the content of the regular files among them whose O(paths[].read) is set (base64, as
    M(ansible.builtin.slurp) does), and the names in the directories whose O(paths[].list) is set.
  - One module run instead of a M(ansible.builtin.stat) and a M(ansible.builtin.slurp) per file, so
    that a role reads the state it needs in one round trip and a no-op re-run costs that much less.
  - A path that does not exist is an answer, not an error (O(paths[].read) then returns no
    content). A path that exists but cannot be read fails the task.
  - Never changes anything.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  paths:
    description: The paths to look at, each with what to return of it.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: An absolute path.
        type: path
        required: true
      read:
        description: Return the file's content, base64-encoded (a regular file only).
        type: bool
        default: false
      list:
        description: Return the names in the directory, sorted (a directory only).
        type: bool
        default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - Symbolic links are followed, as M(ansible.builtin.stat) with C(follow=true) and
    M(ansible.builtin.slurp) do.
  - Contents are returned as they are; a task that reads secrets sets C(no_log).
"""

EXAMPLES = r"""
- name: Read the installer's release and compose file
  harbor_ha.cluster.files_info:
    paths:
      - path: /opt/harbor/harbor/.unpacked-0123abcd
      - path: /opt/harbor/harbor/docker-compose.installer.yml
        read: true
  register: __harbor_installer_files

- name: Use the compose file
  ansible.builtin.debug:
    msg: "{{ __harbor_installer_files.files[1].content | b64decode | from_yaml }}"
  when: __harbor_installer_files.files[1].exists
"""

RETURN = r"""
files:
  description: One entry per path of O(paths), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The path, as given.
      type: str
      sample: /opt/harbor/harbor/docker-compose.installer.yml
    exists:
      description: Whether the path exists (a dangling link does not).
      type: bool
      sample: true
    isdir:
      description: Whether it is a directory.
      type: bool
      sample: false
    isreg:
      description: Whether it is a regular file.
      type: bool
      sample: true
    size:
      description: Its size in bytes (0 when it does not exist).
      type: int
      sample: 4711
    mode:
      description: Its permission bits, as an octal string; empty when it does not exist.
      type: str
      sample: "0755"
      version_added: 0.2.0
    uid:
      description: Its owner's user id; -1 when it does not exist.
      type: int
      sample: 0
      version_added: 0.2.0
    gid:
      description: Its group's id; -1 when it does not exist.
      type: int
      sample: 0
      version_added: 0.2.0
    content:
      description: The file's content, base64-encoded; only for a regular file asked to be read.
      type: str
      returned: when O(paths[].read) is set and the path is a regular file
      sample: dmVyc2lvbjogJzInCg==
    entries:
      description: The names in the directory, sorted; only for a directory asked to be listed.
      type: list
      elements: str
      returned: when O(paths[].list) is set and the path is a directory
      sample: [engine, harbor]
"""

import base64
import os
import stat

from ansible.module_utils.basic import AnsibleModule


def look(path: str, read: bool = False, listing: bool = False) -> dict:
    """What a path is, with its content or its names when asked for and it is of the right kind.
    A missing path is an answer; any other OSError goes to the caller."""
    entry: dict = {
        "path": path,
        "exists": False,
        "isdir": False,
        "isreg": False,
        "size": 0,
        "mode": "",
        "uid": -1,
        "gid": -1,
    }
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return entry
    entry.update(
        exists=True,
        isdir=stat.S_ISDIR(info.st_mode),
        isreg=stat.S_ISREG(info.st_mode),
        size=info.st_size,
        mode=f"{stat.S_IMODE(info.st_mode):04o}",
        uid=info.st_uid,
        gid=info.st_gid,
    )
    if read and entry["isreg"]:
        with open(path, "rb") as handle:
            entry["content"] = base64.b64encode(handle.read()).decode("ascii")
    if listing and entry["isdir"]:
        entry["entries"] = sorted(os.listdir(path))
    return entry


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "paths": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "path": {"type": "path", "required": True},
                    "read": {"type": "bool", "default": False},
                    "list": {"type": "bool", "default": False},
                },
            },
        },
        supports_check_mode=True,
    )
    files = []
    for item in module.params["paths"]:
        if not os.path.isabs(item["path"]):
            module.fail_json(msg=f"paths: {item['path']} is not an absolute path")
        try:
            files.append(look(item["path"], read=item["read"], listing=item["list"]))
        except OSError as error:
            module.fail_json(msg=f"cannot read {item['path']}: {error.strerror or error}")
    module.exit_json(changed=False, files=files)


if __name__ == "__main__":
    main()
