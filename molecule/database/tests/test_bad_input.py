"""Bad input fails before any change, and the message names the variable."""

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from bedhelpers import ANSI, ansible_playbook, recap

CONVERGE = "molecule/database/converge.yml"


@dataclass(frozen=True)
class Case:
    limit: str  # the play it reaches
    variable: str  # the name the message must give
    extra_vars: dict = field(default_factory=dict)
    removed: bool = False  # the variable is taken out of the inventory


CASES = {
    "admin password missing": Case("database-db", "mysql_admin_password", removed=True),
    "harbor password empty": Case("database-db", "mysql_harbor_password", {"mysql_harbor_password": ""}),
    "admin password upstream root123": Case(
        "database-db", "mysql_admin_password", {"mysql_admin_password": "root123"}
    ),
    "harbor password upstream Harbor12345": Case(
        "database-db", "mysql_harbor_password", {"mysql_harbor_password": "Harbor12345"}
    ),
    "database host not in the inventory": Case(
        "database-db", "mysql_host", {"mysql_host": "database-nowhere"}
    ),
    "database host not in the inventory, node play": Case(
        "database-client", "mysql_host", {"mysql_host": "database-nowhere"}
    ),
    "harbor password missing, node play": Case("database-client", "cluster_db_password", removed=True),
    "redis password missing": Case("database-redis", "cluster_redis_password", removed=True),
    "redis password empty": Case("database-redis", "redis_password", {"redis_password": ""}),
    "redis password upstream Harbor12345": Case(
        "database-redis", "redis_password", {"redis_password": "Harbor12345"}
    ),
    "redis password with a line break": Case(
        "database-redis", "redis_password", {"redis_password": "fixture\nbreak"}
    ),
    "database port out of range": Case("database-db", "mysql_port", {"cluster_db_port": 70000}),
    "redis maxmemory not a size": Case("database-redis", "redis_maxmemory", {"redis_maxmemory": "lots"}),
}


def inventory_without(tmp_path: Path, variable: str) -> Path:
    """A copy of the scenario's inventory whose group_vars lack `variable`."""
    source = Path(os.environ["MOLECULE_INVENTORY_FILE"])
    copy = tmp_path / "inventory"
    shutil.copytree(source.parent, copy)
    group_vars = copy / "group_vars" / "all"
    values = yaml.safe_load(group_vars.read_text())
    del values[variable]
    group_vars.write_text(yaml.safe_dump(values))
    return copy / source.name


def first_failure(stdout: str) -> tuple[str, str]:
    """The task whose failure stopped the run, and its failure line (fatal: or, in a loop, failed:)."""
    failure = re.search(r"^(?:fatal|failed): \[.*$", stdout, re.M)
    assert failure, stdout[-3000:]
    task = re.findall(r"^TASK \[(.+?)\]", stdout[: failure.start()], re.M)[-1]
    return task, failure.group(0)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_fails_before_any_change_naming_the_variable(tmp_path, monkeypatch, case):
    if case.removed:
        monkeypatch.setenv("MOLECULE_INVENTORY_FILE", str(inventory_without(tmp_path, case.variable)))
    result = ansible_playbook(CONVERGE, "--limit", case.limit, extra_vars=case.extra_vars)
    stdout = ANSI.sub("", result.stdout)
    assert result.returncode == 2, stdout[-3000:]
    task, failure = first_failure(stdout)
    assert case.variable in failure, failure
    assert "Validating arguments against arg spec" in task or " : Check " in task, task
    counts = recap(result)
    assert counts[case.limit]["failed"] == 1
    assert all(host["changed"] == 0 for host in counts.values()), counts
