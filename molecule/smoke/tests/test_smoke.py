"""The test bed works: systemd hosts on one network that reach each other by name."""

from bedhelpers import ansible_playbook, recap

PEERS = {"smoke-node1": "smoke-node2", "smoke-node2": "smoke-node1"}


def test_systemd_is_pid_1_and_running(host):
    assert host.check_output("ps -o comm= -p 1") == "systemd"
    assert host.run("systemctl is-system-running").stdout.strip() == "running"


def test_echo_service_listens(host):
    service = host.service("smoke-echo.service")
    assert service.is_running
    assert service.is_enabled
    assert host.socket("tcp://0.0.0.0:7007").is_listening


def test_peer_answers_by_name(host):
    me = host.backend.get_hostname()
    peer = PEERS[me]
    resolved = host.check_output(f"getent hosts {peer}")
    assert resolved.startswith("10.201.1."), resolved
    answer = host.check_output(f"socat -T 5 - TCP:{peer}:7007 </dev/null")
    assert answer == peer


def test_no_privileged_container(host):
    # CAP_SYS_RESOURCE is the one capability the bed leaves out (molecule/README.md).
    capeff = int(host.check_output("awk '/^CapEff/ {print $2}' /proc/1/status"), 16)
    cap_sys_resource = 24
    assert not capeff & (1 << cap_sys_resource)
    assert capeff & (1 << 21)  # CAP_SYS_ADMIN, needed by systemd and FUSE


def test_check_mode_reports_nothing_to_change():
    result = ansible_playbook("molecule/smoke/converge.yml", "--check")
    assert result.returncode == 0, result.stdout[-3000:]
    counts = recap(result)
    assert set(counts) == {"smoke-node1", "smoke-node2"}
    assert all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values()), counts
