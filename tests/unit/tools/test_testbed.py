"""tools/testbed.py stops at once, saying which and what to do, when the machine cannot host it."""

from __future__ import annotations

import base64
import importlib.util
import struct
import subprocess
from pathlib import Path

import pytest
import yaml

SPEC = importlib.util.spec_from_file_location(
    "testbed", Path(__file__).resolve().parents[3] / "tools" / "testbed.py"
)
testbed = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(testbed)


def test_without_root_says_to_use_sudo(monkeypatch):
    monkeypatch.setattr(testbed.os, "geteuid", lambda: 1000)
    with pytest.raises(testbed.BedError, match=r"must run as root.*sudo"):
        testbed.require_root()


def test_unreachable_mirror_names_it_and_the_fix(monkeypatch):
    monkeypatch.setattr(testbed, "MIRROR", "http://127.0.0.1:9/debian")
    with pytest.raises(
        testbed.BedError, match=r"mirror http://127\.0\.0\.1:9/debian does not answer.*HARBOR_HA_MIRROR"
    ):
        testbed.require_mirror()


def test_docker_that_does_not_start_shows_its_log(monkeypatch, tmp_path):
    log = tmp_path / "dockerd.log"
    log.write_text("failed to start daemon: error initializing graphdriver\n")
    monkeypatch.setattr(testbed, "docker_ok", lambda: False)
    monkeypatch.setattr(testbed, "DOCKERD_LOG", log)
    monkeypatch.setattr(testbed, "systemd_is_init", lambda: False)
    monkeypatch.setattr(testbed.subprocess, "Popen", lambda *a, **kw: None)
    monkeypatch.setattr(testbed.time, "sleep", lambda s: None)
    with pytest.raises(
        testbed.BedError, match=r"did not start within 60 s(.|\n)*error initializing graphdriver"
    ):
        testbed.docker_engine()


def test_main_turns_bed_errors_into_exit_status_2(monkeypatch, capsys):
    def refuse():
        raise testbed.BedError("the test bed must run as root")

    monkeypatch.setattr(testbed, "setup", refuse)
    assert testbed.main(["setup"]) == 2
    assert "testbed: the test bed must run as root" in capsys.readouterr().err


def test_test_runs_every_stage_and_reports_failure(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(testbed, "setup", lambda: ran.append("setup"))
    monkeypatch.setattr(testbed, "lint", lambda: ran.append("lint"))

    def failing_unit():
        ran.append("unit")
        raise subprocess.CalledProcessError(1, ["pytest"])

    monkeypatch.setattr(testbed, "unit", failing_unit)
    monkeypatch.setattr(testbed, "sanity", lambda: ran.append("build and sanity"))
    monkeypatch.setattr(testbed, "scenario", ran.append)
    assert testbed.test(["smoke", "ha"]) == 1
    assert ran == ["setup", "lint", "unit", "build and sanity", "smoke", "ha"]
    out = capsys.readouterr().out
    assert "stage timings" in out
    assert "unit" in out and "FAILED" in out


def test_ceph_key_has_cephx_secret_form():
    key = testbed.ceph_key()
    raw = base64.b64decode(key)
    assert key.startswith("AQ") and len(key) == 40
    assert struct.unpack("<hiih", raw[:12])[0] == 1 and len(raw) == 28


def test_generated_passwords_suit_harbor_and_redis():
    password = testbed.password("Admin")
    assert "," not in password
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password) and len(password) >= 8


@pytest.mark.parametrize(
    ("name", "version", "db_admin"),
    [
        ("sandbox", "1.1.2", "vault_mysql_admin_password"),
        ("sandbox2", "2.15.2", "vault_postgresql_admin_password"),
    ],
)
def test_each_sandbox_gets_its_secrets_and_its_release_installer(
    monkeypatch, tmp_path, name, version, db_admin
):
    monkeypatch.setattr(testbed, "ROOT", tmp_path)
    monkeypatch.setattr(testbed, "CACHE", tmp_path / "cache")
    (tmp_path / "cache" / "installers").mkdir(parents=True)
    for release in ("1.1.2", "2.15.2"):
        tarball = tmp_path / "cache" / "installers" / f"harbor-offline-installer-v{release}.tgz"
        Path(f"{tarball}.sha256").write_text(f"{release.replace('.', '') * 8}  {tarball.name}\n")
    sandbox = testbed.SANDBOXES[name]
    sandbox.generated.parent.mkdir(parents=True)
    testbed.sandbox_settings(sandbox)
    first = sandbox.generated.read_text()
    assert f'{db_admin}: "db-admin-' in first
    assert f"harbor-offline-installer-v{version}.tgz" in first
    assert oct(sandbox.generated.stat().st_mode & 0o777) == "0o600"
    testbed.sandbox_settings(sandbox)
    assert sandbox.generated.read_text() == first  # secrets are made once
    assert testbed.installer_in_use(sandbox).startswith(f"the TEST installer of Harbor {version}")


def test_the_lab_image_installs_the_packages_of_the_lab_ceph_role():
    role = yaml.safe_load(testbed.LAB_CEPH_VARS.read_text())["_lab_ceph_packages"]
    assert testbed.lab_ceph_packages() == role
    assert " ".join(role) in testbed.LAB_DOCKERFILE.format(node=testbed.NODE_IMAGE, packages=" ".join(role))


def test_the_lab_packages_reader_names_the_file_when_the_list_is_gone(monkeypatch, tmp_path):
    vars_file = tmp_path / "main.yml"
    vars_file.write_text("---\n_lab_ceph_other:\n  - ceph-mon\n")
    monkeypatch.setattr(testbed, "LAB_CEPH_VARS", vars_file)
    with pytest.raises(testbed.BedError, match=str(vars_file)):
        testbed.lab_ceph_packages()
