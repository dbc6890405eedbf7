#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: harbor2_prepare
short_description: Run Harbor 2.x's own prepare into a staging directory and make its output live, pinned
version_added: 0.2.0
description:
  - Runs the installer's C(goharbor/prepare) image as Harbor's C(prepare) script does (mounts
    C(/input), C(/data), C(/compose_location), C(/config) and C(/hostfs)), but on a staging
    directory of the node, so that nothing live changes while it runs (in check mode neither).
  - Harbor's prepare draws a new core secret, jobservice secret, registry password (with its
    htpasswd file), CSRF key and scan robot prefix on every run, and makes the secret key and the
    token key pair under C(data_volume) when they are missing. That splits a cluster, since every
    node, and every run, would hold other values. This module gives prepare the cluster's keys (so
    it makes none) and sets the cluster's values in place of the ones it drew.
  - It then makes the live C(common/config) equal to the staged one (content, mode, owner; files
    prepare did not write are removed, as prepare empties it on every run, but for the empty ones
    docker makes for the files it binds into a directory bound from there), and the live
    C(data_volume) hold what prepare made under C(/data) (directories with their owner and mode,
    the keys); nothing else there is touched. A run that changes nothing reports no change.
  - The C(docker-compose.yml) prepare wrote is returned, not installed, for the caller to adapt.
author:
  - harbor_ha.cluster contributors (@harbor-ha)
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  image:
    description: The installer's prepare image, e.g. V(goharbor/prepare:v2.15.2), loaded on the node.
    type: str
    required: true
  harbor_yml:
    description:
      - The C(harbor.yml) to prepare from (its content). Its C(data_volume) is O(data_volume).
      - It holds passwords; it is written to the staging directory only, mode 0600.
    type: str
    required: true
  path:
    description: The installer's C(harbor) directory; the live C(common/config) is under it.
    type: path
    required: true
  data_volume:
    description: Harbor's C(data_volume) on the node (the shared storage's data directory).
    type: path
    required: true
  key_set:
    description:
      - Directory of the cluster's key set, made once per cluster, one file each. The secret key
        C(secretkey), the token key pair C(private_key.pem) (PKCS#1) and C(root.crt), and the values
        prepare would draw C(core_secret), C(jobservice_secret), C(registry_password),
        C(registry_htpasswd) (the registry's htpasswd line for that password), C(csrf_key) (32
        characters) and C(scan_robot_prefix).
    type: path
    required: true
  csrf_key:
    description: A CSRF key given by hand (32 characters), used in place of the key set's.
    type: str
  with_trivy:
    description: Prepare with Trivy (C(prepare --with-trivy)).
    type: bool
    default: false
  docker:
    description: The docker CLI.
    type: path
    default: /usr/bin/docker
attributes:
  check_mode:
    support: full
    details: Runs prepare on the staging directory and reports what would change.
  diff_mode:
    support: none
    details: The files hold secrets; O(path) relative names of the changed files are returned.
notes:
  - The staging directory is made next to O(path), mode 0700, and removed afterwards.
  - C(/hostfs) is the node's root, read-only, because prepare reads certificate files there.
"""

EXAMPLES = r"""
- name: Prepare Harbor 2.15.2 with the cluster's pinned values
  harbor_ha.cluster.harbor2_prepare:
    image: goharbor/prepare:v2.15.2
    harbor_yml: "{{ harbor_yml_content }}"
    path: /opt/harbor/v2.15.2-0123456789ab/harbor
    data_volume: /mnt/cephfs/harbor/data
    key_set: /mnt/cephfs/harbor/secrets/harbor
  register: __prepared
  no_log: true
"""

RETURN = r"""
changed_files:
  description: Live files and directories written (absolute paths).
  returned: always
  type: list
  elements: str
  sample: [/opt/harbor/v2.15.2-0123456789ab/harbor/common/config/core/env]
removed_files:
  description: Live files of C(common/config) removed because prepare did not write them.
  returned: always
  type: list
  elements: str
  sample: []
compose:
  description: The C(docker-compose.yml) prepare wrote (text).
  returned: always
  type: str
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import harbor2_prepare as h2

ARGUMENT_SPEC = {
    "image": {"type": "str", "required": True},
    "harbor_yml": {"type": "str", "required": True, "no_log": True},
    "path": {"type": "path", "required": True},
    "data_volume": {"type": "path", "required": True},
    "key_set": {"type": "path", "required": True, "no_log": False},
    "csrf_key": {"type": "str", "no_log": True},
    "with_trivy": {"type": "bool", "default": False},
    "docker": {"type": "path", "default": "/usr/bin/docker"},
}


def stage(module: AnsibleModule, staging: str, key_set: dict) -> str:
    """Run prepare on `staging`; the docker-compose.yml it wrote."""
    params = module.params
    mounts = {name: os.path.join(staging, name) for name in ("input", "data", "compose", "config")}
    for directory in mounts.values():
        os.mkdir(directory, 0o700)
    fd = os.open(os.path.join(mounts["input"], "harbor.yml"), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(params["harbor_yml"])
    h2.seed_data(mounts["data"], key_set)
    cmd = [params["docker"], "run", "--rm"]
    for name, target in (
        ("input", "/input"),
        ("data", "/data"),
        ("compose", "/compose_location"),
        ("config", "/config"),
    ):
        cmd += ["-v", f"{mounts[name]}:{target}"]
    cmd += ["-v", "/:/hostfs:ro", params["image"], "prepare"]
    if params["with_trivy"]:
        cmd.append("--with-trivy")
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        module.fail_json(
            msg=f"{params['image']} prepare failed ({rc})", stdout=out[-3000:], stderr=err[-3000:]
        )
    with open(os.path.join(mounts["compose"], "docker-compose.yml"), encoding="utf-8") as handle:
        return handle.read()


def run(module: AnsibleModule) -> dict:
    params = module.params
    harbor_config = os.path.join(params["path"], "common", "config")
    staging = tempfile.mkdtemp(prefix=".prepare-", dir=os.path.dirname(params["path"]))
    try:
        key_set = h2.read_key_set(params["key_set"])
        values = h2.env_values(key_set, params["csrf_key"])
        compose = stage(module, staging, key_set)
        config, data = os.path.join(staging, "config"), os.path.join(staging, "data")
        h2.pin_config(config, key_set, values)
        trees = [(h2.tree(config), harbor_config, True), (h2.tree(data), params["data_volume"], False)]
        plans = [(h2.plan(staged, live, mirror), staged, live) for staged, live, mirror in trees]
        if not module.check_mode:
            os.makedirs(harbor_config, mode=0o755, exist_ok=True)
            for the_plan, staged, live in plans:
                h2.apply(the_plan, staged, live)
    except (h2.PinError, OSError) as exc:
        module.fail_json(msg=str(exc))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {
        "changed": not all(each.empty for each, _staged, _live in plans),
        "changed_files": [os.path.join(live, p) for each, _staged, live in plans for p in each.write],
        "removed_files": [os.path.join(live, p) for each, _staged, live in plans for p in each.remove],
        "compose": compose,
    }


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
