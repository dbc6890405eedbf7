"""Hosts, fixtures and SQL/Redis helpers of the database scenario."""

from __future__ import annotations

import re

from bedhelpers import host_fixture, scenario_fixtures

# The inventory's test fixtures (passwords, the bundled harbor-db), from molecule.yml.
FIXTURES = scenario_fixtures()
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
        "harbor_admin_password",
        "installer_db_password",
        "installer_admin_password",
    )
]


db = host_fixture("database-db", "database-")
redis = host_fixture("database-redis", "database-")
client = host_fixture("database-client", "database-")
outsider = host_fixture("database-outsider", "database-")


def harbor_sql(
    host, statement: str, *, user: str = "harbor", database: str = "registry", password: str | None = None
):
    """Run SQL as Harbor's account from `host` over the network; returns testinfra's result."""
    return host.run(
        "MYSQL_PWD=%s mariadb --batch --skip-column-names --host=%s --user=%s %s --execute=%s",
        FIXTURES["cluster_db_password"] if password is None else password,
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
