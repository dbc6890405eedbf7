"""haproxy_server drains a node in every backend, restarts anyway after the drain timeout, and puts
the node back at a new address and port (issue 11, items 0 and 1)."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.modules import haproxy_server
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.haproxy_fake import FakeHAProxy

BACKENDS = ("be_harbor_pull", "be_harbor_write")


def cluster(node1_status="UP", node1_sessions=0, address="10.0.0.11:8060"):
    """node1 and node2 in two backends; node1's sessions are in the write backend."""
    servers = {}
    for backend in BACKENDS:
        servers[(backend, "node1")] = (
            address,
            node1_status,
            node1_sessions if backend == "be_harbor_write" else 0,
        )
        servers[(backend, "node2")] = ("10.0.0.12:8060", "UP", 0)
    return servers


def run_module(capsys, socket_path, check_mode=False, **args):
    args = {"socket": str(socket_path), "name": "node1"} | args
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        haproxy_server.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def statuses(fake, name="node1"):
    return {r["pxname"]: r["status"] for r in fake.rows if r["svname"] == name}


@pytest.fixture
def sock(tmp_path):
    return tmp_path / "admin.sock"


def test_drain_waits_for_the_sessions_then_goes_to_maintenance(capsys, admin_socket, sock, monkeypatch):
    warned = []
    monkeypatch.setattr(haproxy_server.AnsibleModule, "warn", lambda module, message: warned.append(message))
    fake = FakeHAProxy(cluster(node1_sessions=2), ends_per_poll=1)
    server = admin_socket(fake.respond)
    code, result = run_module(capsys, sock, state="drained", drain_timeout=30)
    assert code == 0, result
    assert result["changed"] is True
    assert result["sessions_cut"] == {}
    assert result["backends"] == list(BACKENDS)
    assert statuses(fake) == dict.fromkeys(BACKENDS, "MAINT")
    assert statuses(fake, "node2") == dict.fromkeys(BACKENDS, "UP")
    # Drained in every backend before anything went to maintenance.
    sent = [c for c in server.commands if c.startswith("set server")]
    assert sent == [f"set server {b}/node1 state drain" for b in BACKENDS] + [
        f"set server {b}/node1 state maint" for b in BACKENDS
    ]
    assert warned == []


def test_drain_timeout_goes_on_naming_what_is_cut(capsys, admin_socket, sock, monkeypatch):
    warned = []
    monkeypatch.setattr(haproxy_server.AnsibleModule, "warn", lambda module, message: warned.append(message))
    fake = FakeHAProxy(cluster(node1_sessions=1))
    admin_socket(fake.respond)
    code, result = run_module(capsys, sock, state="drained", drain_timeout=1)
    assert code == 0, result
    assert result["sessions_cut"] == {"be_harbor_write": 1}
    assert statuses(fake) == dict.fromkeys(BACKENDS, "MAINT")
    assert warned == [
        "node1 still had 1 session(s) open after 1 s of draining (1 in be_harbor_write): it goes on to "
        "restart, and those requests are cut."
    ]


def test_a_node_in_maintenance_is_drained_already(capsys, admin_socket, sock):
    fake = FakeHAProxy(cluster(node1_status="MAINT"))
    server = admin_socket(fake.respond)
    code, result = run_module(capsys, sock, state="drained")
    assert (code, result["changed"]) == (0, False)
    assert not [c for c in server.commands if c.startswith("set server")]


def test_ready_moves_the_server_and_waits_until_it_is_up(capsys, admin_socket, sock):
    fake = FakeHAProxy(cluster(node1_status="MAINT"), after_ready=("DOWN", "DOWN 1/2", "UP"))
    server = admin_socket(fake.respond)
    code, result = run_module(capsys, sock, state="ready", address="10.0.0.11", port=8070, timeout=10)
    assert code == 0, result
    assert result["changed"] is True
    assert {r["pxname"]: r["addr"] for r in fake.rows if r["svname"] == "node1"} == dict.fromkeys(
        BACKENDS, "10.0.0.11:8070"
    )
    assert statuses(fake) == dict.fromkeys(BACKENDS, "UP")
    # Moved before it went back into rotation.
    sent = [c for c in server.commands if c.startswith("set server")]
    assert sent == [f"set server {b}/node1 addr 10.0.0.11 port 8070" for b in BACKENDS] + [
        f"set server {b}/node1 state ready" for b in BACKENDS
    ]


def test_ready_fails_naming_the_status_when_checks_keep_failing(capsys, admin_socket, sock):
    fake = FakeHAProxy(cluster(node1_status="MAINT"), after_ready=("DOWN",))
    admin_socket(fake.respond)
    code, result = run_module(capsys, sock, state="ready", timeout=1)
    assert code == 1
    assert result["msg"] == (
        "node1 did not pass its health checks within 1 s: "
        "{'be_harbor_pull': 'DOWN', 'be_harbor_write': 'DOWN'}"
    )


def test_ready_changes_nothing_on_a_server_in_rotation_where_it_should_be(capsys, admin_socket, sock):
    fake = FakeHAProxy(cluster())
    server = admin_socket(fake.respond)
    code, result = run_module(capsys, sock, state="ready", address="10.0.0.11", port=8060)
    assert (code, result["changed"]) == (0, False)
    assert server.commands == ["show stat", "show stat"]


@pytest.mark.parametrize("state", ["drained", "ready"])
def test_check_mode_sends_no_change(capsys, admin_socket, sock, state):
    fake = FakeHAProxy(cluster(node1_status="UP" if state == "drained" else "MAINT"))
    server = admin_socket(fake.respond)
    code, result = run_module(capsys, sock, check_mode=True, state=state, address="10.0.0.11", port=8070)
    assert (code, result["changed"]) == (0, True)
    assert all(c == "show stat" for c in server.commands)


def test_a_server_no_backend_has_is_left_alone(capsys, admin_socket, sock):
    admin_socket(FakeHAProxy(cluster()).respond)
    code, result = run_module(capsys, sock, name="node3", state="drained")
    assert code == 0
    assert (result["present"], result["changed"], result["backends"]) == (False, False, [])


def test_an_error_answer_fails_with_haproxys_words(capsys, admin_socket, sock):
    fake = FakeHAProxy(cluster(node1_status="MAINT"))

    def refuse_moves(command):
        if " addr " in command:
            return "Backend /node1: Can't change the address: the server uses a resolver.\n"
        return fake.respond(command)

    admin_socket(refuse_moves)
    code, result = run_module(capsys, sock, state="ready", address="10.0.0.11", port=8070)
    assert code == 1
    assert "set server be_harbor_pull/node1 addr 10.0.0.11 port 8070" in result["msg"]
    assert "Can't change the address" in result["msg"]


def test_address_needs_a_port(capsys, sock):
    code, result = run_module(capsys, sock, state="ready", address="10.0.0.11")
    assert code == 1
    assert "address, port" in result["msg"] or "port, address" in result["msg"]
