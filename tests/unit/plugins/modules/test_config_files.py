"""The config_files module: one call for many files, idempotent, check mode, diff, secrets kept out."""

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import config_files


def run_module(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        config_files.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def mode_of(path):
    return os.stat(path).st_mode & 0o7777


def test_writes_directories_files_and_removals_in_one_call(capsys, tmp_path):
    stale = tmp_path / "stale"
    stale.write_text("old")
    args = {
        "directories": [{"path": str(tmp_path / "a" / "b"), "mode": "0750"}],
        "files": [{"path": str(tmp_path / "a" / "b" / "unit"), "content": "[Unit]\n", "mode": "0644"}],
        "secret_files": [{"path": str(tmp_path / "key"), "content": "s3cret\n", "mode": "0600"}],
        "absent": [str(stale)],
    }
    code, result = run_module(capsys, **args)
    assert code == 0
    assert result["changed"] is True
    assert result["changed_files"] == [
        str(tmp_path / "a" / "b"),
        str(tmp_path / "a" / "b" / "unit"),
        str(tmp_path / "key"),
        str(stale),
    ]
    assert (tmp_path / "a" / "b" / "unit").read_text() == "[Unit]\n"
    assert mode_of(tmp_path / "a" / "b") == 0o750
    assert mode_of(tmp_path / "a" / "b" / "unit") == 0o644
    assert (tmp_path / "key").read_text() == "s3cret\n"
    assert mode_of(tmp_path / "key") == 0o600
    assert not stale.exists()
    assert "s3cret" not in json.dumps(result)


def test_second_run_changes_nothing_and_does_not_rewrite(capsys, tmp_path):
    path = tmp_path / "conf"
    args = {"files": [{"path": str(path), "content": "x = 1\n", "mode": "0644"}]}
    run_module(capsys, **args)
    inode = path.stat().st_ino
    code, result = run_module(capsys, **args)
    assert (code, result["changed"], result["changed_files"]) == (0, False, [])
    assert path.stat().st_ino == inode


def test_a_content_change_replaces_the_file_atomically_keeping_its_mode(capsys, tmp_path):
    path = tmp_path / "conf"
    path.write_text("x = 1\n")
    path.chmod(0o640)
    inode = path.stat().st_ino
    _, result = run_module(capsys, files=[{"path": str(path), "content": "x = 2\n"}])
    assert result["changed_files"] == [str(path)]
    assert path.read_text() == "x = 2\n"
    assert path.stat().st_ino != inode
    assert mode_of(path) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["conf"]


def test_a_mode_change_alone_is_a_change(capsys, tmp_path):
    path = tmp_path / "conf"
    path.write_text("x\n")
    path.chmod(0o644)
    _, result = run_module(capsys, files=[{"path": str(path), "content": "x\n", "mode": "0600"}])
    assert result["changed_files"] == [str(path)]
    assert mode_of(path) == 0o600


def test_src_copies_a_file_of_the_node(capsys, tmp_path):
    src = tmp_path / "share-secretkey"
    src.write_bytes(b"0123456789abcdef")
    dest = tmp_path / "secretkey"
    _, result = run_module(capsys, secret_files=[{"path": str(dest), "src": str(src), "mode": "0600"}])
    assert result["changed"] is True
    assert dest.read_bytes() == b"0123456789abcdef"
    _, again = run_module(capsys, secret_files=[{"path": str(dest), "src": str(src), "mode": "0600"}])
    assert again["changed"] is False


NGINX = (
    "location / {\n"
    "    proxy_set_header X-Forwarded-For $$proxy_add_x_forwarded_for;\n"
    "    proxy_set_header X-Forwarded-Proto $$scheme;\n"
    "    proxy_buffering off;\n"
    "}\n"
    "location /v2/ {\n"
    "  proxy_set_header X-Forwarded-Proto $$scheme;\n"
    "}\n"
)
DROP = r"^\s*proxy_set_header X-Forwarded-Proto \$\$scheme;"


def test_drop_lines_removes_lines_of_a_file_in_place_once(capsys, tmp_path):
    conf = tmp_path / "nginx.http.conf"
    conf.write_text(NGINX)
    entry = {"path": str(conf), "src": str(conf), "drop_lines": DROP, "mode": "0644"}
    code, result = run_module(capsys, files=[entry], _ansible_diff=True)
    assert (code, result["changed_files"]) == (0, [str(conf)])
    assert conf.read_text() == NGINX.replace(
        "    proxy_set_header X-Forwarded-Proto $$scheme;\n", ""
    ).replace("  proxy_set_header X-Forwarded-Proto $$scheme;\n", "")
    assert "X-Forwarded-For" in conf.read_text()
    # The file is its own src: its lines are no secret, the diff shows what went.
    assert result["diff"][0]["before"] == NGINX
    assert "X-Forwarded-Proto" not in result["diff"][0]["after"]
    _, again = run_module(capsys, files=[entry])
    assert again["changed"] is False


def test_drop_lines_applies_to_content_and_in_check_mode_writes_nothing(capsys, tmp_path):
    conf = tmp_path / "nginx.http.conf"
    conf.write_text(NGINX)
    entry = {"path": str(conf), "src": str(conf), "drop_lines": DROP}
    _, result = run_module(capsys, files=[entry], _ansible_check_mode=True)
    assert result["changed_files"] == [str(conf)]
    assert conf.read_text() == NGINX
    other = tmp_path / "other"
    run_module(
        capsys, files=[{"path": str(other), "content": "keep\ndrop me\r\nkeep too", "drop_lines": "^drop"}]
    )
    assert other.read_text() == "keep\nkeep too"


def test_drop_lines_refuses_a_bad_expression_naming_the_file(capsys, tmp_path):
    conf = tmp_path / "conf"
    conf.write_text("x\n")
    code, result = run_module(
        capsys, files=[{"path": str(conf), "src": str(conf), "drop_lines": "(unclosed"}]
    )
    assert code == 1
    assert f"{conf}: drop_lines is not a regular expression" in result["msg"]
    assert conf.read_text() == "x\n"


def test_check_mode_reports_without_writing(capsys, tmp_path):
    path = tmp_path / "new" / "conf"
    stale = tmp_path / "stale"
    stale.write_text("x")
    _, result = run_module(
        capsys,
        directories=[{"path": str(tmp_path / "new")}],
        files=[{"path": str(path), "content": "x\n"}],
        absent=[str(stale)],
        _ansible_check_mode=True,
    )
    assert result["changed_files"] == [str(tmp_path / "new"), str(path), str(stale)]
    assert not (tmp_path / "new").exists()
    assert stale.exists()


def test_diff_shows_plain_files_and_hides_secrets(capsys, tmp_path):
    plain, secret = tmp_path / "plain", tmp_path / "secret"
    plain.write_text("port = 80\n")
    secret.write_text("password = old-pass\n")
    _, result = run_module(
        capsys,
        files=[{"path": str(plain), "content": "port = 8080\n"}],
        secret_files=[{"path": str(secret), "content": "password = new-pass\n"}],
        _ansible_diff=True,
    )
    plain_diff, secret_diff = result["diff"]
    assert (plain_diff["before"], plain_diff["after"]) == ("port = 80\n", "port = 8080\n")
    assert secret_diff["before_header"] == str(secret)
    assert "pass" not in secret_diff["before"] + secret_diff["after"]
    assert "new-pass" not in json.dumps(result)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"content": "x", "src": "/etc/hostname"}, "exactly one of content and src"),
        ({}, "exactly one of content and src"),
        ({"src": "/nonexistent/secretkey"}, "cannot read its src /nonexistent/secretkey"),
        ({"content": "x", "mode": "rw-r--r--"}, "is not an octal number"),
        ({"content": "x", "owner": "no-such-user-here"}, "no such user or group"),
    ],
)
def test_bad_entries_fail_naming_the_file(capsys, tmp_path, entry, message):
    path = tmp_path / "conf"
    code, result = run_module(capsys, files=[{"path": str(path), **entry}])
    assert code == 1
    assert str(path) in result["msg"]
    assert message in result["msg"]
    assert not path.exists()


def test_a_missing_directory_fails_unless_listed(capsys, tmp_path):
    code, result = run_module(capsys, files=[{"path": str(tmp_path / "none" / "conf"), "content": "x"}])
    assert code == 1
    assert f"its directory {tmp_path / 'none'} does not exist" in result["msg"]


def test_absent_refuses_a_directory(capsys, tmp_path):
    code, result = run_module(capsys, absent=[str(tmp_path)])
    assert code == 1
    assert "absent removes files only" in result["msg"]
    assert tmp_path.is_dir()


def test_check_mode_reads_files_in_a_directory_whose_mode_alone_changes(capsys, tmp_path):
    folder = tmp_path / "conf.d"
    folder.mkdir(mode=0o700)
    (folder / "a.conf").write_text("a\n")
    _, result = run_module(
        capsys,
        directories=[{"path": str(folder), "mode": "0755"}],
        files=[{"path": str(folder / "a.conf"), "content": "a\n"}],
        _ansible_check_mode=True,
    )
    assert result["changed_files"] == [str(folder)]


def test_force_false_writes_a_missing_file_and_leaves_an_existing_one(capsys, tmp_path):
    path = tmp_path / "acl"
    args = {"files": [{"path": str(path), "content": "", "mode": "0644", "force": False}]}
    code, result = run_module(capsys, **args)
    assert (code, result["changed_files"]) == (0, [str(path)])
    assert path.read_text() == "" and mode_of(path) == 0o644
    # What another module wrote there since (the write pause's ACL), content and mode, stays.
    path.write_text("paused\n")
    path.chmod(0o600)
    code, result = run_module(capsys, **args)
    assert (code, result["changed"]) == (0, False)
    assert path.read_text() == "paused\n" and mode_of(path) == 0o600


def test_validate_checks_the_new_content_before_it_replaces_the_file(capsys, tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text("good\n")
    # The command sees the new content at %s: it refuses a file that holds "bad".
    check = "sh -c '! grep -q bad %s'"
    code, result = run_module(capsys, files=[{"path": str(path), "content": "good too\n", "validate": check}])
    assert (code, result["changed_files"]) == (0, [str(path)])
    assert path.read_text() == "good too\n"
    code, result = run_module(capsys, files=[{"path": str(path), "content": "bad\n", "validate": check}])
    assert code == 1
    assert "failed its validate command (rc 1), the file is unchanged" in result["msg"]
    assert path.read_text() == "good too\n"
    assert [p.name for p in tmp_path.iterdir()] == ["haproxy.cfg"]  # no temporary file left


def test_validate_runs_only_on_a_change_and_hides_a_secret_files_output(capsys, tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text("s3cret\n")
    failing = "sh -c 'cat %s; exit 3'"
    code, result = run_module(
        capsys, secret_files=[{"path": str(path), "content": "s3cret\n", "validate": failing}]
    )
    assert (code, result["changed"]) == (0, False)
    code, result = run_module(
        capsys, secret_files=[{"path": str(path), "content": "n3w\n", "validate": failing}]
    )
    assert code == 1 and "(rc 3)" in result["msg"]
    assert "n3w" not in json.dumps(result) and "output not shown" in result["msg"]
    code, result = run_module(capsys, files=[{"path": str(path), "content": "x\n", "validate": "true"}])
    assert code == 1 and "validate must hold %s" in result["msg"]
