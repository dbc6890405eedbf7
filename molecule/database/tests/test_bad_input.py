"""Bad input fails before any change, and the message names the variable. The cases run at once
(none may change anything, which is what is tested)."""

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from bedhelpers import ANSI, ansible_playbook, inventory_copy, recap

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


def first_failure(stdout: str) -> tuple[str, str]:
    """The task whose failure stopped the run, and its failure line (fatal: or, in a loop, failed:)."""
    failure = re.search(r"^(?:fatal|failed): \[.*$", stdout, re.M)
    assert failure, stdout[-3000:]
    task = re.findall(r"^TASK \[(.+?)\]", stdout[: failure.start()], re.M)[-1]
    return task, failure.group(0)


def run(case: Case, directory):
    inventory = inventory_copy(directory, without=(case.variable,)) if case.removed else None
    return ansible_playbook(CONVERGE, "--limit", case.limit, extra_vars=case.extra_vars, inventory=inventory)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            name: pool.submit(run, case, tmp_path_factory.mktemp("run")) for name, case in CASES.items()
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_fails_before_any_change_naming_the_variable(runs, name):
    case, result = CASES[name], runs[name]
    stdout = ANSI.sub("", result.stdout)
    assert result.returncode == 2, stdout[-3000:]
    task, failure = first_failure(stdout)
    assert case.variable in failure, failure
    assert "Validating arguments against arg spec" in task or " : Check " in task, task
    counts = recap(result)
    assert counts[case.limit]["failed"] == 1
    assert all(host["changed"] == 0 for host in counts.values()), counts
