"""share_tree: a tree of directories with owner, group and mode, in one call."""

import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import share_tree

ME = str(os.getuid())
MY_GROUP = str(os.getgid())


def entry(path, mode="0755"):
    return {"path": path, "owner": ME, "group": MY_GROUP, "mode": mode}


def test_makes_parents_first_with_their_modes(tmp_path):
    changed = share_tree.apply(str(tmp_path), [entry("data"), entry("data/cert", "0700")], check_mode=False)
    assert changed == [str(tmp_path / "data"), str(tmp_path / "data" / "cert")]
    assert stat.S_IMODE((tmp_path / "data" / "cert").stat().st_mode) == 0o700


def test_second_run_changes_nothing(tmp_path):
    tree = [entry("data"), entry("data/registry")]
    share_tree.apply(str(tmp_path), tree, check_mode=False)
    assert share_tree.apply(str(tmp_path), tree, check_mode=False) == []


def test_a_changed_mode_is_fixed(tmp_path):
    (tmp_path / "log").mkdir(mode=0o777)
    (tmp_path / "log").chmod(0o777)
    assert share_tree.apply(str(tmp_path), [entry("log")], check_mode=False) == [str(tmp_path / "log")]
    assert stat.S_IMODE((tmp_path / "log").stat().st_mode) == 0o755


def test_check_mode_reports_and_makes_nothing(tmp_path):
    assert share_tree.apply(str(tmp_path), [entry("data")], check_mode=True) == [str(tmp_path / "data")]
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("path", ["../escape", "/etc", "data/../../x"])
def test_paths_leaving_the_root_are_refused(tmp_path, path):
    with pytest.raises(share_tree.TreeError, match="relative"):
        share_tree.apply(str(tmp_path), [entry(path)], check_mode=False)


def test_missing_root_is_refused_not_made(tmp_path):
    with pytest.raises(share_tree.TreeError, match="is not a directory"):
        share_tree.apply(str(tmp_path / "not-mounted"), [entry("data")], check_mode=False)
    assert not (tmp_path / "not-mounted").exists()


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "data").write_text("")
    with pytest.raises(share_tree.TreeError, match="is not a directory"):
        share_tree.apply(str(tmp_path), [entry("data")], check_mode=False)


@pytest.mark.parametrize(
    ("field", "value", "message"), [("owner", "no-such-user-x", "no user"), ("mode", "9x", "octal")]
)
def test_bad_owner_or_mode_is_named(tmp_path, field, value, message):
    with pytest.raises(share_tree.TreeError, match=message):
        share_tree.apply(str(tmp_path), [dict(entry("data"), **{field: value})], check_mode=False)


def test_module_reports_changed_paths(capsys, tmp_path):
    with (
        patch_module_args({"root": str(tmp_path), "directories": [entry("data")]}),
        pytest.raises(SystemExit),
    ):
        share_tree.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is True
    assert result["changed_paths"] == [str(tmp_path / "data")]


def test_a_directory_another_host_made_meanwhile_is_taken_as_made(tmp_path, monkeypatch):
    real_mkdir = os.mkdir

    def other_host_was_first(path, mode=0o777):
        real_mkdir(path, mode)
        raise FileExistsError(path)

    monkeypatch.setattr(share_tree.os, "mkdir", other_host_was_first)
    changed = share_tree.apply(str(tmp_path), [entry("data", "0750")], check_mode=False)
    assert changed == [str(tmp_path / "data")]
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o750


def test_a_file_made_meanwhile_in_place_of_a_directory_is_refused(tmp_path, monkeypatch):
    def other_host_made_a_file(path, mode=0o777):
        open(path, "w").close()
        raise FileExistsError(path)

    monkeypatch.setattr(share_tree.os, "mkdir", other_host_made_a_file)
    with pytest.raises(share_tree.TreeError, match="is not a directory"):
        share_tree.apply(str(tmp_path), [entry("data")], check_mode=False)


def test_an_unquoted_yaml_mode_reaches_the_module_as_an_int_and_is_used_as_is(capsys, tmp_path):
    """`mode: 0750` unquoted in a playbook is the int 488 (YAML 1.1): the directory gets 0750,
    not the octal digits of "488" (refused) or of "420" for 0644 (0o420)."""
    with (
        patch_module_args({"root": str(tmp_path), "directories": [entry("data", 0o750)]}),
        pytest.raises(SystemExit),
    ):
        share_tree.main()
    assert json.loads(capsys.readouterr().out)["changed"] is True
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o750
