"""A node is added by editing the inventory and re-running site.yml (issue: prove the HA claims)."""

from __future__ import annotations

import shutil

import pytest
from bedhelpers import ANSI, ansible_playbook, recap
from ha_testlib import CLIENT, IMAGE, INVENTORY, NODES, edit_hosts, lb_servers, local_digest, on, wait_for_lb

NEW = "sandbox-harbor3"


@pytest.fixture(scope="module")
def grown(tmp_path_factory, pushed):
    """inventories/sandbox with sandbox-harbor3 in harbor_nodes, after site.yml --limit it,harbor_lb."""

    inventory = tmp_path_factory.mktemp("grown") / "sandbox"
    shutil.copytree(INVENTORY, inventory)
    edit_hosts(inventory, lambda groups: groups["harbor_nodes"]["hosts"].update({NEW: None}))
    result = ansible_playbook(
        "playbooks/site.yml", "--limit", f"{NEW},harbor_lb", inventory=inventory, timeout=1800
    )
    assert result.returncode == 0, ANSI.sub("", result.stdout)[-4000:]
    return inventory


def test_lb_routes_to_the_new_node(grown):
    wait_for_lb(NEW, "UP", timeout=60)
    assert set(lb_servers()) == {"sandbox-harbor1", "sandbox-harbor2", NEW}


def test_new_node_serves_an_image_pushed_before_it_existed(grown, admin_password):
    repository = IMAGE.split("/", 1)[1].rsplit(":", 1)[0]
    address = f"{NODES[NEW]}:8060"
    token = (
        on(
            CLIENT,
            f"curl -sf -u admin:'{admin_password}' "
            f"'http://{address}/service/token?service=harbor-registry&scope=repository:{repository}:pull'",
        )
        .stdout.split('"token":')[1]
        .split('"')[1]
    )
    accept = "Accept: application/vnd.docker.distribution.manifest.v2+json"
    manifest = on(
        CLIENT,
        f"curl -sf -D - -o /dev/null -H 'Authorization: Bearer {token}' -H '{accept}' "
        f"http://{address}/v2/{repository}/manifests/1",
    ).stdout
    digest = local_digest()
    assert f"docker-content-digest: {digest.split('@')[1]}" in manifest.lower()


def test_new_node_uses_the_same_keys(grown):
    def digests(node):
        out = on(
            node,
            "sha256sum /opt/harbor/v*/harbor/common/config/ui/private_key.pem "
            "/opt/harbor/v*/harbor/common/config/registry/root.crt",
        ).stdout
        return sorted(line.split()[0] for line in out.splitlines())

    assert digests(NEW) == digests("sandbox-harbor1")


def test_full_run_on_the_grown_cluster_changes_nothing(grown):
    result = ansible_playbook("playbooks/site.yml", inventory=grown, timeout=1800)
    assert result.returncode == 0, ANSI.sub("", result.stdout)[-4000:]
    counts = recap(result)
    assert NEW in counts
    assert all(c["changed"] == 0 for c in counts.values()), counts
    status = ansible_playbook("playbooks/status.yml", inventory=grown)
    assert status.returncode == 0, ANSI.sub("", status.stdout)[-3000:]
    assert f"{NEW}: lb sandbox-lb=UP" in ANSI.sub("", status.stdout)
