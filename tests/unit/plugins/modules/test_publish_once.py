"""publish_once: one key set per cluster, whoever publishes first."""

import json
import multiprocessing
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import publish_once


def run_module(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        publish_once.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def stage(directory, content):
    directory.mkdir()
    (directory / "secret").write_text(content)
    return directory


def test_first_publisher_wins(capsys, tmp_path):
    staging = stage(tmp_path / "staging-a", "a")
    code, result = run_module(capsys, staging=str(staging), dest=str(tmp_path / "keys"))
    assert code == 0
    assert (result["changed"], result["published"]) == (True, True)
    assert (tmp_path / "keys" / "secret").read_text() == "a"
    assert not staging.exists()


def test_published_set_is_never_replaced(capsys, tmp_path):
    run_module(capsys, staging=str(stage(tmp_path / "staging-a", "a")), dest=str(tmp_path / "keys"))
    late = stage(tmp_path / "staging-b", "b")
    code, result = run_module(capsys, staging=str(late), dest=str(tmp_path / "keys"))
    assert code == 0
    assert (result["changed"], result["published"]) == (False, False)
    assert (tmp_path / "keys" / "secret").read_text() == "a"
    assert not late.exists()


def test_rerun_without_staging_is_a_no_op(capsys, tmp_path):
    run_module(capsys, staging=str(stage(tmp_path / "staging-a", "a")), dest=str(tmp_path / "keys"))
    code, result = run_module(capsys, staging=str(tmp_path / "staging-a"), dest=str(tmp_path / "keys"))
    assert (code, result["changed"]) == (0, False)


def test_empty_destination_directory_is_replaced(capsys, tmp_path):
    (tmp_path / "keys").mkdir()
    _, result = run_module(
        capsys, staging=str(stage(tmp_path / "staging-a", "a")), dest=str(tmp_path / "keys")
    )
    assert result["published"] is True
    assert (tmp_path / "keys" / "secret").read_text() == "a"


def test_check_mode_moves_nothing(capsys, tmp_path):
    staging = stage(tmp_path / "staging-a", "a")
    _, result = run_module(
        capsys, staging=str(staging), dest=str(tmp_path / "keys"), _ansible_check_mode=True
    )
    assert result["changed"] is True
    assert staging.exists()
    assert not (tmp_path / "keys").exists()


def test_missing_staging_fails_with_both_paths(capsys, tmp_path):
    code, result = run_module(capsys, staging=str(tmp_path / "nope"), dest=str(tmp_path / "keys"))
    assert code == 1
    assert str(tmp_path / "nope") in result["msg"]
    assert str(tmp_path / "keys") in result["msg"]


def _race(args):
    staging, dest, start = args
    start.wait()
    return publish_once.publish(staging, dest)


def test_concurrent_publishers_end_with_exactly_one_set(tmp_path):
    dest = tmp_path / "keys"
    contenders = 8
    stagings = [str(stage(tmp_path / f"staging-{i}", str(i))) for i in range(contenders)]
    with multiprocessing.Manager() as manager:
        start = manager.Event()
        with multiprocessing.Pool(contenders) as pool:
            pending = pool.map_async(_race, [(s, str(dest), start) for s in stagings])
            start.set()
            outcomes = pending.get(timeout=30)
    assert outcomes.count(True) == 1
    winner = outcomes.index(True)
    assert (dest / "secret").read_text() == str(winner)
    losers = [s for s, won in zip(stagings, outcomes, strict=True) if not won]
    assert all(os.path.isdir(s) for s in losers)  # the module, not publish(), removes them
