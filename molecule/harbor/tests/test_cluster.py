"""Two nodes behave as one registry: shared blobs, sessions and keys, one jobservice, and a
re-run or a restart that loses nothing."""

from __future__ import annotations

import concurrent.futures
import shlex
import time

import pytest
from bedhelpers import ansible_playbook, bed_host, recap
from harbor_testlib import NODES, PORT, SECRETS, container_starts, curl, wait_healthy

REPOSITORY = "library/harbor-scenario"
IMAGE = f"{REPOSITORY}:1"
# Cluster-wide tests: run once, reaching each host they need by name.
testinfra_hosts = ["harbor-node1"]


@pytest.fixture(scope="module")
def node1():
    return bed_host("harbor-node1")


@pytest.fixture(scope="module")
def node2():
    return bed_host("harbor-node2")


@pytest.fixture(scope="module")
def password(host):
    """The admin's password, quoted for a shell: it holds spaces, quotes, # and $."""
    return shlex.quote(host.ansible.get_variables()["harbor_admin_password"])


def registry(node_name: str) -> str:
    return f"{NODES[node_name]}:{PORT}"


@pytest.fixture(scope="module")
def pushed(node1, node2, password):
    """A tiny image built on node 1 and pushed through node 1's proxy."""
    ref = f"{registry('harbor-node1')}/{IMAGE}"
    node1.check_output(f"docker login --username admin --password {password} {registry('harbor-node1')}")
    node1.check_output(
        "rm -rf /tmp/tiny && mkdir /tmp/tiny && date +%s%N > /tmp/tiny/stamp"
        f" && tar -C /tmp/tiny -c . | docker import - {ref}"
    )
    node1.check_output(f"docker push {ref}")
    return node1.check_output(f"docker image inspect --format '{{{{.Id}}}}' {ref}")


def pull_on_node2(node2, password) -> str:
    ref = f"{registry('harbor-node2')}/{IMAGE}"
    node2.run(f"docker rmi {ref}")
    node2.check_output(f"docker login --username admin --password {password} {registry('harbor-node2')}")
    node2.check_output(f"docker pull {ref}")
    return node2.check_output(f"docker image inspect --format '{{{{.Id}}}}' {ref}")


def test_image_pushed_on_node1_is_pulled_on_node2(node2, pushed, password):
    # Node 2's registry serves the blobs node 1 wrote to the share, and accepts the token node 1's
    # ui signed (harbor_hostname is node 1): one key pair for the cluster.
    assert pull_on_node2(node2, password) == pushed


def test_node2_issues_tokens_node1_accepts(node1, node2, pushed, password):
    status, body = curl(
        node2,
        f"-u admin:{password}",
        f"'http://{registry('harbor-node2')}/service/token?service=harbor-registry"
        f"&scope=repository:{REPOSITORY}:pull'",
    )
    assert status == 200, body
    token = body.split('"token":')[1].split('"')[1]
    accept = "-H 'Accept: application/vnd.docker.distribution.manifest.v2+json'"
    url = f"http://{registry('harbor-node1')}/v2/{REPOSITORY}/manifests/1"
    assert curl(node1, f"-H 'Authorization: Bearer {token}'", accept, url)[0] == 200
    assert curl(node1, "-H 'Authorization: Bearer not.a.token'", accept, url)[0] == 401


def test_a_session_opened_on_node1_is_valid_on_node2(node1, node2, password):
    jar = "/tmp/harbor-session"
    status, _ = curl(
        node1,
        f"-c {jar}",
        f"-H 'Host: {registry('harbor-node1')}'",
        f"--data-urlencode principal=admin --data-urlencode password={password}",
        f"http://{registry('harbor-node1')}/login",
    )
    assert status == 200
    cookie = node1.check_output(f"awk '$6 == \"beegosessionID\" {{print $7}}' {jar}")
    assert cookie
    status, body = curl(
        node2, f"-H 'Cookie: beegosessionID={cookie}'", f"http://{registry('harbor-node2')}/api/users/current"
    )
    assert status == 200, body
    assert '"username":"admin"' in body.replace(" ", "")
    # A session no node opened is refused: the 200 above is Redis' doing.
    forged = curl(
        node2,
        "-H 'Cookie: beegosessionID=0123456789abcdef'",
        f"http://{registry('harbor-node2')}/api/users/current",
    )
    assert forged[0] == 401


def jobservice_health(node, ui_secret: str) -> str:
    script = (
        "import urllib.request as u;"
        f"r=u.Request('http://jobservice/api/jobs/health',headers={{'Cookie':'secret={ui_secret}'}});"
        "print(u.urlopen(r,timeout=5).status)"
    )
    return node.run(f'docker exec harbor-ui python3 -c "{script}"')


def test_one_jobservice_for_the_cluster(node1, node2):
    # Harbor issue #3747: a starting jobservice resumes every running job of the cluster.
    assert node1.docker("harbor-jobservice").is_running
    assert node2.run("docker inspect harbor-jobservice").rc != 0
    assert node2.docker("harbor-jobservice-forward").is_running
    ui_secret = node1.file(f"{SECRETS}/ui_secret").content_string
    assert jobservice_health(node2, ui_secret).stdout.strip() == "200"
    # Node 2 has no jobservice of its own: with node 1's stopped, its ui reaches none.
    node1.check_output("docker stop harbor-jobservice")
    try:
        assert jobservice_health(node2, ui_secret).rc != 0
    finally:
        node1.check_output("docker start harbor-jobservice")
    for _ in range(30):
        if jobservice_health(node2, ui_secret).stdout.strip() == "200":
            break
        time.sleep(1)
    else:
        pytest.fail("node 2 does not reach node 1's jobservice again")


def test_rerun_changes_nothing_and_restarts_no_container(node1, node2):
    before = {n: container_starts(h) for n, h in (("harbor-node1", node1), ("harbor-node2", node2))}
    result = ansible_playbook("molecule/harbor/converge.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    counts = recap(result)
    assert counts and all(c["changed"] == 0 for c in counts.values()), counts
    after = {n: container_starts(h) for n, h in (("harbor-node1", node1), ("harbor-node2", node2))}
    assert after == before


def test_image_and_rows_survive_a_restart_of_both_nodes_at_once(node1, node2, pushed, password, host):
    """After the re-run of test_rerun_changes_nothing_and_restarts_no_container."""
    db = bed_host("harbor-db")

    def sql(statement: str) -> str:
        return db.check_output("mariadb --batch --skip-column-names registry --execute=%s", statement)

    stamp = str(time.time_ns())
    sql(f"REPLACE INTO properties (k, v) VALUES ('harbor-scenario', '{stamp}')")
    # The admin's password is set once, at the first start: its salt must never change again.
    admin = sql("SELECT password, salt FROM user WHERE username = 'admin'")
    assert admin.split()[1], "the ui set the admin's password at its first start"
    with concurrent.futures.ThreadPoolExecutor() as pool:
        list(pool.map(lambda n: n.check_output("systemctl restart harbor.service"), (node1, node2)))
    wait_healthy(node1, "harbor-node1")
    wait_healthy(node2, "harbor-node2")
    assert sql("SELECT v FROM properties WHERE k = 'harbor-scenario'") == stamp
    assert sql("SELECT password, salt FROM user WHERE username = 'admin'") == admin
    assert pull_on_node2(node2, password) == pushed
