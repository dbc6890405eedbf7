# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Harbor 1.1's configuration as its adminserver builds it, and as its ui's API shows it.

With RESET=true (the cluster's adminserver env), Harbor 1.1's adminserver rebuilds its whole
configuration from its env at every start (src/adminserver/systemcfg/systemcfg.go, Init and
LoadFromEnv): after a restart Harbor runs what the role rendered from the inventory. Between two
starts, the web UI changes the stored configuration (PUT /api/configurations), for the whole
cluster since config.json is on the share, and the next start of any node reverts it. These
pure functions compute the configuration the inventory gives Harbor and compare it with what
GET /api/configurations answers (src/ui/api/config.go).
"""

from __future__ import annotations

import re

from ansible_collections.harbor_ha.cluster.plugins.module_utils.harbor_prepare import (
    SECRET_KEYS,
    PrepareError,
    apply_settings,
    env_values,
    settings_values,
)

ADMINSERVER_TEMPLATE = "adminserver/env"

# Configuration key -> (environment variable, type): systemcfg.go's allEnvs at v1.1.2. The test
# installer's stand-in adminserver keeps its own copy on purpose (a stand-in must not run the code
# it tests); tests/unit/installer checks that both build the same configuration.
ADMINSERVER_ENV = {
    "ext_endpoint": ("EXT_ENDPOINT", str),
    "auth_mode": ("AUTH_MODE", str),
    "self_registration": ("SELF_REGISTRATION", bool),
    "database_type": ("DATABASE_TYPE", str),
    "mysql_host": ("MYSQL_HOST", str),
    "mysql_port": ("MYSQL_PORT", int),
    "mysql_username": ("MYSQL_USR", str),
    "mysql_password": ("MYSQL_PWD", str),
    "mysql_database": ("MYSQL_DATABASE", str),
    "sqlite_file": ("SQLITE_FILE", str),
    "ldap_url": ("LDAP_URL", str),
    "ldap_search_dn": ("LDAP_SEARCH_DN", str),
    "ldap_search_password": ("LDAP_SEARCH_PWD", str),
    "ldap_base_dn": ("LDAP_BASE_DN", str),
    "ldap_filter": ("LDAP_FILTER", str),
    "ldap_uid": ("LDAP_UID", str),
    "ldap_scope": ("LDAP_SCOPE", int),
    "ldap_timeout": ("LDAP_TIMEOUT", int),
    "email_host": ("EMAIL_HOST", str),
    "email_port": ("EMAIL_PORT", int),
    "email_username": ("EMAIL_USR", str),
    "email_password": ("EMAIL_PWD", str),
    "email_ssl": ("EMAIL_SSL", bool),
    "email_from": ("EMAIL_FROM", str),
    "email_identity": ("EMAIL_IDENTITY", str),
    "registry_url": ("REGISTRY_URL", str),
    "token_expiration": ("TOKEN_EXPIRATION", int),
    "cfg_expiration": ("CFG_EXPIRATION", int),
    "max_job_workers": ("MAX_JOB_WORKERS", int),
    "verify_remote_cert": ("VERIFY_REMOTE_CERT", bool),
    "project_creation_restriction": ("PROJECT_CREATION_RESTRICTION", str),
    "admin_initial_password": ("HARBOR_ADMIN_PASSWORD", str),
    "admiral_url": ("ADMIRAL_URL", str),
    "with_notary": ("WITH_NOTARY", bool),
}
# The ui's API never answers these (config.go passwordKeys): they cannot be compared.
PASSWORD_KEYS = ("admin_initial_password", "email_password", "ldap_search_password", "mysql_password")

_ATOI = re.compile(r"[+-]?[0-9]+")


def _parsed(key: str, kind: type, text: str):
    """parseStringToInt and parseStringToBool: "" is 0; "true" and "on" are true, in any case."""
    if kind is bool:
        return text.lower() in ("true", "on")
    if kind is int:
        if text == "":
            return 0
        if not _ATOI.fullmatch(text):
            raise PrepareError(
                f"{ADMINSERVER_ENV[key][0]}={text!r} is not an integer: Harbor's adminserver would not start"
            )
        return int(text)
    return text


def configuration(env: dict[str, str]) -> dict:
    """What the adminserver stores from `env` at a start with RESET=true, passwords left out."""
    return {
        key: _parsed(key, kind, env.get(name, ""))
        for key, (name, kind) in ADMINSERVER_ENV.items()
        if key not in PASSWORD_KEYS
    }


def inventory_configuration(template: str, settings: dict, env: dict) -> dict:
    """The configuration of a node rendered from the inventory.

    `template` is the node's common/templates/adminserver/env, `settings` the harbor.cfg values
    (every key prepare requires, secrets excepted: they are not compared), `env` the values the
    role sets in that template itself (MYSQL_HOST, RESET...), as the container sees them.
    """
    cfg = apply_settings(dict.fromkeys(SECRET_KEYS, ""), settings, {})
    # The secrets the template names are not configuration keys: any value renders it.
    values = {**settings_values(cfg), "ui_secret": "", "jobservice_secret": ""}
    rendered = env_values(ADMINSERVER_TEMPLATE, template, values)
    rendered.update({name: str(value) for name, value in env.items()})
    return configuration(rendered)


def live_configuration(answer) -> dict:
    """The values of a GET /api/configurations answer ({key: {"value", "editable"}})."""
    if not isinstance(answer, dict) or not all(isinstance(v, dict) and "value" in v for v in answer.values()):
        raise PrepareError("the answer of /api/configurations is not Harbor 1.1's {key: {value, editable}}")
    return {key: item["value"] for key, item in answer.items()}


def _same(inventory, harbor) -> bool:
    # Python's True == 1, JSON's true and 1 are not the same setting; Go may answer 5 as 5.0.
    if isinstance(inventory, bool) or isinstance(harbor, bool):
        return inventory is harbor
    return inventory == harbor


def drift(inventory: dict, harbor: dict) -> list[dict]:
    """The keys whose value Harbor holds differs from the inventory's, sorted.

    A key only Harbor holds was set through the API (token_service_url, job_log_dir...): no
    start removes it, since the adminserver merges into its store. A key only the inventory
    gives is missing from Harbor's store.
    """
    missing = object()
    found = []
    for key in sorted(set(inventory) | set(harbor)):
        want, have = inventory.get(key, missing), harbor.get(key, missing)
        if want is missing or have is missing or not _same(want, have):
            found.append(
                {
                    "key": key,
                    "inventory": None if want is missing else want,
                    "harbor": None if have is missing else have,
                    "only": "harbor" if want is missing else "inventory" if have is missing else None,
                }
            )
    return found
