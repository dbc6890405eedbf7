#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Make a directory in a CephFS without mounting it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cephfs_directory
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: Make a directory in a CephFS, with its mode and owner, without mounting it
description:
  - Creates O(path) (and its missing parents) in a CephFS through libcephfs, then sets its mode
    and owner. Nothing is mounted on the host.
  - Use it with an administrative client to prepare the sub-path a restricted client will mount
    (a client made with C(ceph fs authorize) for C(/harbor) cannot create C(/harbor) itself).
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
  - harbor_ha.cluster.cephfs
options:
  path:
    description: The directory, from the root of the file system.
    type: str
    required: true
  mode:
    description: Permission bits, in octal (V("0755")). Quote it in YAML.
    type: str
    default: "0755"
  uid:
    description: The owner's user id; left as it is when omitted.
    type: int
  gid:
    description: The owner's group id; left as it is when omitted.
    type: int
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Make the sub-path the Harbor nodes mount
  harbor_ha.cluster.cephfs_directory:
    conf_file: /etc/ceph/ceph.conf
    client_id: admin
    fs_name: cephfs
    path: /harbor
    mode: "0755"
"""

RETURN = r"""
path:
  description: The directory.
  returned: always
  type: str
created:
  description: Whether the directory was (or, in check mode, would be) created.
  returned: always
  type: bool
mode:
  description: Its permission bits afterwards, in octal.
  returned: always
  type: str
  sample: "0755"
uid:
  description: Its owner's user id afterwards.
  returned: always
  type: int
gid:
  description: Its group id afterwards.
  returned: always
  type: int
reason:
  description: On failure, what to look at (see M(harbor_ha.cluster.cephfs_info)).
  returned: failure
  type: str
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils.cephfs import (
    CONNECTION_ARGS,
    CephFSError,
    ensure_directory,
    session,
)

_MODE = re.compile(r"^0?[0-7]{3}$|^[0-7]{4}$")


def run(module: AnsibleModule) -> dict:
    params = module.params
    path = params["path"]
    if not path.startswith("/"):
        module.fail_json(msg=f"path {path!r} must start with / (the root of the file system)", reason="path")
    if not _MODE.match(params["mode"]):
        module.fail_json(msg=f"mode {params['mode']!r} is not an octal mode such as '0755'", reason="mode")
    connection = {name: params[name] for name in CONNECTION_ARGS}
    try:
        with session(**connection) as handle:
            result = ensure_directory(
                handle, path, int(params["mode"], 8), params["uid"], params["gid"], module.check_mode
            )
    except CephFSError as exc:
        module.fail_json(msg=str(exc), reason=exc.reason, path=path)
    return {"path": path, **result}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **CONNECTION_ARGS,
            "path": {"type": "str", "required": True},
            "mode": {"type": "str", "default": "0755"},
            "uid": {"type": "int"},
            "gid": {"type": "int"},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
