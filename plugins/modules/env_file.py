#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Set or remove keys in a KEY=VALUE file."""

from __future__ import annotations

DOCUMENTATION = r"""
module: env_file
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: Set or remove keys in a KEY=VALUE file
description:
  - Edits a file of C(KEY=VALUE) lines, such as a docker C(env_file) or Harbor's
    C(common/config/*/env) and C(common/templates/*/env), one key at a time.
  - Untouched lines (comments, blank lines, other keys) are kept as they are. A key is set on
    its first line; later lines that set it again are removed; a missing key is appended.
  - The file is written only when its content changes, atomically, with the given owner, group
    and mode.
  - Values are written literally; in a template of Harbor's C(prepare), C($) starts a
    placeholder, so write V($$) for a literal dollar sign there.
  - With O(files), several files are edited in one module run, each with its own keys; O(owner),
    O(group), O(mode) and O(create) apply to each. Every file is checked before the first is
    written.
options:
  path:
    description:
      - The file to edit, with O(values), O(secret_values) and O(absent).
      - Exactly one of O(path) and O(files) is given.
    type: path
  files:
    description:
      - Several files to edit, each with its own keys.
      - Exactly one of O(path) and O(files) is given.
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      path:
        description: The file to edit.
        type: path
        required: true
      values:
        description: Keys to set in it, with their values.
        type: dict
        default: {}
      secret_values:
        description: Keys to set in it whose values are credentials, as O(secret_values).
        type: dict
        default: {}
      absent:
        description: Keys to remove from it.
        type: list
        elements: str
        default: []
  values:
    description: Keys to set in O(path), with their values.
    type: dict
    default: {}
  secret_values:
    description:
      - Keys to set in O(path) whose values are credentials. Their values, old and new, never appear in the
        output; the diff shows these keys with a masked value.
      - A key may not be in both O(values) and O(secret_values).
    type: dict
    default: {}
  absent:
    description: Keys to remove from O(path).
    type: list
    elements: str
    default: []
  create:
    description: Create the file when it does not exist; otherwise a missing file is an error.
    type: bool
    default: false
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
notes:
  - The module returns key names, never values. Put credentials in O(secret_values), and set
    C(no_log) on a task whose other values are sensitive too.
"""

EXAMPLES = r"""
- name: Point Harbor's adminserver at the external database
  harbor_ha.cluster.env_file:
    path: /opt/harbor/v1.1.2/harbor/common/config/adminserver/env
    values:
      MYSQL_HOST: 10.0.0.10
      MYSQL_PORT: "3306"
      MYSQL_USR: harbor
      RESET: "true"
    secret_values:
      MYSQL_PWD: "{{ harbor_db_password }}"
    owner: root
    group: root
    mode: "0600"

- name: Edit the adminserver's and the ui's env templates in one module run
  harbor_ha.cluster.env_file:
    files:
      - path: /opt/harbor/v1.1.2/harbor/common/templates/adminserver/env
        values:
          RESET: "true"
      - path: /opt/harbor/v1.1.2/harbor/common/templates/ui/env
        secret_values:
          _REDIS_URL: "{{ redis_url }}"
    owner: root
    group: root
    mode: "0600"
"""

RETURN = r"""
changed_keys:
  description:
    - The keys whose line was added, changed or removed, in O(path) or in any of O(files).
  returned: always
  type: list
  elements: str
  sample: [MYSQL_HOST, RESET]
files:
  description: For each file edited, the keys whose line was added, changed or removed.
  returned: always
  type: dict
  sample: {/opt/harbor/v1.1.2/harbor/common/templates/adminserver/env: [RESET]}
  version_added: 0.2.0
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils.env_file import EnvFileError, mask, update


def plan(module: AnsibleModule, edit: dict) -> dict:
    """The new content of one file, and its diff; nothing is written."""
    path = edit["path"]
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            before = handle.read()
    elif module.params["create"]:
        before = ""
    else:
        module.fail_json(msg=f"{path} does not exist (set create: true to create it)")
    values, secrets = edit["values"], edit["secret_values"]
    both = sorted(set(values) & set(secrets))
    if both:
        module.fail_json(msg=f"{path}: key(s) {both} are in both values and secret_values")
    try:
        after, changed_keys = update(before, {**values, **secrets}, tuple(edit["absent"]))
    except EnvFileError as exc:
        module.fail_json(msg=f"{path}: {exc}")
    masked = tuple(secrets)
    diff = {
        "before": mask(before, masked),
        "after": mask(after, masked),
        "before_header": path,
        "after_header": path,
    }
    return {"path": path, "after": after, "changed_keys": changed_keys, "diff": diff}


def write(module: AnsibleModule, planned: dict) -> bool:
    """Write one planned file if its keys changed; set its attributes. Whether anything changed."""
    path = planned["path"]
    changed = bool(planned["changed_keys"])
    if changed and not module.check_mode:
        # mkstemp creates the file 0600: a credential is never readable by others, not even
        # between the write and the chmod below.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".env_file.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(planned["after"])
        module.atomic_move(tmp, path)
    if os.path.exists(path):
        file_args = module.load_file_common_arguments({**module.params, "path": path})
        changed = module.set_fs_attributes_if_different(file_args, changed)
    return changed


def run(module: AnsibleModule) -> dict:
    params = module.params
    edits = (
        params["files"]
        if params["files"] is not None
        else [{key: params[key] for key in ("path", "values", "secret_values", "absent")}]
    )
    paths = [edit["path"] for edit in edits]
    twice = sorted({path for path in paths if paths.count(path) > 1})
    if twice:
        module.fail_json(msg=f"files: {twice} given more than once; give each file's keys in one entry")
    # Every file is read and checked before the first is written.
    planned = [plan(module, edit) for edit in edits]
    changed = [write(module, entry) for entry in planned]
    result = {
        "changed": any(changed),
        "changed_keys": [key for entry in planned for key in entry["changed_keys"]],
        "files": {entry["path"]: entry["changed_keys"] for entry in planned},
    }
    if params["path"] is not None:
        result["path"] = params["path"]
    if module._diff:
        diffs = [entry["diff"] for entry in planned if entry["changed_keys"]]
        if diffs:
            result["diff"] = diffs[0] if params["path"] is not None else diffs
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path"},
            "files": {
                "type": "list",
                "elements": "dict",
                "options": {
                    "path": {"type": "path", "required": True},
                    "values": {"type": "dict", "default": {}},
                    "secret_values": {"type": "dict", "default": {}, "no_log": True},
                    "absent": {"type": "list", "elements": "str", "default": []},
                },
            },
            "values": {"type": "dict", "default": {}},
            "secret_values": {"type": "dict", "default": {}, "no_log": True},
            "absent": {"type": "list", "elements": "str", "default": []},
            "create": {"type": "bool", "default": False},
        },
        mutually_exclusive=[
            ("path", "files"),
            ("files", "values"),
            ("files", "secret_values"),
            ("files", "absent"),
        ],
        required_one_of=[("path", "files")],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
