"""tools/bench.py reads the per-role times out of profile_roles' recap, and its lines."""

import importlib.util
import os
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "tools" / "bench.py"
SPEC = importlib.util.spec_from_file_location("bench", BENCH)
_env = dict(os.environ)
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)
# bench.py picks its topology through the environment at import: leave the unit tests' alone.
os.environ.clear()
os.environ.update(_env)

RECAP = """\
TASK [harbor_ha.cluster.harbor : Read this node's state] ***********************
ok: [bench-harbor1]

ROLES RECAP ********************************************************************
Friday 27 November 2026  16:02:11 +0000 (0:00:01.002)       0:02:38.512 *******
===============================================================================
harbor ----------------------------------------------------------------- 70.12s
cephfs_client ---------------------------------------------------------- 31.40s
gather_facts ------------------------------------------------------------ 3.10s
ansible.builtin.include_role -------------------------------------------- 1.20s
ansible.builtin.assert -------------------------------------------------- 0.40s
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
total ------------------------------------------------------------------ 106.22s
"""


def test_roles_are_kept_and_the_rest_is_one_row_without_the_total():
    times = bench.role_times(RECAP)
    plays = "(plays' own tasks: facts, preflight)"
    assert set(times) == {"harbor", "cephfs_client", plays}
    assert times["harbor"] == 70.12
    assert round(times[plays], 2) == 4.70


def test_only_the_last_recap_counts():
    assert bench.role_times("ROLES RECAP\nharbor ---- 1.00s\n" + RECAP)["harbor"] == 70.12


def test_each_line_gets_the_bench_hosts_with_its_sandbox_settings(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "WORK", tmp_path)
    import yaml  # noqa: PLC0415

    for line, admin in (("1.1", "mysql_admin_password"), ("2.x", "postgresql_admin_password")):
        target = bench.inventory(4, line)
        hosts = yaml.safe_load((target / "hosts.yml").read_text())["all"]["children"]
        assert set(hosts["harbor_nodes"]["hosts"]) == {f"bench-harbor{n}" for n in range(1, 5)}
        assert set(hosts["harbor_db"]["hosts"]) == {"bench-db"}
        settings = yaml.safe_load((target / "group_vars" / "all" / "main.yml").read_text())
        assert admin in settings
        assert settings["cluster_name"] == "bench-lb"
        assert settings["cephfs_client_monitors"] == ["10.201.20.10"]


def test_an_unknown_line_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit, match=r"no Harbor line 3\.0; the lines are 1\.1, 2\.x"):
        bench.main(["1.1", "3.0"])
    assert "[bench]" not in capsys.readouterr().out
