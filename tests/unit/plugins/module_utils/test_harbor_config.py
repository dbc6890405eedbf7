"""module_utils/harbor_config: the configuration the inventory gives Harbor 1.1, and its drift.

The inventory's configuration is computed from Harbor's own adminserver env template (and the
test installer's equivalent) with the role's settings: every adminserver setting must come from
the inventory, since RESET=true rebuilds all of them at every start (issue 11, item 4).
"""

from pathlib import Path

import pytest
import yaml

from ansible_collections.harbor_ha.cluster.plugins.module_utils import harbor_config as hc
from ansible_collections.harbor_ha.cluster.plugins.module_utils.harbor_prepare import PrepareError

ROOT = Path(__file__).resolve().parents[4]
HARBOR_VARS = yaml.safe_load((ROOT / "roles" / "harbor" / "vars" / "main.yml").read_text())
DEFAULTS = HARBOR_VARS["_harbor_cfg_defaults"]
SECRET_SETTINGS = HARBOR_VARS["_harbor_cfg_secret_settings"]
# The role's own harbor.cfg keys and its adminserver env, as a cluster model would give them.
OWNED = {
    "hostname": "harbor.example.test",
    "ui_url_protocol": "https",
    "customize_crt": "off",
    "secretkey_path": "/mnt/cephfs/harbor/data",
    "ssl_cert": "/mnt/cephfs/harbor/data/cert/server.crt",
    "ssl_cert_key": "/mnt/cephfs/harbor/data/cert/server.key",
}
ENV = {
    "MYSQL_HOST": "10.0.0.10",
    "MYSQL_PORT": "3306",
    "MYSQL_USR": "harbor",
    "MYSQL_DATABASE": "registry",
    "CFG_EXPIRATION": "5",
    "RESET": "true",
}
# Adminserver settings no inventory should change: the wiring of Harbor's own containers, and
# Notary, which the collection does not run.
FIXED = {
    "database_type": "mysql",
    "registry_url": "http://registry:5000",
    "sqlite_file": "",
    "with_notary": False,
}


def settings(**changes) -> dict:
    given = {k: v for k, v in DEFAULTS.items() if k not in SECRET_SETTINGS}
    return {**OWNED, **given, **changes}


def template(tree: Path) -> str:
    return (tree / "common" / "templates" / "adminserver" / "env").read_text()


def test_the_role_vars_list_every_harbor_cfg_setting():
    assert set(HARBOR_VARS["_harbor_cfg_owned"]) == set(OWNED)
    assert set(HARBOR_VARS["_harbor_adminserver_env"]) == set(ENV)
    assert set(HARBOR_VARS["_harbor_cfg_numbers"]) | set(HARBOR_VARS["_harbor_cfg_booleans"]) <= set(DEFAULTS)


def test_the_inventory_configuration_of_the_defaults(installer_tree):
    cfg = hc.inventory_configuration(template(installer_tree), settings(), ENV)
    assert not set(hc.PASSWORD_KEYS) & set(cfg)
    assert cfg["ext_endpoint"] == "https://harbor.example.test"
    assert cfg["mysql_host"] == "10.0.0.10"
    assert cfg["mysql_port"] == 3306
    assert cfg["auth_mode"] == "db_auth"
    assert cfg["self_registration"] is True
    assert cfg["email_ssl"] is False
    assert cfg["ldap_scope"] == 3
    assert cfg["token_expiration"] == 30
    assert cfg["cfg_expiration"] == 5
    assert cfg["admiral_url"] == "NA"
    assert {key: cfg[key] for key in FIXED} == FIXED


# Values prepare and Harbor accept, other than the defaults.
CHOICES = {"ui_url_protocol": "http", "auth_mode": "ldap_auth", "project_creation_restriction": "adminonly"}


def another(key: str, value: str) -> str:
    if key in CHOICES:
        return CHOICES[key]
    if value.isdigit():
        return "2"
    return {"on": "off", "true": "false", "off": "on", "false": "true"}.get(value, value + "x")


def test_every_adminserver_setting_is_the_inventorys(installer_tree):
    """Each setting the adminserver rebuilds at a start follows a harbor.cfg setting, a fact the
    role sets in its env, or is Harbor's fixed wiring; each harbor.cfg setting reaches one."""
    text = template(installer_tree)
    base = hc.inventory_configuration(text, settings(), ENV)
    reached = {}
    for key, value in settings().items():
        if key == "customize_crt":
            continue
        changed = hc.inventory_configuration(text, settings(**{key: another(key, value)}), ENV)
        reached[key] = sorted(k for k in base if changed[k] != base[k])
    for name, value in ENV.items():
        changed = hc.inventory_configuration(text, settings(), {**ENV, name: "7" if value.isdigit() else "x"})
        reached[name] = sorted(k for k in base if changed[k] != base[k])
    unreachable = set(base) - {k for keys in reached.values() for k in keys} - set(FIXED)
    assert not unreachable, f"adminserver settings no variable reaches: {sorted(unreachable)}"
    # Every harbor.cfg setting but the certificate paths (nginx's, not the adminserver's) and
    # the secretkey path reaches a setting; RESET reaches none, it decides how they load.
    idle = sorted(key for key, keys in reached.items() if not keys)
    assert idle == ["RESET", "secretkey_path", "ssl_cert", "ssl_cert_key"], reached


def test_a_setting_harbor_cannot_start_with_is_refused(installer_tree):
    with pytest.raises(PrepareError, match=r"TOKEN_EXPIRATION='30m' is not an integer"):
        hc.inventory_configuration(template(installer_tree), settings(token_expiration="30m"), ENV)


def test_configuration_parses_as_the_adminserver_does():
    cfg = hc.configuration(
        {"MYSQL_PORT": "", "SELF_REGISTRATION": "ON", "EMAIL_SSL": "yes", "LDAP_SCOPE": "+2"}
    )
    assert (cfg["mysql_port"], cfg["self_registration"], cfg["email_ssl"], cfg["ldap_scope"]) == (
        0,
        True,
        False,
        2,
    )


def test_live_configuration_reads_the_values_of_the_answer():
    answer = {
        "auth_mode": {"value": "db_auth", "editable": False},
        "mysql_port": {"value": 3306, "editable": True},
    }
    assert hc.live_configuration(answer) == {"auth_mode": "db_auth", "mysql_port": 3306}
    with pytest.raises(PrepareError, match=r"not Harbor 1\.1's"):
        hc.live_configuration({"auth_mode": "db_auth"})


def test_drift_names_each_difference_and_the_side_that_alone_holds_a_key():
    inventory = {"self_registration": True, "mysql_port": 3306, "email_host": "smtp", "token_expiration": 30}
    harbor = {"self_registration": 1, "mysql_port": 3306.0, "email_host": "other", "job_log_dir": "/x"}
    assert hc.drift(inventory, harbor) == [
        {"key": "email_host", "inventory": "smtp", "harbor": "other", "only": None},
        {"key": "job_log_dir", "inventory": None, "harbor": "/x", "only": "harbor"},
        # JSON's 1 is not the boolean true.
        {"key": "self_registration", "inventory": True, "harbor": 1, "only": None},
        {"key": "token_expiration", "inventory": 30, "harbor": None, "only": "inventory"},
    ]
    assert hc.drift(inventory, dict(inventory)) == []
