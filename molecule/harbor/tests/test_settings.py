"""The inventory owns Harbor's settings (issue 11, item 4) and no run shows a secret (issue 12).

Harbor 1.1's adminserver rebuilds its configuration from its env at every start (RESET=true), for
the whole cluster: a setting changed in the web UI lasts until the next start of any node.
status.yml reports it as drift on every node, a run of the inventory's settings puts Harbor back
on them, and an auth_mode change is refused once the database holds users, as Harbor refuses it.
Runs last: it leaves the cluster on SETTINGS, with a user of its own.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest
from bedhelpers import ANSI, ansible_playbook, bed_host, failures, recap
from harbor_testlib import NODES, PORT, SECRETS, container_starts

testinfra_hosts = ["harbor-node1"]

CONVERGE = "molecule/harbor/converge.yml"
STATUS = "playbooks/status.yml"
# What the run under test gives Harbor instead of the role's defaults: LDAP with a search
# account, mail, no self-registration, longer tokens. Both secrets have the characters compose
# would change unquoted.
SETTINGS = {
    "auth_mode": "ldap_auth",
    "ldap_url": "ldaps://ldap.example.test",
    "ldap_searchdn": "cn=harbor,ou=services,dc=example,dc=test",
    "ldap_search_pwd": "Sldap-4Vw8 'q\" #w $HOME",
    "ldap_basedn": "ou=people,dc=example,dc=test",
    "ldap_filter": "(objectClass=person)",
    "email_server": "smtp.example.test",
    "email_password": "Smail-6Tq1 \"q' #v $PATH",
    "email_from": "Harbor <harbor@example.test>",
    "self_registration": "off",
    "token_expiration": 45,
}
USER = "settings-scenario-user"


@pytest.fixture(scope="module")
def nodes():
    return {name: bed_host(name) for name in NODES}


@pytest.fixture(scope="module")
def admin(host) -> str:
    return host.ansible.get_variables()["harbor_admin_password"]


def configurations(node_name: str, admin: str, body: dict | None = None) -> tuple[int, dict | str]:
    """GET (or PUT `body`) /api/configurations of a node's ui, as the admin, from node 1."""
    node1 = bed_host("harbor-node1")
    url = f"http://{NODES[node_name]}:{PORT}/api/configurations"
    args = ["curl", "-sS", "-o", "/tmp/harbor-config", "-w", "%{http_code}", "-u", f"admin:{admin}"]
    args += ["-H", f"Host: {NODES['harbor-node1']}:{PORT}", url]
    if body is not None:
        args += ["-X", "PUT", "-H", "Content-Type: application/json", "--data", json.dumps(body)]
    status = int(node1.check_output(shlex.join(args)))
    text = node1.file("/tmp/harbor-config").content_string
    return status, json.loads(text) if status == 200 and body is None else text


def live(node_name: str, admin: str) -> dict:
    status, answer = configurations(node_name, admin)
    assert status == 200, answer
    return {key: item["value"] for key, item in answer.items()}


def output(result) -> str:
    """A run's output, its lines unwrapped: the status report's failure spans lines."""
    return " ".join(ANSI.sub("", result.stdout + result.stderr).split())


@pytest.fixture(scope="module")
def web_ui_change(admin):
    """A setting changed the way Harbor's web UI changes it, on node 1's ui."""
    status, answer = configurations(
        "harbor-node1", admin, {"self_registration": "0", "email_host": "smtp.changed-in-the-ui.test"}
    )
    assert status == 200, answer
    return ansible_playbook(STATUS)


def test_a_web_ui_change_reaches_the_whole_cluster(web_ui_change, admin):
    # config.json is on the share: node 2's ui answers node 1's change.
    settings = live("harbor-node2", admin)
    assert settings["self_registration"] is False
    assert settings["email_host"] == "smtp.changed-in-the-ui.test"


def test_status_reports_the_change_as_drift_on_every_node(web_ui_change):
    text = output(web_ui_change)
    assert web_ui_change.returncode != 0, text[-3000:]
    assert "The cluster is degraded" in text
    for node in NODES:
        assert f"{node}: Harbor's settings differ from the inventory (email_host, self_registration)" in text
    assert "setting self_registration: inventory True, Harbor False (on harbor-node1, harbor-node2)" in text


@pytest.fixture(scope="module")
def settings_run(web_ui_change):
    """The inventory's new settings, applied at -vv with --diff; then status.yml on them."""
    extra = {"harbor_cfg_extra": SETTINGS}
    run = ansible_playbook(CONVERGE, "-vv", "--diff", extra_vars=extra)
    return run, ansible_playbook(STATUS, extra_vars=extra)


def test_the_inventory_s_settings_are_harbor_s_after_the_run(settings_run, admin):
    run, status = settings_run
    assert run.returncode == 0, output(run)[-3000:]
    assert all(recap(run)[node]["changed"] > 0 for node in NODES)
    for node in NODES:
        settings = live(node, admin)
        assert settings["auth_mode"] == "ldap_auth"
        assert settings["ldap_search_dn"] == SETTINGS["ldap_searchdn"]
        assert settings["ldap_filter"] == SETTINGS["ldap_filter"]
        assert settings["email_from"] == SETTINGS["email_from"]
        assert settings["token_expiration"] == 45
        assert settings["self_registration"] is False
        # The web UI's change is gone: the restart rebuilt the configuration from the env.
        assert settings["email_host"] == "smtp.example.test"
    assert status.returncode == 0, output(status)[-3000:]
    assert "settings as the inventory" in output(status)


def secrets_of_the_scenario(host) -> dict[str, str]:
    """Every secret the scenario's runs handle, by name: the inventory's, the run's, the share's."""
    variables = host.ansible.get_variables()
    found = {name: variables[name] for name in ("cluster_db_password", "cluster_redis_password")}
    found |= {name: variables[name] for name in ("harbor_admin_password", "mysql_admin_password")}
    found["cephfs_client_key"] = variables["harbor_test_ceph_key"]
    found |= {f"harbor_cfg_extra.{name}": SETTINGS[name] for name in ("ldap_search_pwd", "email_password")}
    for name in ("secretkey", "ui_secret", "jobservice_secret"):
        found[name] = host.file(f"{SECRETS}/{name}").content_string
    # One line of the token key's body stands for the key.
    found["private_key.pem"] = host.file(f"{SECRETS}/private_key.pem").content_string.splitlines()[5]
    return found


def test_no_secret_shows_in_the_verbose_diff_run(settings_run, host):
    text = output(settings_run[0]) + output(settings_run[1])
    # A secret with quotes may show JSON-escaped: its first word, without them, is enough to find.
    leaked = [name for name, value in secrets_of_the_scenario(host).items() if value.split()[0] in text]
    assert not leaked, f"secrets in the output of a -vv --diff run: {leaked}"
    assert "--- before" in text or "before:" in text, "the run showed no diff at all"


@pytest.fixture(scope="module")
def guarded_run(settings_run, nodes):
    """Harbor's database gets a user, then a run with the inventory's auth_mode (db_auth)."""
    db = bed_host("harbor-db")
    db.check_output(
        "mariadb registry --execute=%s",
        f"DELETE FROM user WHERE username = '{USER}'; INSERT INTO user (username, email, password, realname, "
        f"comment, deleted, sysadmin_flag, creation_time, update_time) VALUES ('{USER}', "
        f"'{USER}@example.test', '', 'settings test', '', 0, 0, NOW(), NOW())",
    )
    before = {name: container_starts(node) for name, node in nodes.items()}
    run = ansible_playbook("molecule/harbor/harbor_only.yml")
    return run, before, {name: container_starts(node) for name, node in nodes.items()}


def test_an_auth_mode_change_is_refused_once_users_exist(guarded_run, admin):
    run, before, after = guarded_run
    assert run.returncode != 0, output(run)[-3000:]
    assert re.search(
        r"harbor_cfg_extra\.auth_mode is db_auth, Harbor runs ldap_auth and its database holds 3 users",
        failures(run),
    ), failures(run)[:3000]
    assert all(counts["changed"] == 0 for counts in recap(run).values()), recap(run)
    assert after == before
    # Harbor's own API says the same: auth_mode can no longer be edited.
    status, answer = configurations("harbor-node1", admin)
    assert status == 200
    assert answer["auth_mode"] == {"value": "ldap_auth", "editable": False}
