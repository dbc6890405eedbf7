"""Bad input fails in preflight, before any change, and the message names the variable.

Every case runs converge.yml at once (none may change anything, which is what is tested) against
the converged hosts, with one input wrong or missing; a control run with the inventory's input
passes and changes nothing. The database's files, accounts, databases and start and reload
times are the same before and after.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from bedhelpers import ansible_playbook, failures, inventory_copy, recap
from conftest import (
    ADMIN_PASSWORD,
    CONVERGE,
    DB,
    HARBOR_PASSWORD,
    NODE,
    OUTSIDER,
    assert_no_secret,
    managed_state,
    output,
)


@dataclass(frozen=True)
class Case:
    limit: str  # the play it reaches
    variable: str  # the name the failure must give
    extra_vars: dict = field(default_factory=dict)
    without: tuple[str, ...] = ()  # variables taken out of the inventory
    groups: dict = field(default_factory=dict)  # groups of the inventory copy
    host_vars: dict = field(default_factory=dict)


CASES = {
    "admin password missing": Case(DB, "postgresql_admin_password", without=("postgresql_admin_password",)),
    "harbor password missing": Case(DB, "cluster_db_password", without=("cluster_db_password",)),
    "harbor password empty": Case(DB, "postgresql_harbor_password", {"cluster_db_password": ""}),
    "harbor password upstream Harbor12345": Case(
        DB, "postgresql_harbor_password", {"cluster_db_password": "Harbor12345"}
    ),
    "admin password upstream root123": Case(
        DB, "postgresql_admin_password", {"postgresql_admin_password": "root123"}
    ),
    "admin password equals harbor's": Case(
        DB, "postgresql_admin_password", {"postgresql_admin_password": HARBOR_PASSWORD}
    ),
    "port out of range": Case(DB, "postgresql_port", {"cluster_db_port": 70000}),
    "port not a number": Case(DB, "cluster_db_port", {"cluster_db_port": "five-four-three-two"}),
    "mode unknown": Case(DB, "postgresql_mode", {"postgresql_mode": "cluster"}),
    "pool size zero": Case(DB, "postgresql_harbor_max_open_conns", {"cluster_db_max_open_conns": 0}),
    "database name with a quote": Case(
        DB, "postgresql_harbor_database", {"cluster_db_name": "registry'; --"}
    ),
    "account name reserved": Case(DB, "postgresql_harbor_user", {"cluster_db_user": "pg_harbor"}),
    "account name reserved, node play": Case(NODE, "postgresql_harbor_user", {"cluster_db_user": "postgres"}),
    "listen address not this host's": Case(DB, "postgresql_address", {"postgresql_address": "10.201.8.99"}),
    "database host not in the inventory": Case(
        DB, "postgresql_host", {"postgresql_host": "postgresql-nowhere"}
    ),
    "database host not in the inventory, node play": Case(
        NODE, "postgresql_host", {"postgresql_host": "postgresql-nowhere"}
    ),
    "node address is a name": Case(
        DB,
        "cluster_address",
        groups={"harbor_nodes": [NODE]},
        host_vars={NODE: {"cluster_address": "node.example"}},
    ),
    # The outsider joins the nodes, its default route gone (see the fixture): no address known.
    "node without an address": Case(DB, "cluster_address", groups={"harbor_nodes": [NODE, OUTSIDER]}),
    # Checked after the login, before any change: the existing server's limit is too low.
    "existing server allows too few connections": Case(
        DB, "cluster_db_max_open_conns", {"postgresql_mode": "existing", "cluster_db_max_open_conns": 1000}
    ),
}
CONTROL = "good input"


def run(case: Case, directory) -> object:
    inventory = None
    if case.without or case.groups or case.host_vars:
        inventory = inventory_copy(
            directory, without=case.without, groups=case.groups, host_vars=case.host_vars
        )
    return ansible_playbook(
        CONVERGE, "-vv", "--limit", case.limit, extra_vars=case.extra_vars, inventory=inventory
    )


@pytest.fixture(scope="module")
def runs(db, outsider, tmp_path_factory):
    """Every case and the control at once; the database's state before and after."""
    before = managed_state(db)
    cases = CASES | {CONTROL: Case(f"{DB},{NODE}", "")}
    # A host without a default route has no address in its facts (ansible_default_ipv4).
    route = outsider.check_output("ip route show default")
    outsider.check_output("ip route del default")
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {
                name: pool.submit(run, case, tmp_path_factory.mktemp("run")) for name, case in cases.items()
            }
            results = {name: future.result() for name, future in futures.items()}
    finally:
        outsider.check_output(f"ip route add {route}")
    return before, results, managed_state(db)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_fails_in_preflight_naming_the_variable(runs, name):
    case = CASES[name]
    result = runs[1][name]
    text = output(result)
    assert result.returncode == 2, text[-3000:]
    failure = failures(result)
    assert case.variable in failure, failure
    first = re.search(r"^(?:fatal|failed): \[", text, re.M)
    failed_task = re.findall(r"^TASK \[(.+?)\]", text[: first.start()], re.M)[-1]
    assert "Validating arguments against arg spec" in failed_task or " : Check " in failed_task, failed_task
    counts = recap(result)
    assert counts[case.limit]["failed"] == 1
    assert all(host["changed"] == 0 for host in counts.values()), counts
    assert_no_secret(result, ADMIN_PASSWORD, HARBOR_PASSWORD)


def test_the_same_run_with_good_input_passes_and_changes_nothing(runs):
    """The control: the runs above fail because of their one bad input, not the test's harness."""
    result = runs[1][CONTROL]
    assert result.returncode == 0, output(result)[-3000:]
    assert set(recap(result)) == {DB, NODE}
    assert all(host["changed"] == 0 for host in recap(result).values())


def test_no_run_changed_the_database(runs):
    before, _, after = runs
    assert after == before
