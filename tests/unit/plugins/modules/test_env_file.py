"""The env_file module: idempotent writes, check mode, diff, file attributes."""

import json
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import env_file


def run_module(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        env_file.main()
    result = json.loads(capsys.readouterr().out)
    return exc.value.code, result


@pytest.fixture
def env(tmp_path):
    path = tmp_path / "env"
    path.write_text("MYSQL_HOST=mysql\nRESET=false\n")
    path.chmod(0o644)
    return path


def test_sets_keys_and_reports_their_names_only(capsys, env):
    code, result = run_module(
        capsys, path=str(env), values={"MYSQL_HOST": "10.0.0.5"}, secret_values={"MYSQL_PWD": "s3cret"}
    )
    assert code == 0
    assert result["changed"] is True
    assert result["changed_keys"] == ["MYSQL_HOST", "MYSQL_PWD"]
    assert "s3cret" not in json.dumps(result)
    assert env.read_text() == "MYSQL_HOST=10.0.0.5\nRESET=false\nMYSQL_PWD=s3cret\n"


def test_second_run_changes_nothing(capsys, env):
    run_module(capsys, path=str(env), values={"RESET": "true"})
    code, result = run_module(capsys, path=str(env), values={"RESET": "true"})
    assert code == 0
    assert result["changed"] is False


def test_check_mode_reports_without_writing(capsys, env):
    before = env.read_text()
    _, result = run_module(capsys, path=str(env), values={"RESET": "true"}, _ansible_check_mode=True)
    assert result["changed"] is True
    assert env.read_text() == before


def test_diff_mode_shows_before_and_after(capsys, env):
    _, result = run_module(capsys, path=str(env), values={"RESET": "true"}, _ansible_diff=True)
    assert result["diff"]["before"] == "MYSQL_HOST=mysql\nRESET=false\n"
    assert result["diff"]["after"] == "MYSQL_HOST=mysql\nRESET=true\n"


def test_mode_is_applied_even_without_content_change(capsys, env):
    _, result = run_module(capsys, path=str(env), values={"RESET": "false"}, mode="0600")
    assert result["changed"] is True
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_new_content_is_written_with_the_requested_mode(capsys, env):
    run_module(capsys, path=str(env), values={"MYSQL_PWD": "x"}, mode="0640")
    assert stat.S_IMODE(env.stat().st_mode) == 0o640


def test_missing_file_fails_unless_create(capsys, tmp_path):
    code, result = run_module(capsys, path=str(tmp_path / "nope"), values={"A": "1"})
    assert code == 1
    assert "does not exist" in result["msg"]
    code, result = run_module(capsys, path=str(tmp_path / "new"), values={"A": "1"}, create=True)
    assert (code, result["changed"]) == (0, True)
    assert (tmp_path / "new").read_text() == "A=1\n"


def test_invalid_key_fails_with_the_path(capsys, env):
    code, result = run_module(capsys, path=str(env), values={"NOT VALID": "1"})
    assert code == 1
    assert str(env) in result["msg"]


def test_secret_values_are_masked_in_the_diff(capsys, env):
    _, result = run_module(capsys, path=str(env), secret_values={"MYSQL_PWD": "s3cret"}, _ansible_diff=True)
    assert env.read_text().endswith("MYSQL_PWD=s3cret\n")
    assert "s3cret" not in json.dumps(result)
    assert "MYSQL_PWD=" in result["diff"]["after"]


def test_a_rotated_secret_shows_neither_value(capsys, env):
    run_module(capsys, path=str(env), secret_values={"MYSQL_PWD": "old-Secret-1"})
    _, result = run_module(
        capsys, path=str(env), secret_values={"MYSQL_PWD": "new-Secret-2"}, _ansible_diff=True
    )
    assert result["changed"] is True
    output = json.dumps(result)
    assert "old-Secret-1" not in output
    assert "new-Secret-2" not in output
    assert "MYSQL_PWD=********" in result["diff"]["before"]
    assert "MYSQL_HOST=mysql" in result["diff"]["before"]


def test_a_key_cannot_be_both_plain_and_secret(capsys, env):
    code, result = run_module(capsys, path=str(env), values={"A": "1"}, secret_values={"A": "2"})
    assert code == 1
    assert "['A']" in result["msg"]


@pytest.fixture
def two(tmp_path):
    first, second = tmp_path / "adminserver.env", tmp_path / "ui.env"
    first.write_text("MYSQL_HOST=mysql\nRESET=false\n")
    second.write_text("UI_SECRET=$ui_secret\n")
    for path in (first, second):
        path.chmod(0o644)
    return first, second


def test_files_edits_each_file_with_its_own_keys_in_one_run(capsys, two):
    first, second = two
    code, result = run_module(
        capsys,
        files=[
            {"path": str(first), "values": {"RESET": "true"}, "absent": ["MYSQL_HOST"]},
            {"path": str(second), "secret_values": {"_REDIS_URL": "redis:6379,100,s3cret"}},
        ],
        mode="0600",
    )
    assert code == 0
    assert result["changed"] is True
    assert result["files"] == {str(first): ["MYSQL_HOST", "RESET"], str(second): ["_REDIS_URL"]}
    assert result["changed_keys"] == ["MYSQL_HOST", "RESET", "_REDIS_URL"]
    assert "s3cret" not in json.dumps(result)
    assert first.read_text() == "RESET=true\n"
    assert second.read_text() == "UI_SECRET=$ui_secret\n_REDIS_URL=redis:6379,100,s3cret\n"
    assert [stat.S_IMODE(path.stat().st_mode) for path in two] == [0o600, 0o600]


def test_files_second_run_changes_nothing(capsys, two):
    first, second = two
    files = [{"path": str(first), "values": {"RESET": "true"}}, {"path": str(second), "values": {"A": "1"}}]
    run_module(capsys, files=files)
    code, result = run_module(capsys, files=files)
    assert (code, result["changed"], result["changed_keys"]) == (0, False, [])


def test_files_mode_alone_on_one_file_is_a_change(capsys, two):
    first, second = two
    second.chmod(0o600)
    files = [{"path": str(first), "values": {"RESET": "false"}}, {"path": str(second)}]
    _, result = run_module(capsys, files=files, mode="0600")
    assert result["changed"] is True
    assert result["changed_keys"] == []
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_files_check_mode_writes_nothing_and_diffs_each_changed_file(capsys, two):
    first, second = two
    before = [path.read_text() for path in two]
    _, result = run_module(
        capsys,
        files=[
            {"path": str(first), "values": {"RESET": "true"}},
            {"path": str(second), "secret_values": {"UI_SECRET": "n3w"}},
        ],
        _ansible_check_mode=True,
        _ansible_diff=True,
    )
    assert result["changed"] is True
    assert [path.read_text() for path in two] == before
    assert [diff["after_header"] for diff in result["diff"]] == [str(first), str(second)]
    assert result["diff"][0]["after"] == "MYSQL_HOST=mysql\nRESET=true\n"
    assert "n3w" not in json.dumps(result)


def test_files_a_bad_entry_stops_before_any_file_is_written(capsys, two, tmp_path):
    first, _ = two
    before = first.read_text()
    code, result = run_module(
        capsys,
        files=[
            {"path": str(first), "values": {"RESET": "true"}},
            {"path": str(tmp_path / "nope"), "values": {"A": "1"}},
        ],
    )
    assert code == 1
    assert "nope does not exist" in result["msg"]
    assert first.read_text() == before


def test_files_refuses_a_file_given_twice(capsys, two):
    first, _ = two
    code, result = run_module(
        capsys, files=[{"path": str(first), "values": {"A": "1"}}, {"path": str(first), "values": {"B": "2"}}]
    )
    assert code == 1
    assert "more than once" in result["msg"]
    assert first.read_text() == "MYSQL_HOST=mysql\nRESET=false\n"


@pytest.mark.parametrize("extra", [{"path": "/tmp/x"}, {"values": {"A": "1"}}, {"absent": ["A"]}])
def test_files_excludes_the_single_file_options(capsys, two, extra):
    first, _ = two
    code, result = run_module(capsys, files=[{"path": str(first)}], **extra)
    assert code == 1
    assert "mutually exclusive" in result["msg"]


def test_path_or_files_is_required(capsys):
    code, result = run_module(capsys, values={"A": "1"})
    assert code == 1
    assert "path" in result["msg"] and "files" in result["msg"]
