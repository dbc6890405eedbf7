# Copyright (c) harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)

"""The name of the mount unit systemd makes for a mount point, as `systemd-escape --path --suffix=mount`."""

from __future__ import annotations

DOCUMENTATION = r"""
name: systemd_mount_unit
short_description: Name the systemd mount unit of a mount point
version_added: 0.2.0
author: harbor_ha.cluster contributors (@harbor-ha)
description:
  - Returns the name systemd gives the mount unit of an absolute path, the same as
    C(systemd-escape --path --suffix=mount PATH) prints, without running a command on a host.
  - The path is simplified as systemd does (repeated slashes and C(.) components dropped, no
    trailing slash), C(/) becomes C(-); then each C(/) between components becomes C(-), and every
    byte that is not an ASCII letter, a digit, C(:), C(_) or C(.) (and a leading C(.)) becomes
    C(\xNN), lower-case hex, as systemd's unit_name_path_escape() does.
  - Fails, naming the value, on a path systemd refuses (relative, or with a C(..) component).
options:
  _input:
    description: The mount point, an absolute path.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Start the share's mount unit
  ansible.builtin.systemd_service:
    name: "{{ cephfs_client_mountpoint | harbor_ha.cluster.systemd_mount_unit }}"
    state: started
# '/mnt/cephfs/harbor' -> 'mnt-cephfs-harbor.mount'
# '/srv/ceph-fs' -> 'srv-ceph\x2dfs.mount', '/' -> '-.mount'
"""

RETURN = r"""
_value:
  description: The mount unit's name.
  type: str
"""

import string

from ansible.errors import AnsibleFilterError

# Bytes systemd leaves as they are in an escaped unit name (unit-name.c: VALID_CHARS without - and \).
_PLAIN = frozenset((string.ascii_letters + string.digits + ":_.").encode())


def systemd_mount_unit(path) -> str:
    """See DOCUMENTATION."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise AnsibleFilterError(f"systemd_mount_unit: {path!r} is not an absolute path")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise AnsibleFilterError(f"systemd_mount_unit: {path!r} has a '..' component, which systemd refuses")
    if not parts:
        return "-.mount"
    out = []
    for index, byte in enumerate("/".join(parts).encode()):
        if byte == ord("/"):
            out.append("-")
        # No unit name starts with '.' (systemd escapes it, e.g. for a /.dotdir mount point).
        elif byte in _PLAIN and not (index == 0 and byte == ord(".")):
            out.append(chr(byte))
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out) + ".mount"


class FilterModule:
    """harbor_ha.cluster filters."""

    def filters(self):
        return {"systemd_mount_unit": systemd_mount_unit}
