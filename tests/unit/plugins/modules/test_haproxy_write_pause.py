"""haproxy_write_pause pauses and reopens writes in the running HAProxy and in the ACL file that
a reload reads (issue 15: the write pause of a backup, usable on its own)."""

import json
import re

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import haproxy_write_pause


class FakeAcl:
    """HAProxy 2.6's answers to `show acl FILE`, `add acl FILE P` and `clear acl FILE` for one ACL
    loaded from `path` (entries shown as "0xID PATTERN"); any other file is unknown."""

    def __init__(self, path, entries=()):
        self.path, self.entries = str(path), list(entries)

    def respond(self, command):
        match = re.fullmatch(r"(show|add|clear) acl (\S+)(?: (\S+))?", command)
        if not match or match[2] != self.path:
            return "Unknown ACL identifier. Please use #<id> or <file>.\n"
        if match[1] == "show":
            return "".join(f"0x55d0{i:08x} {e}\n" for i, e in enumerate(self.entries)) + "\n"
        if match[1] == "add":
            self.entries.append(match[3])
        else:
            self.entries.clear()
        return "\n"


def run_module(capsys, tmp_path, acl_file, state, check_mode=False):
    args = {"socket": str(tmp_path / "admin.sock"), "acl_file": str(acl_file), "state": state}
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        haproxy_write_pause.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def acl_file(tmp_path):
    path = tmp_path / "write-pause.acl"
    path.write_text("")
    return path


def test_pause_sets_the_running_acl_and_the_file(capsys, tmp_path, admin_socket, acl_file):
    fake = FakeAcl(acl_file)
    server = admin_socket(fake.respond)
    code, result = run_module(capsys, tmp_path, acl_file, "paused")
    assert code == 0, result
    assert result["changed"] is True
    assert result["was_paused"] is False
    assert fake.entries == ["paused"]
    assert acl_file.read_text() == "paused\n"
    assert f"add acl {acl_file} paused" in server.commands


def test_pause_twice_changes_nothing(capsys, tmp_path, admin_socket, acl_file):
    acl_file.write_text("paused\n")
    fake = FakeAcl(acl_file, ["paused"])
    server = admin_socket(fake.respond)
    code, result = run_module(capsys, tmp_path, acl_file, "paused")
    assert (code, result["changed"], result["was_paused"]) == (0, False, True)
    assert [c for c in server.commands if not c.startswith("show")] == []


def test_a_reload_lost_pause_is_put_back_at_runtime(capsys, tmp_path, admin_socket, acl_file):
    """The file says paused but the running ACL is empty (HAProxy started from an older file)."""
    acl_file.write_text("paused\n")
    fake = FakeAcl(acl_file)
    admin_socket(fake.respond)
    code, result = run_module(capsys, tmp_path, acl_file, "paused")
    assert (code, result["changed"]) == (0, True)
    assert fake.entries == ["paused"]


def test_open_clears_both(capsys, tmp_path, admin_socket, acl_file):
    acl_file.write_text("paused\n")
    fake = FakeAcl(acl_file, ["paused"])
    admin_socket(fake.respond)
    code, result = run_module(capsys, tmp_path, acl_file, "open")
    assert (code, result["changed"], result["was_paused"]) == (0, True, True)
    assert fake.entries == []
    assert acl_file.read_text() == ""


def test_check_mode_changes_nothing(capsys, tmp_path, admin_socket, acl_file):
    fake = FakeAcl(acl_file)
    server = admin_socket(fake.respond)
    code, result = run_module(capsys, tmp_path, acl_file, "paused", check_mode=True)
    assert (code, result["changed"]) == (0, True)
    assert fake.entries == []
    assert acl_file.read_text() == ""
    assert all(c.startswith("show") for c in server.commands)


def test_a_configuration_without_the_acl_is_named(capsys, tmp_path, admin_socket, acl_file):
    admin_socket(FakeAcl(tmp_path / "other.acl").respond)
    code, result = run_module(capsys, tmp_path, acl_file, "paused")
    assert code == 1
    assert "no ACL loaded from" in result["msg"] and "loadbalancer role" in result["msg"]
    assert acl_file.read_text() == ""
