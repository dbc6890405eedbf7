#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: harbor_prepare
short_description: Render Harbor 1.1's common/config from its installer, as its prepare script does
version_added: 0.1.0
description:
  - Writes the files Harbor 1.1's C(prepare) writes under C(common/config) of an installer directory
    (adminserver, ui, jobservice and db env files, registry and nginx configuration, token key pair),
    from its C(harbor.cfg) and C(common/templates), with the values C(prepare) computes and the same
    C(string.Template) substitution. Harbor 1.1's C(prepare) is Python 2 only and does not run on
    current distributions.
  - Unlike C(prepare), it never generates anything. The ui and jobservice secrets, the secret key
    and the token key pair are inputs, made once for the whole cluster, so that every node renders
    the same files and a re-run changes nothing.
  - Writes a file only when its content or mode differs. Like C(prepare), which empties
    C(common/config) on every run, it removes files there that it does not write.
  - Changes that must last belong in C(common/templates) (a literal C($) written as C($$)), not in
    C(common/config), which is rendered again on every run.
  - Unlike C(prepare), it writes each value of the env files (C(adminserver/env), C(ui/env),
    C(jobservice/env), C(db/env)) that holds more than letters, digits and C(_.,:/@+=%-)
    single-quoted, so that docker compose hands the container exactly the rendered value;
    C(prepare) writes them bare, and docker-compose 1.29 cuts such a value where a space and a
    hash sign begin a comment, while Compose v2 expands its C($NAME). A value compose would
    change even quoted (a backslash, C(${...}), a line break) fails the module, naming the file
    and the key.
  - Notary (C(prepare --with-notary)) is not supported; C(WITH_NOTARY) is rendered C(False).
author:
  - harbor_ha.cluster contributors (@harbor-ha)
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  path:
    description:
      - The installer's C(harbor) directory, holding C(harbor.cfg) and C(common/templates).
      - C(common/config) is written under it.
    type: path
    required: true
  harbor_cfg:
    description:
      - The C(harbor.cfg) to read. Defaults to C(harbor.cfg) in O(path).
    type: path
  settings:
    description:
      - C(harbor.cfg) keys whose values replace those of the file, for example C(hostname) or
        C(secretkey_path). Values are strings, as in C(harbor.cfg). An unknown key is an error.
      - Secrets are not accepted here; give them as O(db_password), O(harbor_admin_password),
        O(email_password) and O(ldap_search_pwd).
    type: dict
    default: {}
  db_password:
    description:
      - Replaces C(db_password) of C(harbor.cfg) (C(MYSQL_PWD) of adminserver, root password of the
        bundled harbor-db).
    type: str
  harbor_admin_password:
    description:
      - Replaces C(harbor_admin_password) of C(harbor.cfg) (the admin's password at the first start).
    type: str
  email_password:
    description:
      - Replaces C(email_password) of C(harbor.cfg).
    type: str
  ldap_search_pwd:
    description:
      - Replaces C(ldap_search_pwd) of C(harbor.cfg).
    type: str
  ui_secret:
    description:
      - Secret the ui and jobservice present to adminserver (C(UI_SECRET)); the same on every node.
    type: str
    required: true
  jobservice_secret:
    description:
      - Secret jobservice presents to the ui (C(JOBSERVICE_SECRET)); the same on every node.
    type: str
    required: true
  secretkey_path:
    description:
      - Directory of the secret key file C(secretkey) that adminserver uses to encrypt stored
        passwords. It must exist and hold exactly 16 bytes; it is checked, never written.
      - Defaults to C(secretkey_path) of C(harbor.cfg) after O(settings).
    type: path
  token_private_key:
    description:
      - PEM of the key the ui signs registry tokens with, PKCS#1 (C(BEGIN RSA PRIVATE KEY)), since Harbor
        1.1 cannot read PKCS#8. Mutually exclusive with O(token_private_key_path).
    type: str
  token_private_key_path:
    description:
      - File on the managed host holding O(token_private_key).
    type: path
  token_root_cert:
    description:
      - PEM of the certificate of that key, which the registry trusts (C(root.crt)).
        Mutually exclusive with O(token_root_cert_path).
    type: str
  token_root_cert_path:
    description:
      - File on the managed host holding O(token_root_cert).
    type: path
  proxy_protocol:
    description:
      - Scheme of the node's own nginx. Defaults to C(ui_url_protocol).
      - V(http) with C(ui_url_protocol=https) is a node behind a load balancer that terminates TLS,
        so Harbor builds https URLs while the node's nginx serves plain http to the load balancer,
        and no certificate is needed on the node.
    type: str
    choices: [http, https]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Files that hold secrets are shown by size only.
notes:
  - With C(ui_url_protocol=https), the files named by C(ssl_cert) and C(ssl_cert_key) are read on
    the managed host and copied to C(common/config/nginx/cert/), as C(prepare) does.
  - Files that hold secrets (the env files, the token key, the TLS key) are written mode 0600,
    the others 0644.
"""

EXAMPLES = r"""
- name: Render common/config for this node
  harbor_ha.cluster.harbor_prepare:
    path: /opt/harbor/v1.1.2/harbor
    settings:
      hostname: registry.example.com:8060
      secretkey_path: /mnt/cephfs/harbor/data
    db_password: "{{ vault_harbor_db_password }}"
    harbor_admin_password: "{{ vault_harbor_admin_password }}"
    ui_secret: "{{ vault_harbor_ui_secret }}"
    jobservice_secret: "{{ vault_harbor_jobservice_secret }}"
    token_private_key_path: /mnt/cephfs/harbor/secrets/private_key.pem
    token_root_cert_path: /mnt/cephfs/harbor/secrets/root.crt
  no_log: true
  notify: Restart Harbor
"""

RETURN = r"""
config_dir:
  description: The directory that was rendered.
  returned: always
  type: str
  sample: /opt/harbor/v1.1.2/harbor/common/config
changed_files:
  description: Files (relative to O(path)/common/config) written or whose mode was set.
  returned: always
  type: list
  elements: str
  sample: [adminserver/env, nginx/nginx.conf]
removed_files:
  description: Files (relative to O(path)/common/config) removed because prepare would not write them.
  returned: always
  type: list
  elements: str
  sample: [nginx/cert/server.key]
ui_url:
  description: The external URL of Harbor (C(EXT_ENDPOINT)) that was rendered.
  returned: always
  type: str
  sample: http://registry.example.com:8060
"""

import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils.harbor_prepare import (
    SECRET_KEYS,
    ClusterInputs,
    PrepareError,
    apply_settings,
    check_secret_key,
    config_directories,
    config_files,
    parse_harbor_cfg,
    proxy_https,
)

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "harbor_cfg": {"type": "path"},
    "settings": {"type": "dict", "default": {}},
    "db_password": {"type": "str", "no_log": True},
    "harbor_admin_password": {"type": "str", "no_log": True},
    "email_password": {"type": "str", "no_log": True},
    "ldap_search_pwd": {"type": "str", "no_log": True},
    "ui_secret": {"type": "str", "required": True, "no_log": True},
    "jobservice_secret": {"type": "str", "required": True, "no_log": True},
    "secretkey_path": {"type": "path", "no_log": False},
    "token_private_key": {"type": "str", "no_log": True},
    "token_private_key_path": {"type": "path", "no_log": False},
    "token_root_cert": {"type": "str", "no_log": False},
    "token_root_cert_path": {"type": "path", "no_log": False},
    "proxy_protocol": {"type": "str", "choices": ["http", "https"]},
}


def read_text(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise PrepareError(f"cannot read {what} {path}: {exc.strerror}") from exc


def read_bytes(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise PrepareError(f"cannot read {what} {path}: {exc.strerror}") from exc


def cluster_inputs(params, cfg):
    def pem(name):
        if params[name] is not None:
            return params[name]
        return read_text(params[name + "_path"], name.replace("_", " "))

    ssl_files = {}
    if proxy_https(cfg, params["proxy_protocol"]):
        for key in ("ssl_cert", "ssl_cert_key"):
            if cfg.get(key):
                ssl_files[os.path.basename(cfg[key])] = read_text(cfg[key], key)
    return ClusterInputs(
        ui_secret=params["ui_secret"],
        jobservice_secret=params["jobservice_secret"],
        token_private_key=pem("token_private_key"),
        token_root_cert=pem("token_root_cert"),
        ssl_files=ssl_files,
    )


def plan(params):
    """(config directory, directories, {relative path: ConfigFile}, ui_url) from the inputs."""
    base = params["path"]
    cfg_path = params["harbor_cfg"] or os.path.join(base, "harbor.cfg")
    secrets = {key: params[key] for key in SECRET_KEYS}
    cfg = apply_settings(parse_harbor_cfg(read_text(cfg_path, "harbor.cfg")), params["settings"], secrets)
    secretkey_dir = params["secretkey_path"] or cfg.get("secretkey_path") or ""
    check_secret_key(read_bytes(os.path.join(secretkey_dir, "secretkey"), "the secret key"))
    templates = os.path.join(base, "common", "templates")

    def read_template(name):
        return read_text(os.path.join(templates, name), "template")

    proxy = params["proxy_protocol"]
    files = config_files(read_template, cfg, cluster_inputs(params, cfg), proxy)
    ui_url = cfg["ui_url_protocol"] + "://" + cfg["hostname"]
    return os.path.join(base, "common", "config"), config_directories(cfg, proxy), files, ui_url


def current_state(path):
    """(content, mode) of a regular file, or None."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read(), stat.S_IMODE(st.st_mode)


def shown(content, secret):
    return f"(secret file, {len(content.encode())} bytes)\n" if secret else content


def write_file(module, path, content, mode):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".harbor_prepare.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)
    module.atomic_move(tmp, path)
    # atomic_move gives a new file the default mode: set the wanted one afterwards.
    os.chmod(path, mode)


def apply(module, config_dir, directories, files):
    changed, removed, diffs = [], [], []
    for directory in directories:
        full = os.path.join(config_dir, directory)
        if not os.path.isdir(full) and not module.check_mode:
            os.makedirs(full, mode=0o755)
    for name, wanted in sorted(files.items()):
        full = os.path.join(config_dir, name)
        state = current_state(full)
        if state == (wanted.content, wanted.mode):
            continue
        changed.append(name)
        diffs.append(
            {
                "before_header": f"{full} (mode {state[1]:04o})" if state else f"{full} (absent)",
                "after_header": f"{full} (mode {wanted.mode:04o})",
                "before": shown(state[0], wanted.secret) if state else "",
                "after": shown(wanted.content, wanted.secret),
            }
        )
        if not module.check_mode:
            write_file(module, full, wanted.content, wanted.mode)
    if os.path.isdir(config_dir):
        for root, _dirs, names in os.walk(config_dir):
            for filename in names:
                full = os.path.join(root, filename)
                name = os.path.relpath(full, config_dir)
                if name not in files:
                    removed.append(name)
                    diffs.append(
                        {
                            "before_header": full,
                            "after_header": f"{full} (removed)",
                            "before": "",
                            "after": "",
                        }
                    )
                    if not module.check_mode:
                        os.remove(full)
    return changed, sorted(removed), diffs


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[
            ("token_private_key", "token_private_key_path"),
            ("token_root_cert", "token_root_cert_path"),
        ],
        required_one_of=[
            ("token_private_key", "token_private_key_path"),
            ("token_root_cert", "token_root_cert_path"),
        ],
        supports_check_mode=True,
    )
    try:
        config_dir, directories, files, ui_url = plan(module.params)
        changed, removed, diffs = apply(module, config_dir, directories, files)
    except PrepareError as exc:
        module.fail_json(msg=str(exc))
    result = {
        "changed": bool(changed or removed),
        "config_dir": config_dir,
        "changed_files": changed,
        "removed_files": removed,
        "ui_url": ui_url,
    }
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
