"""Hosts, fixtures and SQL/Redis helpers of the database scenario."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bedhelpers import bed_host

SCENARIO = Path(__file__).resolve().parents[1]
# The inventory's test fixtures (passwords, the bundled harbor-db), from molecule.yml.
FIXTURES = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"][
    "all"
]
DB_ADDRESS = "10.201.3.10"
REDIS_ADDRESS = "10.201.3.11"
CLIENT_ADDRESS = "10.201.3.12"
OUTSIDER_ADDRESS = "10.201.3.13"
# The distinctive part of every secret the scenario uses: none may appear in a playbook's output.
SECRET_MARKERS = [
    re.match(r"fixture-[a-z]+-[0-9A-Za-z]+", FIXTURES[name]).group(0)
    for name in (
        "mysql_admin_password",
        "cluster_db_password",
        "cluster_redis_password",
        "bundled_db_root_password",
    )
]


def host_fixture(name: str):
    """A session fixture for one test host, named in the tests after its role in the scenario."""
    return pytest.fixture(scope="session", name=name.removeprefix("database-"))(lambda: bed_host(name))


db = host_fixture("database-db")
redis = host_fixture("database-redis")
client = host_fixture("database-client")
outsider = host_fixture("database-outsider")


def harbor_sql(host, statement: str, *, user: str = "harbor", database: str = "registry"):
    """Run SQL as Harbor's account from `host` over the network; returns testinfra's result."""
    return host.run(
        "MYSQL_PWD=%s mariadb --batch --skip-column-names --host=%s --user=%s %s --execute=%s",
        FIXTURES["cluster_db_password"],
        DB_ADDRESS,
        user,
        database,
        statement,
    )


def root_sql(db, statement: str) -> str:
    """SQL as root on the database host, through the unix socket."""
    return db.check_output("mariadb --batch --skip-column-names --execute=%s", statement)


def bundled_db_sql(client, statement: str) -> str:
    """SQL as root inside the bundled harbor-db, with the password the container holds."""
    return client.check_output(
        "docker exec harbor-db sh -c %s sh %s",
        'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mariadb --batch --skip-column-names registry --execute="$1"',
        statement,
    )


def assert_no_secret(text: str) -> None:
    leaked = [marker for marker in SECRET_MARKERS if marker in text]
    assert not leaked, f"passwords in the output: {leaked}"


def task_statuses(stdout: str, task: str) -> list[str]:
    """The status words (ok, changed, skipping, fatal...) the default callback printed for `task`."""
    statuses = []
    for block in re.split(r"^TASK \[", stdout, flags=re.M)[1:]:
        name, _, body = block.partition("]")
        if name.split(" : ")[-1] == task:
            statuses += re.findall(r"^(ok|changed|skipping|fatal|failed):", body, re.M)
    return statuses
