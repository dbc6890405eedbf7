"""harbor_settings_info asks Harbor's API as an administrator and reports drift, not errors."""

import base64
import copy
import http.server
import json
import threading
from typing import ClassVar

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.module_utils import harbor_config
from ansible_collections.harbor_ha.cluster.plugins.modules import harbor_settings_info

SETTINGS = {
    "hostname": "10.0.0.1:8060",
    "ui_url_protocol": "http",
    "customize_crt": "off",
    "secretkey_path": "/data",
    "ssl_cert": "/data/cert/server.crt",
    "ssl_cert_key": "/data/cert/server.key",
    "max_job_workers": "3",
    "admiral_url": "NA",
    "email_identity": "",
    "email_server": "",
    "email_server_port": "25",
    "email_username": "",
    "email_from": "",
    "email_ssl": "false",
    "auth_mode": "db_auth",
    "ldap_url": "",
    "ldap_searchdn": "",
    "ldap_basedn": "",
    "ldap_filter": "",
    "ldap_uid": "uid",
    "ldap_scope": "3",
    "ldap_timeout": "5",
    "self_registration": "on",
    "token_expiration": "30",
    "project_creation_restriction": "everyone",
    "verify_remote_cert": "on",
}
ENV = {"MYSQL_HOST": "10.0.0.10", "RESET": "true"}
PASSWORD = "Admin-Pass1 #'\""


class Harbor(http.server.BaseHTTPRequestHandler):
    """The ui's GET /api/configurations: the admin's basic auth, then every key as value/editable."""

    live: ClassVar[dict] = {}

    def do_GET(self):
        expected = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            code, body = 401, b""
        elif self.path != "/api/configurations" or self.headers.get("Host") != "10.0.0.1:8060":
            code, body = 404, b""
        else:
            answer = {key: {"value": value, "editable": True} for key, value in self.live.items()}
            code, body = 200, json.dumps(answer).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def harbor(installer_tree):
    template = (installer_tree / "common" / "templates" / "adminserver" / "env").read_text()
    Harbor.live = harbor_config.inventory_configuration(template, SETTINGS, ENV)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Harbor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def run_module(capsys, installer_dir, url, **changes):
    args = {
        "path": str(installer_dir),
        "settings": SETTINGS,
        "env": ENV,
        "proxy_url": url,
        "host_header": "10.0.0.1:8060",
        "password": PASSWORD,
        **changes,
    }
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        harbor_settings_info.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_harbor_as_the_inventory_has_no_drift(capsys, installer_tree, harbor):
    code, result = run_module(capsys, installer_tree, harbor)
    assert code == 0
    assert (result["changed"], result["error"], result["drift"]) == (False, None, [])
    assert result["harbor"] == result["inventory"]


def test_a_web_ui_change_is_drift(capsys, installer_tree, harbor):
    live = copy.deepcopy(Harbor.live)
    Harbor.live.update(self_registration=False, job_log_dir="/var/log/jobs")
    try:
        _, result = run_module(capsys, installer_tree, harbor)
    finally:
        Harbor.live = live
    assert [item["key"] for item in result["drift"]] == ["job_log_dir", "self_registration"]


def test_a_refused_login_is_reported_not_raised(capsys, installer_tree, harbor):
    code, result = run_module(capsys, installer_tree, harbor, password="not-the-password")
    assert code == 0
    assert result["harbor"] is None
    assert "admin could not log in" in result["error"]
    assert "not-the-password" not in json.dumps(result)


def test_a_node_without_installer_is_reported(capsys, tmp_path, harbor):
    code, result = run_module(capsys, tmp_path, harbor)
    assert code == 0
    assert "no installer" in result["error"]


def test_settings_harbor_cannot_start_with_fail(capsys, installer_tree, harbor):
    code, result = run_module(capsys, installer_tree, harbor, settings={**SETTINGS, "ldap_timeout": "5s"})
    assert code == 1
    assert "LDAP_TIMEOUT='5s' is not an integer" in result["msg"]
