#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Check a Ceph cluster from a client before mounting its file system."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cephfs_info
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: Check CephFS monitors, credentials and a path before mounting
description:
  - Tries a TCP connection to every monitor in O(monitors) (each port given, or 3300 and 6789
    for a bare host) and returns the ones that do not answer. This part needs no Ceph package.
  - With O(path), also opens a libcephfs session as O(client_id) on O(fs_name) and returns
    whether O(path) exists in the file system, with its owner and mode. Nothing is mounted on
    the host and nothing is written, so a client can check its settings before it writes a
    single file.
  - A refused key, an unknown file system or a cluster without an active MDS fails the module;
    the result then carries RV(reason) so that a caller can name the input to fix.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
  - harbor_ha.cluster.cephfs
options:
  path:
    description:
      - A path in the file system (from its root) to look up.
      - Without it only the monitors are checked.
    type: str
  missing_library:
    description:
      - What to do with O(path) on a host without python3-cephfs (the Ceph client's packages not
        installed yet). V(fail) fails with RV(reason) V(library); V(skip) checks the monitors
        only and returns no RV(stat), so that a check made before the packages are installed
        (a preflight) looks the path up wherever it can.
    type: str
    choices: [fail, skip]
    default: fail
  mountpoint:
    description:
      - A path on the host. Also returns what is mounted there, as
        M(harbor_ha.cluster.cephfs_mount_info) does, in RV(mount); read first, whatever the
        cluster answers.
      - So that a role's preflight, which checks the cluster, also learns whether the share is
        mounted, and its mount step needs no read of its own when nothing changed the mount since.
    type: path
    version_added: 0.2.0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - In check mode on a host without python3-cephfs, the O(path) lookup is skipped with a warning
    (the packages that bring it would only be installed by a real run).
"""

EXAMPLES = r"""
- name: Check that every monitor answers (no Ceph package needed)
  harbor_ha.cluster.cephfs_info:
    monitors: [10.0.0.11, 10.0.0.12, "10.0.0.13:6789"]
    timeout: 5
  register: __monitors

- name: Check the client's key and the sub-path it will mount
  harbor_ha.cluster.cephfs_info:
    monitors: [10.0.0.11, 10.0.0.12, "10.0.0.13:6789"]
    client_id: harbor
    key: "{{ cephfs_client_key }}"
    fs_name: cephfs
    path: /harbor
    mountpoint: /mnt/cephfs/harbor
  register: __subpath

- name: Refuse a sub-path that is not a directory
  ansible.builtin.assert:
    that: __subpath.stat.isdir
    fail_msg: /harbor does not exist in the file system cephfs

- name: Mount the share unless it is mounted already
  ansible.builtin.systemd_service:
    name: mnt-cephfs-harbor.mount
    state: started
  when: not __subpath.mount.mounted
"""

RETURN = r"""
monitors_unanswered:
  description: The entries of O(monitors) that accepted no TCP connection within O(timeout).
  returned: always
  type: list
  elements: str
  sample: ["10.0.0.13:6789"]
stat:
  description: O(path) in the file system; only C(exists) when it does not exist.
  returned: when O(path) was looked up (not with O(missing_library=skip) on a host without python3-cephfs)
  type: dict
  contains:
    exists:
      description: Whether O(path) exists.
      type: bool
    isdir:
      description: Whether O(path) is a directory.
      type: bool
    mode:
      description: Permission bits, in octal.
      type: str
      sample: "0755"
    uid:
      description: Owner's user id.
      type: int
    gid:
      description: Owner's group id.
      type: int
mount:
  description:
    - What is mounted at O(mountpoint), with the keys M(harbor_ha.cluster.cephfs_mount_info)
      returns (C(path), C(mounted), C(fstype), C(answering), C(error) and the sizes).
  returned: when O(mountpoint) is given
  type: dict
  version_added: 0.2.0
  sample: {"path": "/mnt/cephfs/harbor", "mounted": true, "fstype": "fuse.ceph-fuse", "answering": true}
reason:
  description:
    - On failure, what the cluster refused; V(auth) (key or caps), V(fs_name), V(mds),
      V(monitors), V(conf_file), V(connect), V(library) or V(path).
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import node_probe
from ansible_collections.harbor_ha.cluster.plugins.module_utils.cephfs import (
    CONNECTION_ARGS,
    CephFSError,
    have_libcephfs,
    session,
    stat,
    unanswered_monitors,
)


def run(module: AnsibleModule) -> dict:
    params = module.params
    monitors = params["monitors"] or []
    result = {"changed": False}
    if params["mountpoint"] is not None:
        result["mount"] = node_probe.share(params["mountpoint"])
    try:
        silent = unanswered_monitors(monitors, params["timeout"])
    except ValueError as exc:
        module.fail_json(msg=str(exc), reason="monitors", **result)
    result["monitors_unanswered"] = silent
    if params["path"] is None or (monitors and len(silent) == len(monitors)):
        return result
    if not have_libcephfs() and params["missing_library"] == "skip":
        return result
    if not have_libcephfs() and module.check_mode:
        module.warn("python3-cephfs is not installed yet: the path was not looked up in check mode")
        return result
    connection = {name: params[name] for name in CONNECTION_ARGS}
    try:
        with session(**connection) as handle:
            found = stat(handle, params["path"])
    except CephFSError as exc:
        module.fail_json(msg=str(exc), reason=exc.reason, **result)
    result["stat"] = {"exists": False} if found is None else {"exists": True, **found}
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **CONNECTION_ARGS,
            "path": {"type": "str"},
            "missing_library": {"type": "str", "choices": ["fail", "skip"], "default": "fail"},
            "mountpoint": {"type": "path"},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
