"""node_restart restarts the engine or the share now where Harbor does not run, and records the
restart for Harbor's restart path where it does (issue 11, item 2)."""

import json
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import node_restart

# A systemctl that logs its arguments and says Harbor's unit is in the state of the file `state`.
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> "{log}"
case "$1" in
  show) cat "{state}" ;;
  restart) [ "$2" != "broken.service" ] || {{ echo "Job for broken.service failed." >&2; exit 1; }} ;;
esac
"""


@pytest.fixture
def systemctl(tmp_path, monkeypatch):
    """fake(state) puts a systemctl on PATH whose Harbor unit is in `state`; returns its call log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log, state_file = tmp_path / "systemctl.log", tmp_path / "state"
    script = bin_dir / "systemctl"
    script.write_text(FAKE_SYSTEMCTL.format(log=log, state=state_file))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")

    def fake(state):
        state_file.write_text(f"{state}\n")
        return log

    return fake


def run_module(capsys, tmp_path, check_mode=False, **args):
    args = {"record_dir": str(tmp_path / "pending")} | args
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        node_restart.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def calls(log):
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("state", ["active", "activating"])
def test_a_running_harbor_gets_the_restart_recorded(capsys, tmp_path, systemctl, state):
    log = systemctl(state)
    code, result = run_module(capsys, tmp_path, restart="engine", unit="docker.service")
    assert code == 0, result
    assert (result["changed"], result["restarted"], result["harbor_state"]) == (True, False, state)
    record = tmp_path / "pending" / "engine"
    assert result["record"] == str(record)
    assert record.read_text() == "docker.service\n"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert stat.S_IMODE(record.parent.stat().st_mode) == 0o700
    # Nothing restarted: only Harbor's state was asked.
    assert calls(log) == ["show harbor.service --property=ActiveState --value"]


def test_recording_again_changes_nothing(capsys, tmp_path, systemctl):
    systemctl("active")
    run_module(capsys, tmp_path, restart="share", unit="mnt-cephfs-harbor.mount")
    code, result = run_module(capsys, tmp_path, restart="share", unit="mnt-cephfs-harbor.mount")
    assert (code, result["changed"]) == (0, False)


@pytest.mark.parametrize("state", ["inactive", "failed"])
def test_without_a_running_harbor_the_unit_restarts_now(capsys, tmp_path, systemctl, state):
    log = systemctl(state)
    code, result = run_module(capsys, tmp_path, restart="engine", unit="docker.service")
    assert code == 0, result
    assert (result["changed"], result["restarted"], result["record"]) == (True, True, "")
    assert calls(log)[1:] == ["daemon-reload", "restart docker.service"]
    assert not (tmp_path / "pending").exists()


def test_harbors_own_restart_is_always_recorded(capsys, tmp_path, systemctl):
    log = systemctl("inactive")
    code, result = run_module(capsys, tmp_path, restart="harbor", unit="harbor.service")
    assert (code, result["restarted"]) == (0, False)
    assert (tmp_path / "pending" / "harbor").read_text() == "harbor.service\n"
    assert calls(log) == []


def test_check_mode_restarts_and_writes_nothing(capsys, tmp_path, systemctl):
    log = systemctl("inactive")
    code, result = run_module(capsys, tmp_path, check_mode=True, restart="engine", unit="docker.service")
    assert (code, result["changed"], result["restarted"]) == (0, True, True)
    systemctl("active")
    code, result = run_module(capsys, tmp_path, check_mode=True, restart="engine", unit="docker.service")
    assert (code, result["changed"], result["restarted"]) == (0, True, False)
    assert not (tmp_path / "pending").exists()
    assert all(call.startswith("show ") for call in calls(log))


def test_a_failed_restart_fails_with_systemds_words(capsys, tmp_path, systemctl):
    systemctl("inactive")
    code, result = run_module(capsys, tmp_path, restart="engine", unit="broken.service")
    assert code == 1
    assert result["msg"] == "restart broken.service: Job for broken.service failed."
