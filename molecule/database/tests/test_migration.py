"""playbooks/db_move.yml: the single-node Harbor on the client (the test installer's, with its
bundled harbor-db, an image pushed and rows of its own) moves into the cluster.

The database alone is worth nothing without what it refers to: the move refuses, changing nothing,
while the registry storage, the secretkey and config.json are not on the share. Once the operator
has copied them there, the bundled harbor-db's rows go into an empty external database (made by
the mysql role in existing mode, with Harbor's account limited to rows), a backup is kept, and the
node runs the cluster's Harbor (the harbor role) on them: the image pushed before the move pulls
after it. A database that holds data is refused."""

import uuid

import pytest
from bedhelpers import ansible_playbook, failures, recap
from conftest import CLIENT_ADDRESS, FIXTURES, assert_no_secret, bundled_db_sql, root_sql, task_statuses

BACKUPS = "/var/backups/harbor-db"
SHARE_DATA = "/mnt/cephfs/harbor/data"
SINGLE_NODE = f"{FIXTURES['installer_dir']}/v{FIXTURES['installer_version']}/harbor"
REPOSITORY = FIXTURES["moved_image"].split(":")[0]


def mariadb_state(db) -> tuple[str, str]:
    """When MariaDB last started, and the checksum of the role's settings."""
    started = db.check_output("systemctl show -P ActiveEnterTimestampMonotonic mariadb.service")
    return started, db.file("/etc/mysql/mariadb.conf.d/90-harbor-ha.cnf").sha256sum


def backups(client) -> list[str]:
    return client.check_output("ls -1 %s", BACKUPS).split() if client.file(BACKUPS).exists else []


def table_count(db, name: str) -> str:
    return root_sql(db, f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{name}'")


@pytest.fixture(scope="module")
def target():
    """A fresh database and account for this run, so that the test can run again."""
    name = f"moved_{uuid.uuid4().hex[:6]}"
    return {"cluster_db_name": name, "cluster_db_user": name}


@pytest.fixture(scope="module")
def existing_run(db, target):
    before = mariadb_state(db)
    result = ansible_playbook(
        "molecule/database/converge.yml",
        "--limit",
        "database-db",
        extra_vars={"mysql_mode": "existing", **target},
    )
    return result, before


@pytest.fixture(scope="module")
def single_node_harbor(client):
    """The single-node Harbor running again, as db_move.yml's step 1 tells the operator: the
    converge restarted the node's engine (the share's mount unit became a requirement of
    docker.service), and the engine restarts Harbor 1.1's containers all at once, so those that
    start before harbor-log, whose syslog they log to, fail ("failed to initialize logging
    driver") and are not retried. Harbor's compose starts the log container first."""
    client.check_output("cd %s && docker-compose up -d", SINGLE_NODE)
    state = client.check_output("docker inspect --format '{{.State.Status}}' harbor-db")
    assert state == "running", state


@pytest.fixture(scope="module")
def refused(existing_run, single_node_harbor, db, client, target):
    """db_move while the single-node Harbor's data is still on the node's disk only."""
    assert existing_run[0].returncode == 0, existing_run[0].stdout[-3000:]
    before = backups(client)
    result = ansible_playbook("playbooks/db_move.yml", "--limit", "database-client", extra_vars=target)
    return result, before, table_count(db, target["cluster_db_name"])


@pytest.fixture(scope="module")
def move(refused, client, target):
    """What the refusal asks the operator to do, then db_move again."""
    client.check_output("cd %s && docker-compose stop proxy ui jobservice registry adminserver", SINGLE_NODE)
    client.check_output("cp -a /data/registry /data/config /data/secretkey %s/", SHARE_DATA)
    before = backups(client)
    result = ansible_playbook("playbooks/db_move.yml", "--limit", "database-client", "-vv", extra_vars=target)
    return result, before


@pytest.fixture(scope="module")
def cluster_node(move, client, target):
    """The node as a Harbor node of the cluster, on the moved database and data (after the tests
    that need the single-node Harbor's harbor-db, which this removes)."""
    assert move[0].returncode == 0, move[0].stdout[-3000:]
    client.check_output("cd %s && docker-compose down", SINGLE_NODE)
    return ansible_playbook("molecule/database/harbor.yml", extra_vars=target)


def test_existing_mode_leaves_the_server_alone(existing_run, db):
    result, before = existing_run
    assert result.returncode == 0, result.stdout[-3000:]
    assert mariadb_state(db) == before
    for server_task in (
        "Install the role's MariaDB settings",
        "Enable and start MariaDB",
        "Remove the test database",
    ):
        assert task_statuses(result.stdout, server_task) == ["skipping"], server_task


def test_existing_mode_creates_the_database_and_an_account_harbor_11_can_log_in_to(existing_run, db, target):
    name = target["cluster_db_name"]
    assert root_sql(db, f"SHOW DATABASES LIKE '{name}'") == name
    grants = root_sql(db, f"SHOW GRANTS FOR '{name}'@'{CLIENT_ADDRESS}'").splitlines()
    # Rows only, on this database only: the "_" of the name is escaped (\\_, doubled by mariadb
    # --batch), so that it names this database, not a pattern.
    escaped = name.replace("_", "\\\\_")
    assert (
        grants[1] == f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{escaped}`.* TO `{name}`@`{CLIENT_ADDRESS}`"
    )
    # The one method Harbor 1.1's MySQL driver speaks.
    assert "IDENTIFIED BY PASSWORD '*" in root_sql(db, f"SHOW CREATE USER '{name}'@'{CLIENT_ADDRESS}'")
    assert root_sql(db, f"SELECT plugin FROM mysql.user WHERE User = '{name}'") == "mysql_native_password"


def test_move_refuses_until_the_data_is_on_the_share_and_changes_nothing(refused, client):
    result, before, tables = refused
    assert result.returncode == 2, result.stdout[-3000:]
    failed = failures(result)
    assert "Refusing to move the database of database-client" in failed
    assert f"lacks 1 of the 1 repositories the database lists ({REPOSITORY})" in failed
    assert f"{SHARE_DATA}/secretkey is not /data/secretkey" in failed
    assert f"{SHARE_DATA}/config does not hold /data/config/config.json" in failed
    assert recap(result)["database-client"]["changed"] == 0
    assert backups(client) == before
    assert tables == "0"


def test_move_copies_the_rows_of_harbor_db_into_the_empty_database(move, db, client, target):
    result, _ = move
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Moved Harbor's database" in result.stdout
    name = target["cluster_db_name"]
    source_tables = bundled_db_sql(client, "SHOW TABLES").split()
    assert root_sql(db, f"SHOW TABLES FROM {name}").split() == source_tables
    for table in source_tables:
        assert root_sql(db, f"SELECT * FROM {name}.{table} ORDER BY 1") == bundled_db_sql(
            client, f"SELECT * FROM {table} ORDER BY 1"
        ), table
    assert FIXTURES["bundled_db_marker"] in root_sql(db, f"SELECT comment FROM {name}.access")


def test_move_keeps_the_dump_as_a_private_backup(move, client):
    result, before = move
    new = sorted(set(backups(client)) - set(before))
    assert len(new) == 1
    dump = client.file(f"{BACKUPS}/{new[0]}")
    assert (dump.user, dump.mode) == ("root", 0o600)
    assert FIXTURES["bundled_db_marker"] in dump.content_string
    assert dump.content_string.rstrip().splitlines()[-1].startswith("-- Dump completed")
    assert f"{BACKUPS}/{new[0]}" in result.stdout


def test_move_output_holds_no_password(refused, move):
    for result in (refused[0], move[0]):
        assert_no_secret(result.stdout + result.stderr)


def test_move_refuses_a_database_that_holds_data_and_changes_nothing(move, db, client, target):
    assert move[0].returncode == 0
    before = backups(client)
    name = target["cluster_db_name"]
    rows = root_sql(db, f"SELECT COUNT(*) FROM {name}.access")
    result = ansible_playbook("playbooks/db_move.yml", "--limit", "database-client", extra_vars=target)
    assert result.returncode == 2, result.stdout[-3000:]
    assert "already holds" in failures(result)
    assert recap(result)["database-client"]["changed"] == 0
    assert backups(client) == before
    assert root_sql(db, f"SELECT COUNT(*) FROM {name}.access") == rows


def test_the_moved_harbor_serves_the_image_pushed_before_the_move(cluster_node, db, client, target):
    assert cluster_node.returncode == 0, cluster_node.stdout[-3000:]
    registry = f"{CLIENT_ADDRESS}:8060"
    client.check_output(
        "echo %s | docker login --username admin --password-stdin %s",
        FIXTURES["installer_admin_password"],
        registry,
    )
    client.check_output("docker pull %s/%s", registry, FIXTURES["moved_image"])
    image_id = client.check_output(
        "docker image inspect --format '{{.Id}}' %s/%s", registry, FIXTURES["moved_image"]
    )
    assert image_id == client.file("/root/moved-image-id").content_string.strip()
    # Its row is still there after Harbor started on the moved database.
    name = target["cluster_db_name"]
    assert root_sql(db, f"SELECT name FROM {name}.repository") == REPOSITORY
    assert_no_secret(cluster_node.stdout + cluster_node.stderr)


def test_the_cluster_keeps_the_moved_harbors_secretkey(cluster_node, client):
    assert cluster_node.returncode == 0
    secretkey = client.file("/mnt/cephfs/harbor/secrets/harbor/secretkey")
    assert secretkey.content_string == FIXTURES["installer_secretkey"]
    assert client.file(f"{SHARE_DATA}/secretkey").content_string == FIXTURES["installer_secretkey"]
