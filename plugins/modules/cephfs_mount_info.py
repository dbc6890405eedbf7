#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Is a CephFS mounted at a path, and does it answer (the share guard's one read)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cephfs_mount_info
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Tell whether a CephFS is mounted at a path and answers
description:
  - Reads, in one call and without changing anything, what is mounted at O(path) (the last mount
    stacked there, as the kernel resolves it), whether it is a CephFS (kernel client or
    ceph-fuse), and whether it answers (a ceph-fuse process that died leaves its mount in place,
    answering ENOTCONN), with its size and usage.
  - The share guard of the collection (role cephfs_client, C(tasks_from=assert_mounted)) asserts
    on its result before any write under the share.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  path:
    description: The mount point to look at.
    type: path
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read what is mounted at the share's mount point
  harbor_ha.cluster.cephfs_mount_info:
    path: /mnt/cephfs/harbor
  register: __share

- name: Refuse to write unless the share is there
  ansible.builtin.assert:
    that: __share.mounted and __share.answering
"""

RETURN = r"""
path:
  description: The path that was read (O(path)), so that a registered reading says what it is of.
  returned: always
  type: str
  sample: /mnt/cephfs/harbor
mounted:
  description: Whether a CephFS (type C(ceph) or C(fuse.ceph-fuse)) is the last mount at O(path).
  returned: always
  type: bool
fstype:
  description: The type of the last mount at O(path), or null when O(path) is not a mount point.
  returned: always
  type: str
  sample: fuse.ceph-fuse
answering:
  description: Whether the mounted CephFS answers a statvfs.
  returned: always
  type: bool
error:
  description: Why it does not answer, when it does not.
  returned: always
  type: str
  sample: Transport endpoint is not connected
size:
  description: Bytes of the file system, when it answers (also used, avail, used_percent).
  returned: when answering
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import node_probe


def main() -> None:
    module = AnsibleModule(
        argument_spec={"path": {"type": "path", "required": True}}, supports_check_mode=True
    )
    module.exit_json(changed=False, **node_probe.share(module.params["path"]))


if __name__ == "__main__":
    main()
