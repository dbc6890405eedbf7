"""files_info: several paths looked at, and some files read, in one module run."""

import base64
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import files_info as mod


def run(capsys, paths):
    with patch_module_args({"paths": paths}), pytest.raises(SystemExit):
        mod.main()
    return json.loads(capsys.readouterr().out)


def test_each_path_is_answered_in_order_with_what_it_is(capsys, tmp_path):
    (tmp_path / "cfg").write_bytes(b"a=1\n")
    (tmp_path / "dir").mkdir()
    result = run(
        capsys,
        [
            {"path": str(tmp_path / "missing"), "read": True},
            {"path": str(tmp_path / "cfg")},
            {"path": str(tmp_path / "dir")},
        ],
    )
    assert result["changed"] is False
    missing, cfg, directory = result["files"]
    assert missing == {
        "path": str(tmp_path / "missing"),
        "exists": False,
        "isdir": False,
        "isreg": False,
        "size": 0,
        "mode": "",
        "uid": -1,
        "gid": -1,
    }
    assert (cfg["exists"], cfg["isreg"], cfg["isdir"], cfg["size"]) == (True, True, False, 4)
    assert "content" not in cfg
    assert (directory["exists"], directory["isdir"], directory["isreg"]) == (True, True, False)


def test_mode_and_owner_are_those_of_the_path(capsys, tmp_path):
    (tmp_path / "records").mkdir(mode=0o700)
    os.chmod(tmp_path / "records", 0o700)
    (tmp_path / "key").write_bytes(b"k")
    os.chmod(tmp_path / "key", 0o2640)
    records, key = run(capsys, [{"path": str(tmp_path / "records")}, {"path": str(tmp_path / "key")}])[
        "files"
    ]
    assert (records["mode"], key["mode"]) == ("0700", "2640")
    assert (records["uid"], records["gid"]) == (os.getuid(), os.getgid())
    assert (key["uid"], key["gid"]) == (os.stat(tmp_path / "key").st_uid, os.stat(tmp_path / "key").st_gid)


def test_a_file_asked_to_be_read_comes_back_base64_encoded_byte_for_byte(capsys, tmp_path):
    data = bytes(range(256)) + b"secret\n"
    (tmp_path / "key").write_bytes(data)
    [entry] = run(capsys, [{"path": str(tmp_path / "key"), "read": True}])["files"]
    assert base64.b64decode(entry["content"]) == data


def test_a_directory_asked_to_be_listed_gives_its_names_sorted(capsys, tmp_path):
    records = tmp_path / "pending"
    records.mkdir()
    for name in ("harbor", "engine", "share"):
        (records / name).touch()
    [entry] = run(capsys, [{"path": str(records), "list": True, "read": True}])["files"]
    assert entry["entries"] == ["engine", "harbor", "share"]
    assert "content" not in entry  # a directory is not read


def test_list_and_read_are_ignored_for_the_other_kind(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    [entry] = run(capsys, [{"path": str(tmp_path / "file"), "list": True}])["files"]
    assert "entries" not in entry


def test_a_link_is_followed_and_a_dangling_one_does_not_exist(capsys, tmp_path):
    (tmp_path / "target").write_text("value")
    os.symlink(tmp_path / "target", tmp_path / "link")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    link, dangling = run(
        capsys,
        [{"path": str(tmp_path / "link"), "read": True}, {"path": str(tmp_path / "dangling")}],
    )["files"]
    assert link["isreg"] and base64.b64decode(link["content"]) == b"value"
    assert dangling["exists"] is False


def test_a_file_that_cannot_be_read_fails_the_task_naming_it(capsys, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.write_text("x")

    def refuse(path, mode="r"):
        raise PermissionError(13, "Permission denied", str(path))

    # The tests may run as root, who reads any mode: the refusal is the kernel's answer, made here.
    monkeypatch.setattr(mod, "open", refuse, raising=False)
    result = run(capsys, [{"path": str(locked), "read": True}])
    assert result["failed"] is True
    assert result["msg"] == f"cannot read {locked}: Permission denied"


def test_a_relative_path_is_refused(capsys):
    result = run(capsys, [{"path": "etc/hostname"}])
    assert result["failed"] is True
    assert "absolute" in result["msg"]
