"""deb_packages_info: what dpkg says is installed, so that apt runs only when it has work."""

import json

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import deb_packages_info as mod

# dpkg-query -W --showformat='${Package}\t${db:Status-Abbrev}\n' as Debian 12 prints it.
DPKG = (
    "ceph-common\tii \n"
    "docker-ce\tun \n"
    "docker.io\trc \n"
    "held\thi \n"
    "broken\tiF \n"
    "unpacked\tiU \n"
    "libfoo\tun \n"
    "libfoo\tii \n"
)


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("ceph-common", False),  # installed
        ("held", False),  # on hold, installed
        ("libfoo", False),  # installed in one of its architectures
        ("docker-ce", True),  # known, not installed
        ("docker.io", True),  # removed, its configuration files left
        ("broken", True),  # installed with the error flag: apt must repair it
        ("unpacked", True),  # unpacked, not configured
        ("never-seen", True),  # dpkg does not know it
        ("ceph-common=18.2.4", True),  # a version: apt decides
        ("ceph-common:amd64", True),  # an architecture
        ("ceph-common/bookworm", True),  # a release
        ("ceph*", True),  # a pattern
        ("Ceph-Common", True),  # not a Debian package name
    ],
)
def test_present_packages_are_missing_unless_dpkg_has_them_installed(name, missing):
    assert mod.decide([name], [], DPKG)[0] == ([name] if missing else [])


@pytest.mark.parametrize(
    ("name", "installed"),
    [
        ("ceph-common", True),
        ("unpacked", True),  # half there: apt removes it
        ("docker-ce", False),
        ("docker.io", False),  # only configuration files: apt state=absent leaves those
        ("never-seen", False),
        ("docker*", True),  # a pattern: apt decides
    ],
)
def test_absent_packages_are_installed_if_dpkg_has_any_trace_but_config_files(name, installed):
    assert mod.decide([], [name], DPKG)[1] == ([name] if installed else [])


def test_order_is_kept():
    assert mod.decide(["never-seen", "ceph-common", "docker-ce"], [], DPKG)[0] == ["never-seen", "docker-ce"]


def run(capsys, monkeypatch, args, answer=(1, DPKG, "dpkg-query: no packages found matching never-seen\n")):
    calls = []

    def run_command(self, argv, **kwargs):
        calls.append((argv, kwargs))
        return answer

    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False: f"/usr/bin/{name}")
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    with patch_module_args(args), pytest.raises(SystemExit):
        mod.main()
    return json.loads(capsys.readouterr().out), calls


def test_module_asks_dpkg_for_the_plain_names_once_and_changes_nothing(capsys, monkeypatch):
    result, calls = run(
        capsys, monkeypatch, {"present": ["ceph-common", "never-seen", "x=1"], "absent": ["docker-ce"]}
    )
    assert result["changed"] is False
    assert result["missing"] == ["never-seen", "x=1"]
    assert result["installed"] == []
    [(argv, kwargs)] = calls
    assert argv[:2] == ["/usr/bin/dpkg-query", "-W"]
    assert argv[-4:] == ["--", "ceph-common", "docker-ce", "never-seen"]
    assert kwargs["environ_update"] == {"LC_ALL": "C"}


def test_module_without_plain_names_runs_nothing(capsys, monkeypatch):
    result, calls = run(capsys, monkeypatch, {"present": ["redis*"]})
    assert calls == []
    assert result["missing"] == ["redis*"]


def test_a_dpkg_failure_fails_the_task(capsys, monkeypatch):
    result, _ = run(
        capsys, monkeypatch, {"present": ["ceph-common"]}, answer=(2, "", "dpkg: database locked")
    )
    assert result["failed"] is True
    assert "database locked" in result["msg"]


# systemctl show of docker.service, a unit that does not exist, and a disabled one (seen on a node).
SYSTEMCTL_SHOW = (
    "ActiveState=active\nUnitFileState=enabled\n\n"
    "ActiveState=inactive\nUnitFileState=\n\n"
    "ActiveState=active\nUnitFileState=disabled\n"
)


def test_unit_states_follow_the_order_of_the_units():
    units = ["docker.service", "nosuch.service", "haproxy.service"]
    assert mod.node_probe.unit_states(units, SYSTEMCTL_SHOW) == {
        "docker.service": {"active": "active", "enabled": "enabled", "up": True},
        "nosuch.service": {"active": "inactive", "enabled": "", "up": False},
        "haproxy.service": {"active": "active", "enabled": "disabled", "up": False},
    }
    with pytest.raises(ValueError, match="2 answers for 3 units"):
        mod.node_probe.unit_states(units, SYSTEMCTL_SHOW.rsplit("\n\n", 1)[0])


def test_module_reads_the_units_in_one_systemctl_call(capsys, monkeypatch):
    calls = []

    def run_command(self, argv, **kwargs):
        calls.append(argv)
        return (0, SYSTEMCTL_SHOW, "") if "systemctl" in argv[0] else (0, DPKG, "")

    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False: f"/usr/bin/{name}")
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    args = {"present": ["ceph-common"], "units": ["docker.service", "nosuch.service", "haproxy.service"]}
    with patch_module_args(args), pytest.raises(SystemExit):
        mod.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False
    assert result["units"]["docker.service"] == {"active": "active", "enabled": "enabled", "up": True}
    assert result["units"]["haproxy.service"]["enabled"] == "disabled"
    assert calls[-1] == [
        "/usr/bin/systemctl",
        "show",
        "--property=ActiveState,UnitFileState",
        "--",
        "docker.service",
        "nosuch.service",
        "haproxy.service",
    ]


def test_module_without_units_asks_systemd_nothing(capsys, monkeypatch):
    result, calls = run(capsys, monkeypatch, {"present": ["ceph-common"]})
    assert result["units"] == {}
    assert all("systemctl" not in argv[0] for argv, _ in calls)
