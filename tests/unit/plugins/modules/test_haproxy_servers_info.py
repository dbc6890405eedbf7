"""haproxy_servers_info reads server states from a real HAProxy 2.6 `show stat` answer."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.module_utils import haproxy_socket
from ansible_collections.harbor_ha.cluster.plugins.modules import haproxy_servers_info
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.haproxy_fake import SHOW_STAT, answering


def with_status(text, name, status, check="L7OK"):
    lines = text.splitlines()
    header = lines[0][2:].split(",")
    status_col, check_col = header.index("status"), header.index("check_status")
    out = [lines[0]]
    for line in lines[1:]:
        cols = line.split(",")
        if len(cols) > 1 and cols[1] == name:
            cols[status_col], cols[check_col] = status, check
        out.append(",".join(cols))
    return "\n".join(out) + "\n"


def run_module(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        haproxy_servers_info.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_parse_real_show_stat():
    found = haproxy_socket.servers(haproxy_socket.parse_stat(SHOW_STAT))
    assert [(s["backend"], s["name"], s["status"], s["check"]) for s in found] == [
        ("be_harbor_read", "node1", "DOWN", "L4CON"),
        ("be_harbor_read", "node2", "DOWN", "L4CON"),
    ]
    assert found[0]["address"] == "127.0.0.1:9001"


def test_error_answer_is_reported():
    with pytest.raises(haproxy_socket.HAProxySocketError, match="unexpected answer"):
        haproxy_socket.parse_stat("Unknown command.\n")


def test_module_reads_servers_of_one_backend(capsys, admin_socket, tmp_path):
    fake = admin_socket(answering(with_status(SHOW_STAT, "node1", "UP")))
    code, result = run_module(capsys, socket=str(tmp_path / "admin.sock"), backend="be_harbor_read")
    assert code == 0
    assert result["changed"] is False
    assert {s["name"]: s["status"] for s in result["servers"]} == {"node1": "UP", "node2": "DOWN"}
    assert fake.commands == ["show stat"]


def test_module_waits_until_the_server_is_up(capsys, admin_socket, tmp_path):
    admin_socket(
        answering(SHOW_STAT, with_status(SHOW_STAT, "node2", "UP 1/2"), with_status(SHOW_STAT, "node2", "UP"))
    )
    code, result = run_module(capsys, socket=str(tmp_path / "admin.sock"), wait_for=["node2"], timeout=10)
    assert code == 0
    assert {s["name"]: s["status"] for s in result["servers"]}["node2"] == "UP"


def test_module_times_out_naming_the_servers(capsys, admin_socket, tmp_path):
    admin_socket(answering(SHOW_STAT))
    code, result = run_module(capsys, socket=str(tmp_path / "admin.sock"), wait_for=["node1"], timeout=1)
    assert code == 1
    assert "{'node1': 'DOWN'}" in result["msg"]


def test_module_refuses_an_unknown_server(capsys, admin_socket, tmp_path):
    admin_socket(answering(SHOW_STAT))
    code, result = run_module(capsys, socket=str(tmp_path / "admin.sock"), wait_for=["node9"])
    assert code == 1
    assert "no server named ['node9']" in result["msg"]


def test_missing_socket_is_a_clear_failure(capsys, tmp_path):
    code, result = run_module(capsys, socket=str(tmp_path / "nope.sock"))
    assert code == 1
    assert "HAProxy admin socket" in result["msg"]
    assert "nope.sock" in result["msg"]
