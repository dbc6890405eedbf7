#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Compare Harbor 1.1's live configuration with the one the inventory gives it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_settings_info
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Compare Harbor 1.1's live settings with the inventory's
description:
  - Reads Harbor's live configuration as its API answers it (C(GET /api/configurations) through
    the node's proxy, as a system administrator) and compares it with the configuration Harbor's
    adminserver builds at its next start from what the inventory gives it.
  - The cluster's adminserver env sets C(RESET=true), so every start rebuilds the configuration
    from the env the role renders; a setting changed in the web UI since the last start is drift,
    and the next start of any node reverts it for the whole cluster.
  - The inventory's configuration is computed on the node from its installer's
    C(common/templates/adminserver/env), O(settings) and O(env), the way the role renders it.
    Passwords are not compared (Harbor's API never shows them).
  - A node that cannot be asked is reported, not raised; the module fails only on bad parameters
    or settings Harbor could not start with.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  path:
    description: The installer's C(harbor) directory, holding C(common/templates).
    type: path
    required: true
  settings:
    description:
      - The C(harbor.cfg) settings the role renders (every key Harbor 1.1's prepare requires, its
        secrets excepted).
    type: dict
    required: true
  env:
    description: Values the role sets in the adminserver env template itself, by variable name.
    type: dict
    default: {}
  proxy_url:
    description: Base URL of the node's proxy, e.g. V(http://10.0.0.11:8060).
    type: str
    required: true
  host_header:
    description: Host header of the request (Harbor's hostname).
    type: str
    required: true
  username:
    description: A system administrator of Harbor.
    type: str
    default: admin
  password:
    description: That user's password.
    type: str
    required: true
  timeout:
    description: Seconds the request may take.
    type: float
    default: 5
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Compare Harbor's settings with the inventory's
  harbor_ha.cluster.harbor_settings_info:
    path: /opt/harbor/v1.1.2-0123456789ab/harbor
    settings: "{{ _harbor_cfg }}"
    env: {MYSQL_HOST: 10.0.0.10, MYSQL_PORT: "3306", RESET: "true"}
    proxy_url: http://10.0.0.11:8060
    host_header: harbor.example.com
    password: "{{ harbor_admin_password }}"
  register: __settings
"""

RETURN = r"""
inventory:
  description: The configuration the inventory gives Harbor, passwords left out.
  returned: always
  type: dict
  sample: {auth_mode: db_auth, self_registration: true, token_expiration: 30}
harbor:
  description: Harbor's live configuration (values only), or null when it could not be read.
  returned: always
  type: dict
drift:
  description:
    - Each setting whose live value differs, sorted by key, with the inventory's value and
      Harbor's; C(only) says which side alone holds the key (C(harbor) for a key set through
      the API only), else it is null.
  returned: always
  type: list
  elements: dict
  sample: [{key: self_registration, inventory: true, harbor: false, only: null}]
error:
  description: Why the live configuration could not be read, or null.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import harbor_config, node_probe
from ansible_collections.harbor_ha.cluster.plugins.module_utils.harbor_prepare import PrepareError


def _refusal(status: int, user: str) -> str:
    if status == 401:
        return f"{user} could not log in (harbor_admin_password is Harbor's initial admin password only)"
    if status == 403:
        return f"{user} is not a system administrator"
    return f"GET /api/configurations answered {status}"


def run(params: dict) -> dict:
    template_path = os.path.join(params["path"], "common", "templates", harbor_config.ADMINSERVER_TEMPLATE)
    if not os.path.isfile(template_path):
        error = f"no installer at {params['path']} ({template_path} is missing)"
        return {"changed": False, "inventory": {}, "harbor": None, "drift": [], "error": error}
    with open(template_path, encoding="utf-8") as handle:
        template = handle.read()
    inventory = harbor_config.inventory_configuration(template, params["settings"], params["env"])
    answer = node_probe.http_json(
        params["proxy_url"].rstrip("/") + "/api/configurations",
        params["host_header"],
        params["username"],
        params["password"],
        params["timeout"],
    )
    result = {"changed": False, "inventory": inventory, "harbor": None, "drift": [], "error": answer["error"]}
    if answer["status"] != 200 and result["error"] is None:
        result["error"] = _refusal(answer["status"], params["username"])
    if result["error"] is None:
        try:
            result["harbor"] = harbor_config.live_configuration(answer["document"])
        except PrepareError as exc:
            result["error"] = str(exc)
        else:
            result["drift"] = harbor_config.drift(inventory, result["harbor"])
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "settings": {"type": "dict", "required": True},
            "env": {"type": "dict", "default": {}},
            "proxy_url": {"type": "str", "required": True},
            "host_header": {"type": "str", "required": True},
            "username": {"type": "str", "default": "admin"},
            "password": {"type": "str", "required": True, "no_log": True},
            "timeout": {"type": "float", "default": 5},
        },
        supports_check_mode=True,
    )
    try:
        module.exit_json(**run(module.params))
    except (OSError, PrepareError) as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
