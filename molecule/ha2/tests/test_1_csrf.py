"""A login on one node and a CSRF-protected POST on another, in the same session: they hold the
same CSRF key and session store (issue 14). On Harbor 2.14.4, as converged; the next test file
upgrades the cluster, which also puts back the key changed by hand here."""

from __future__ import annotations

import json

import pytest
from bedhelpers import bed_host
from ha2_testlib import NODE1, NODE2, container_env, harbor_dir, node_url, wait_healthy
from ha_testlib import CLIENT, on
from installer2_testlib import create_project, csrf_session


@pytest.fixture(scope="module")
def client():
    return bed_host(CLIENT)


@pytest.fixture(scope="module")
def session(client, admin_password):
    """A login as the portal makes it, through node 1."""
    return csrf_session(client, node_url(NODE1), admin_password)


def test_a_login_on_one_node_holds_for_a_protected_post_on_the_other(client, session):
    status, body = create_project(client, node_url(NODE2), session, "csrf-on-node2")
    assert status == 201, body
    status, body = create_project(client, node_url(NODE1), session, "csrf-on-node1")
    assert status == 201, body


def test_a_node_whose_csrf_key_was_changed_by_hand_refuses_the_post(client, session):
    home = harbor_dir(NODE2, "2.14.4")
    # What an operator's `./prepare` would do to the node: another CSRF key in core's env, and
    # compose recreating core with it.
    on(NODE2, f"sed -i 's/^CSRF_KEY=.*/CSRF_KEY={'k' * 32}/' {home}/common/config/core/env")
    on(NODE2, f"cd {home} && docker-compose --project-name harbor up -d", timeout=300)
    assert container_env(NODE2, "harbor-core")["CSRF_KEY"] == "k" * 32
    wait_healthy(NODE2)
    status, body = create_project(client, node_url(NODE2), session, "csrf-other-key")
    assert status == 403, body
    assert json.loads(body)["errors"][0]["message"] == "CSRF token invalid"
    # The session itself is still known there (one Redis), and node 1 still takes the form.
    assert create_project(client, node_url(NODE1), session, "csrf-still-on-node1")[0] == 201
