"""tools/testbed.py stops at once, saying which and what to do, when the machine cannot host it."""

from __future__ import annotations

import base64
import importlib.util
import itertools
import re
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


class FakeTimed:
    """testbed.TimedScenario's two stages, recorded in `ran`."""

    def __init__(self, ran: list[str], name: str) -> None:
        self.ran, self.name = ran, name

    def build(self) -> None:
        self.ran.append(f"{self.name} (build)")

    def tests(self) -> None:
        self.ran.append(f"{self.name} (tests)")


def test_test_runs_every_stage_and_reports_failure(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(testbed, "CACHE", tmp_path)
    ran: list[str] = []
    monkeypatch.setattr(testbed, "setup", lambda: ran.append("setup"))

    def lint():
        testbed.run(["echo", "output of lint"])
        ran.append("lint")

    def failing_unit():
        ran.append("unit")
        raise subprocess.CalledProcessError(1, ["pytest"])

    monkeypatch.setattr(testbed, "lint", lint)
    monkeypatch.setattr(testbed, "unit", failing_unit)
    monkeypatch.setattr(testbed, "sanity", lambda: ran.append("build and sanity"))
    monkeypatch.setattr(testbed, "scenario", ran.append)
    monkeypatch.setattr(testbed, "TimedScenario", lambda name: FakeTimed(ran, name))
    # A machine whose CPUs are half busy, 1 % waiting for I/O and 2 % stolen between any two readings.
    readings = itertools.count(1)
    shares = (50, 0, 0, 47, 1, 0, 0, 2)
    monkeypatch.setattr(testbed, "cpu_ticks", lambda: [n * t for n in [next(readings)] for t in shares])
    assert testbed.test(["smoke", "vip", "ha"]) == 1
    # Setup first; the timed scenarios' tests last, alone, in the given order, after every stage of
    # the lanes (which include the build of each timed scenario that builds in a lane).
    assert ran[0] == "setup"
    assert sorted(ran[1:6]) == ["build and sanity", "ha (build)", "lint", "smoke", "unit"]
    assert ran[6:] == ["vip", "ha (tests)"]
    out = capsys.readouterr().out
    assert "stage timings" in out
    assert re.search(r"unit +lane [12] .* FAILED", out)
    assert re.search(r"molecule vip +lane - .* ok +busy 50 %, iowait 1 %, steal 2 %\n", out)
    assert re.search(r"total \(wall clock\) +[\d.]+ s +busy 50 %, iowait 1 %, steal 2 %\n", out)
    # A lane's stage is printed whole, from the log it keeps.
    assert re.search(
        r"---- output of stage lint [^\n]*\n[^\n]*\n\[testbed\] \$ echo output of lint\noutput of lint\n", out
    )
    assert "output of lint" in (tmp_path / "ci" / "lint.log").read_text()
    assert (tmp_path / "ci" / "molecule-ha-build.log").exists()


def test_lanes_keep_the_order_and_balance_the_time(monkeypatch):
    monkeypatch.setattr(testbed, "STAGE_SECONDS", {"a": 500, "b": 100, "c": 300, "d": 250, "e": 50})
    stages = [(name, None) for name in "abcde"]
    lanes = [[name for name, _ in lane] for lane in testbed.lanes(stages)]
    assert sorted(name for lane in lanes for name in lane) == list("abcde")
    assert all(lane == sorted(lane) for lane in lanes)
    loads = [sum(testbed.STAGE_SECONDS[n] for n in lane) for lane in lanes]
    assert max(loads) - min(loads) <= 100


def timed_scenario(monkeypatch, name, fail=(), sequence=None):
    """A TimedScenario over a fake molecule that records each step and fails those in `fail`."""
    steps: list[str] = []

    def molecule(self, step):
        steps.append(step)
        if step in fail:
            raise subprocess.CalledProcessError(1, ["molecule", step])

    monkeypatch.setattr(testbed.TimedScenario, "molecule", molecule)
    sequence = sequence or [
        "destroy",
        "syntax",
        "create",
        "prepare",
        "converge",
        "idempotence",
        "verify",
        "destroy",
    ]
    monkeypatch.setattr(testbed, "molecule_sequence", lambda n: sequence)
    return testbed.TimedScenario(name), steps


def lock_is_free(name: str) -> bool:
    with open(f"/tmp/harbor-ha-scenario-{name}.lock", "w") as handle:
        try:
            testbed.fcntl.flock(handle, testbed.fcntl.LOCK_EX | testbed.fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def test_a_timed_scenario_builds_then_tests_holding_its_lock(monkeypatch):
    scenario, steps = timed_scenario(monkeypatch, "unit-timed-ok")
    scenario.build()
    assert steps == ["destroy", "syntax", "create", "prepare", "converge", "idempotence"]
    assert not lock_is_free("unit-timed-ok")
    scenario.tests()
    assert steps[6:] == ["verify", "destroy"]
    assert lock_is_free("unit-timed-ok")


def test_a_failed_test_of_a_timed_scenario_still_destroys_it(monkeypatch):
    scenario, steps = timed_scenario(monkeypatch, "unit-timed-verify", fail=("verify",))
    scenario.build()
    with pytest.raises(subprocess.CalledProcessError):
        scenario.tests()
    assert steps[6:] == ["verify", "destroy"]
    assert lock_is_free("unit-timed-verify")


def test_a_failed_build_destroys_and_its_tests_say_why_none_ran(monkeypatch):
    scenario, steps = timed_scenario(monkeypatch, "unit-timed-build", fail=("converge",))
    with pytest.raises(subprocess.CalledProcessError):
        scenario.build()
    assert steps == ["destroy", "syntax", "create", "prepare", "converge", "destroy"]
    assert lock_is_free("unit-timed-build")
    with pytest.raises(testbed.BedError, match="no test of unit-timed-build ran: its build stage failed"):
        scenario.tests()
    assert steps[-1] == "destroy" and "verify" not in steps


def test_a_scenario_with_a_check_step_is_refused_before_any_step_and_unlocked(monkeypatch):
    """vip's sequence: `molecule check` on its own ends in destroy, so verify would find no host."""
    sequence = ["destroy", "create", "converge", "idempotence", "check", "side_effect", "verify", "destroy"]
    scenario, steps = timed_scenario(monkeypatch, "unit-timed-check", sequence=sequence)
    with pytest.raises(testbed.BedError, match=r"unit-timed-check cannot build in a lane: .* check step"):
        scenario.build()
    assert steps == ["destroy"]
    assert lock_is_free("unit-timed-check")


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


def test_an_error_no_stage_expects_is_raised_whatever_the_other_lane_did(monkeypatch, tmp_path):
    monkeypatch.setattr(testbed, "CACHE", tmp_path)
    monkeypatch.setattr(testbed, "setup", lambda: None)

    def failing_lint():
        raise subprocess.CalledProcessError(1, ["ansible-lint"])

    def broken_unit():
        raise RuntimeError("a bug in the bed")

    monkeypatch.setattr(testbed, "lint", failing_lint)
    monkeypatch.setattr(testbed, "unit", broken_unit)
    monkeypatch.setattr(testbed, "sanity", lambda: None)
    # Lane 1: lint, which fails; lane 2: unit, which raises, then sanity.
    monkeypatch.setattr(testbed, "STAGE_SECONDS", {"lint": 100, "unit": 90, "build and sanity": 1})
    with pytest.raises(RuntimeError, match="a bug in the bed"):
        testbed.test([])


def test_cpu_share_says_what_the_cpus_did_between_two_readings(monkeypatch, tmp_path):
    stat = tmp_path / "stat"
    monkeypatch.setattr(testbed, "PROC_STAT", stat)
    # proc(5): cpu user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 50 0 25 400 5 0 0 20 0 0\n")
    before = testbed.cpu_ticks()
    assert before == [100, 0, 50, 800, 10, 0, 0, 40]
    # 1000 ticks later: 600 user, 100 nice, 100 system, 50 idle, 50 iowait, 100 steal.
    stat.write_text("cpu  700 100 150 850 60 0 0 140 0 0\n")
    assert testbed.cpu_share(before, testbed.cpu_ticks()) == "busy 80 %, iowait 5 %, steal 10 %"
    # No tick between the readings: nothing to say.
    assert testbed.cpu_share(before, before) == ""


@pytest.mark.parametrize("name", ["vip", "ha", "ha2"])
def test_molecule_sequence_is_what_molecule_runs_for_each_timed_scenario(name):
    """The scenario's own test_sequence, else the shared base's (vip sets none), as molecule merges
    them; read with the tool chain's python, as `test` does."""
    scenario = yaml.safe_load((testbed.ROOT / "molecule" / name / "molecule.yml").read_text())
    base = yaml.safe_load((testbed.ROOT / ".config" / "molecule" / "config.yml").read_text())
    expected = (scenario.get("scenario") or {}).get("test_sequence") or base["scenario"]["test_sequence"]
    assert testbed.molecule_sequence(name) == expected
    assert "verify" in expected and expected[-1] == "destroy"


def test_molecule_sequence_names_the_files_without_one(monkeypatch, tmp_path):
    (tmp_path / "molecule" / "bare").mkdir(parents=True)
    (tmp_path / "molecule" / "bare" / "molecule.yml").write_text("platforms: []\n")
    (tmp_path / ".config" / "molecule").mkdir(parents=True)
    (tmp_path / ".config" / "molecule" / "config.yml").write_text("driver: {name: docker}\n")
    monkeypatch.setattr(testbed, "ROOT", tmp_path)
    with pytest.raises(subprocess.CalledProcessError) as failed:
        testbed.molecule_sequence("bare")
    assert "no test_sequence in" in failed.value.stderr


def test_each_step_runs_as_molecule_names_its_command(monkeypatch):
    ran: list[list[str]] = []
    monkeypatch.setattr(testbed, "tool", ran.append)
    timed = testbed.TimedScenario("vip")
    for step in ("converge", "side_effect", "verify"):
        timed.molecule(step)
    assert ran == [["molecule", command, "-s", "vip"] for command in ("converge", "side-effect", "verify")]
