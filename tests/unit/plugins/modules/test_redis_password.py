"""redis_password: a rotation adds the new password beside the old one, at runtime and in the
file of the next start, and its end drops the old one; the file reads back as Redis reads it."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.module_utils import redis_protocol as rp
from ansible_collections.harbor_ha.cluster.plugins.modules import redis_password
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.redis_fake import FakeRedis


def run_module(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        redis_password.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def server():
    fake = FakeRedis(passwords=("old pw",))
    yield fake
    fake.close()


def users_line(path) -> list[str]:
    return next(rp.split_args(line) for line in path.read_text().splitlines() if line.startswith("user "))


def test_a_new_password_is_added_and_the_old_one_kept(capsys, server, tmp_path):
    path = tmp_path / "users.conf"
    path.write_text(redis_password.render("old pw", []))
    code, result = run_module(capsys, password="new pw", path=str(path), port=server.port, mode="0640")
    assert code == 0, result
    assert result["changed"] and result["runtime_changed"] and result["file_changed"]
    assert result["previous"] == 1
    assert server.digests == {rp.password_digest("new pw"), rp.password_digest("old pw")}
    assert users_line(path) == [
        "user",
        "default",
        "on",
        "sanitize-payload",
        "~*",
        "&*",
        "+@all",
        ">new pw",
        "#" + rp.password_digest("old pw"),
    ]
    assert path.stat().st_mode & 0o777 == 0o640
    # It logged in with the old password, found in its file: the new one was not in force yet.
    assert ["AUTH", "old pw"] in server.commands


def test_nothing_changes_while_the_rotation_is_under_way(capsys, server, tmp_path):
    path = tmp_path / "users.conf"
    path.write_text(redis_password.render("old pw", []))
    run_module(capsys, password="new pw", path=str(path), port=server.port)
    commands = len(server.commands)
    _, again = run_module(capsys, password="new pw", path=str(path), port=server.port)
    assert again["changed"] is False
    assert not any(command[:2] == ["ACL", "SETUSER"] for command in server.commands[commands:])


def test_the_end_of_a_rotation_drops_the_old_one(capsys, server, tmp_path):
    path = tmp_path / "users.conf"
    path.write_text(redis_password.render("old pw", []))
    run_module(capsys, password="new pw", path=str(path), port=server.port)
    _, result = run_module(capsys, password="new pw", previous="drop", path=str(path), port=server.port)
    assert result["changed"] and result["runtime_changed"]
    assert result["previous"] == 0
    assert server.digests == {rp.password_digest("new pw")}
    assert users_line(path)[-1] == ">new pw"
    _, again = run_module(capsys, password="new pw", previous="drop", path=str(path), port=server.port)
    assert again["changed"] is False


def test_check_mode_says_what_would_change_and_changes_nothing(capsys, server, tmp_path):
    path = tmp_path / "users.conf"
    path.write_text(redis_password.render("old pw", []))
    before = path.read_text()
    _, result = run_module(
        capsys, password="new pw", path=str(path), port=server.port, _ansible_check_mode=True
    )
    assert result["changed"] and result["runtime_changed"] and result["file_changed"]
    assert server.digests == {rp.password_digest("old pw")}
    assert path.read_text() == before


def test_a_fresh_server_without_a_password_gets_one(capsys, tmp_path):
    fresh = FakeRedis()
    try:
        _, result = run_module(capsys, password="new pw", path=str(tmp_path / "users.conf"), port=fresh.port)
    finally:
        fresh.close()
    assert result["runtime_changed"] and result["previous"] == 0
    assert fresh.digests == {rp.password_digest("new pw")}


def test_the_requirepass_of_an_older_configuration_logs_in(capsys, server, tmp_path):
    config = tmp_path / "redis.conf"
    config.write_text('port 6379\nrequirepass "old pw"\n')
    _, result = run_module(
        capsys,
        password="new pw",
        path=str(tmp_path / "users.conf"),
        config_file=str(config),
        port=server.port,
    )
    assert result["runtime_changed"] and result["previous"] == 1


def test_a_server_that_refuses_every_known_password_fails_the_task(capsys, server, tmp_path):
    code, result = run_module(capsys, password="new pw", path=str(tmp_path / "users.conf"), port=server.port)
    assert code == 1
    assert "accepts none of the passwords" in result["msg"]
    assert "new pw" not in json.dumps(result)


def test_without_a_running_server_only_the_file_is_written(capsys, tmp_path):
    gone = FakeRedis()
    port = gone.port
    gone.close()
    path = tmp_path / "users.conf"
    path.write_text(redis_password.render("old pw", []))
    _, result = run_module(capsys, password="new pw", path=str(path), port=port)
    assert (result["running"], result["runtime_changed"], result["file_changed"]) == (False, False, True)
    assert users_line(path)[-2:] == [">new pw", "#" + rp.password_digest("old pw")]


def test_a_line_break_is_refused(capsys, tmp_path):
    code, result = run_module(capsys, password="a\nb", path=str(tmp_path / "users.conf"))
    assert code == 1
    assert "line break" in result["msg"]
