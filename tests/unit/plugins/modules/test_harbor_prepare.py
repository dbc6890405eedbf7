"""The harbor_prepare module on a real installer tree: writes, idempotence, check and diff mode."""

import json
import re
import shutil
import stat

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import harbor_prepare

UI_SECRET = "ui-secret-value1"
DB_PASSWORD = "db-password-value"


@pytest.fixture
def installer(tmp_path, installer_tree, token_pair):
    """An unpacked installer (harbor.cfg, common/templates) and the cluster's key material."""
    harbor = tmp_path / "harbor"
    harbor.mkdir()
    shutil.copy(installer_tree / "harbor.cfg", harbor / "harbor.cfg")
    shutil.copytree(installer_tree / "common" / "templates", harbor / "common" / "templates")
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "secretkey").write_bytes(b"0123456789abcdef")
    (keys / "private_key.pem").write_text(token_pair[0])
    (keys / "root.crt").write_text(token_pair[1])
    return harbor, keys


def args(installer, **extra):
    harbor, keys = installer
    values = {
        "path": str(harbor),
        "settings": {"hostname": "10.201.4.11", "secretkey_path": str(keys)},
        "db_password": DB_PASSWORD,
        "ui_secret": UI_SECRET,
        "jobservice_secret": "job-secret-value",
        "token_private_key_path": str(keys / "private_key.pem"),
        "token_root_cert_path": str(keys / "root.crt"),
    }
    values.update(extra)
    return values


def run(capsys, module_args, check=False, diff=False) -> dict:
    module_args = {**module_args, "_ansible_check_mode": check, "_ansible_diff": diff}
    with patch_module_args(module_args), pytest.raises(SystemExit):
        harbor_prepare.main()
    return json.loads(capsys.readouterr().out)


def snapshot(config):
    return {p: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in config.rglob("*") if p.is_file()}


def test_first_run_writes_common_config_and_a_second_changes_nothing(capsys, installer):
    result = run(capsys, args(installer))
    config = installer[0] / "common" / "config"
    assert result["changed"] is True
    assert result["ui_url"] == "http://10.201.4.11"
    assert len(result["changed_files"]) == 10
    assert (config / "nginx" / "conf.d").is_dir()
    env = (config / "adminserver" / "env").read_text()
    assert "EXT_ENDPOINT=http://10.201.4.11\n" in env
    assert f"MYSQL_PWD={DB_PASSWORD}\n" in env
    assert stat.S_IMODE((config / "ui" / "env").stat().st_mode) == 0o600
    assert stat.S_IMODE((config / "registry" / "config.yml").stat().st_mode) == 0o644

    before = snapshot(config)
    again = run(capsys, args(installer))
    assert again["changed"] is False
    assert again["changed_files"] == []
    assert again["removed_files"] == []
    assert snapshot(config) == before


def test_check_mode_reports_without_writing(capsys, installer):
    config = installer[0] / "common" / "config"
    result = run(capsys, args(installer), check=True)
    assert result["changed"] is True
    assert not config.exists()

    run(capsys, args(installer))
    (config / "ui" / "env").chmod(0o644)
    (config / "nginx" / "conf.d" / "stale.conf").write_text("left over\n")
    before = snapshot(config)
    result = run(capsys, args(installer, ui_secret="another-secret-1"), check=True)
    assert result["changed_files"] == ["adminserver/env", "jobservice/env", "ui/env"]
    assert result["removed_files"] == ["nginx/conf.d/stale.conf"]
    assert snapshot(config) == before


def test_a_change_rewrites_only_what_differs_and_removes_stray_files(capsys, installer):
    run(capsys, args(installer))
    config = installer[0] / "common" / "config"
    (config / "registry" / "config.yml").chmod(0o600)
    (config / "stray").write_text("not prepare's\n")
    result = run(
        capsys,
        args(installer, settings={"hostname": "harbor.example.com", "secretkey_path": str(installer[1])}),
    )
    assert result["changed_files"] == ["adminserver/env", "registry/config.yml"]
    assert result["removed_files"] == ["stray"]
    assert not (config / "stray").exists()
    assert stat.S_IMODE((config / "registry" / "config.yml").stat().st_mode) == 0o644
    assert (
        "realm: http://harbor.example.com/service/token" in (config / "registry" / "config.yml").read_text()
    )


def test_diff_mode_never_shows_a_secret(capsys, installer):
    result = run(capsys, args(installer), diff=True)
    shown = json.dumps(result["diff"])
    assert "EXT_ENDPOINT" not in shown
    assert UI_SECRET not in shown
    assert DB_PASSWORD not in shown
    assert "PRIVATE KEY" not in shown
    by_file = {d["after_header"].split(" (")[0].rsplit("/config/", 1)[1]: d for d in result["diff"]}
    assert by_file["adminserver/env"]["after"].startswith("(secret file, ")
    assert "rootdirectory: /storage" in by_file["registry/config.yml"]["after"]


def test_key_material_given_as_content(capsys, installer, token_pair):
    values = args(installer, token_private_key=token_pair[0], token_root_cert=token_pair[1])
    del values["token_private_key_path"], values["token_root_cert_path"]
    assert run(capsys, values)["changed"] is True
    assert (installer[0] / "common" / "config" / "ui" / "private_key.pem").read_text() == token_pair[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"settings": {"db_password": "x"}}, r"\['db_password'\] are secrets"),
        ({"settings": {"hostnme": "x"}}, "unknown harbor.cfg key"),
        ({"secretkey_path": "/nonexistent"}, "cannot read the secret key /nonexistent/secretkey"),
        ({"ui_secret": ""}, "ui_secret is empty"),
    ],
)
def test_bad_input_fails_and_writes_nothing(capsys, installer, change, message):
    result = run(capsys, args(installer, **change))
    assert result["failed"] is True
    assert re.search(message, result["msg"]), result["msg"]
    assert not (installer[0] / "common" / "config").exists()


def test_pkcs8_key_fails_with_the_fix(capsys, installer, pkcs8_key):
    (installer[1] / "private_key.pem").write_text(pkcs8_key)
    result = run(capsys, args(installer))
    assert result["failed"] is True
    assert "openssl rsa -traditional" in result["msg"]
    assert not (installer[0] / "common" / "config").exists()


def test_secret_key_with_a_newline_fails(capsys, installer):
    (installer[1] / "secretkey").write_bytes(b"0123456789abcdef\n")
    result = run(capsys, args(installer))
    assert result["failed"] is True
    assert "exactly 16 bytes, it has 17" in result["msg"]


def test_documentation_describes_exactly_the_options():
    documented = yaml.safe_load(harbor_prepare.DOCUMENTATION)["options"]
    assert set(documented) == set(harbor_prepare.ARGUMENT_SPEC)
    for name, spec in harbor_prepare.ARGUMENT_SPEC.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("required", False) == spec.get("required", False), name
        assert documented[name].get("default") == spec.get("default"), name
    assert yaml.safe_load(harbor_prepare.EXAMPLES)
    assert set(yaml.safe_load(harbor_prepare.RETURN)) == {
        "config_dir",
        "changed_files",
        "removed_files",
        "ui_url",
    }
