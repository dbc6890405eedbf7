"""A node added by editing the inventory and running site.yml --limit it, the load balancer
and the database host (issue 14): it joins with the cluster's values, serves what was pushed
before it existed, and site.yml in check mode over the grown cluster then finds nothing to change
(check-mode clean), with no secret in its -vv output."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from bedhelpers import ANSI, ansible_playbook, recap
from ha2_testlib import NODE1, NODE2, NODE3, PINNED, SHARE, container_env, core_release, node_url
from ha_testlib import CLIENT, IMAGE, INVENTORY, edit_hosts, lb_servers, local_digest, on, wait_for_lb

# The cluster's key set on the share: what the role made once and pins on every node.
KEY_SET_SECRETS = ("secretkey", "core_secret", "jobservice_secret", "registry_password", "csrf_key")


def changed_tasks(result) -> list[str]:
    """The tasks of a run that reported a change, with the host's result line."""
    tasks = ANSI.sub("", result.stdout).split("\nTASK [")[1:]
    return [
        f"{task.split(']', 1)[0]}: {line}"
        for task in tasks
        for line in task.splitlines()
        if line.startswith("changed: [")
    ]


@pytest.fixture(scope="module")
def grown(tmp_path_factory, pushed):
    """inventories/sandbox2 with NODE3 in harbor_nodes, after site.yml --limit it,harbor_lb,harbor_db
    (PostgreSQL's max_connections follows the number of nodes)."""
    inventory = tmp_path_factory.mktemp("grown") / "sandbox2"
    shutil.copytree(INVENTORY, inventory)
    edit_hosts(inventory, lambda groups: groups["harbor_nodes"]["hosts"].update({NODE3: None}))
    result = ansible_playbook(
        "playbooks/site.yml", "--limit", f"{NODE3},harbor_lb,harbor_db", inventory=inventory, timeout=1800
    )
    assert result.returncode == 0, ANSI.sub("", result.stdout)[-4000:]
    return inventory


def test_lb_routes_to_the_new_node(grown):
    wait_for_lb(NODE3, "UP", timeout=60)
    assert set(lb_servers()) == {NODE1, NODE2, NODE3}
    assert core_release(NODE3) == "v2.15.2"


def test_the_new_node_holds_the_clusters_values(grown):
    new, old = container_env(NODE3, "harbor-core"), container_env(NODE1, "harbor-core")
    for name in PINNED:
        assert new[name] == old[name], name


def test_the_new_node_serves_an_image_pushed_before_it_existed(grown, admin_password):
    repository = IMAGE.split("/", 1)[1].rsplit(":", 1)[0]
    answer = on(
        CLIENT,
        f"curl -sf -u admin:'{admin_password}' "
        f"'{node_url(NODE3)}/service/token?service=harbor-registry&scope=repository:{repository}:pull'",
    ).stdout
    token = json.loads(answer)["token"]
    accept = "Accept: application/vnd.docker.distribution.manifest.v2+json"
    manifest = on(
        CLIENT,
        f"curl -sf -D - -o /dev/null -H 'Authorization: Bearer {token}' -H '{accept}'"
        f" {node_url(NODE3)}/v2/{repository}/manifests/1",
    ).stdout
    assert f"docker-content-digest: {local_digest().split('@')[1]}" in manifest.lower()


def test_check_mode_over_the_grown_cluster_changes_nothing_and_shows_no_secret(grown):
    result = ansible_playbook("playbooks/site.yml", "--check", "-vv", inventory=grown, timeout=1800)
    assert result.returncode == 0, ANSI.sub("", result.stdout)[-4000:]
    counts = recap(result)
    assert {NODE1, NODE2, NODE3} <= set(counts)
    assert all(c["changed"] == 0 for c in counts.values()), (counts, changed_tasks(result))
    generated = yaml.safe_load((grown / "group_vars" / "all" / "generated.yml").read_text())
    secrets = {name: value for name, value in generated.items() if name.startswith("vault_")}
    for name in KEY_SET_SECRETS:
        secrets[name] = on(NODE1, f"cat {SHARE}/secrets/harbor/{name}").stdout.strip()
    assert all(len(secret) >= 8 for secret in secrets.values())
    output = result.stdout + result.stderr
    assert [name for name, secret in secrets.items() if secret in output] == []
