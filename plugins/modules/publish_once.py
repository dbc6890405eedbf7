#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Publish a staged directory on shared storage exactly once."""

from __future__ import annotations

DOCUMENTATION = r"""
module: publish_once
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: Publish a staged directory on shared storage exactly once
description:
  - Moves O(staging) to O(dest) with a single C(rename(2)) unless O(dest) is already published
    (exists and is not empty). Whatever happens, O(staging) is gone afterwards.
  - Several hosts may stage and publish at the same time on a shared file system (CephFS, NFS);
    the rename is atomic, so exactly one of them wins and every host then reads the same O(dest).
    This is how a cluster makes its key material once without a lock service.
  - An empty O(dest) directory counts as not published, and the rename replaces it.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  staging:
    description: The staged directory, on the same file system as O(dest).
    type: path
    required: true
  dest:
    description: Where the directory is published.
    type: path
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - O(staging) and O(dest) must be on the same file system; a rename across file systems fails.
"""

EXAMPLES = r"""
- name: Publish this node's freshly made key set unless another node was first
  harbor_ha.cluster.publish_once:
    staging: /mnt/cephfs/harbor/secrets/.staging-{{ inventory_hostname }}
    dest: /mnt/cephfs/harbor/secrets/harbor
  register: __harbor_key_set
"""

RETURN = r"""
published:
  description: Whether this run published O(staging) (false when O(dest) was already there).
  returned: always
  type: bool
dest:
  description: The published directory.
  returned: always
  type: str
"""

import errno
import os
import shutil

from ansible.module_utils.basic import AnsibleModule


def is_published(dest: str) -> bool:
    return os.path.isdir(dest) and bool(os.listdir(dest))


def publish(staging: str, dest: str) -> bool:
    """Rename staging to dest; False when another publisher got there first."""
    try:
        os.rename(staging, dest)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        return False
    return True


def run(module: AnsibleModule) -> dict:
    staging, dest = module.params["staging"], module.params["dest"]
    result = {"changed": False, "published": False, "dest": dest}
    if is_published(dest):
        if os.path.exists(staging) and not module.check_mode:
            shutil.rmtree(staging)
        return result
    if not os.path.isdir(staging):
        module.fail_json(msg=f"{dest} is not published and the staging directory {staging} does not exist")
    if module.check_mode:
        result.update(changed=True, published=True)
        return result
    try:
        won = publish(staging, dest)
    except OSError as exc:
        module.fail_json(msg=f"cannot publish {staging} as {dest}: {exc}")
    if not won:
        shutil.rmtree(staging)
    result.update(changed=won, published=won)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "staging": {"type": "path", "required": True},
            "dest": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
