"""Two load balancers share one virtual IP (keepalived): one holds it, the other takes it over
when HAProxy stops or the host hangs, and gives it back. Clients keep reaching the backend
through the address. The backend is the prepare playbook's STAND-IN for a Harbor node's proxy."""

from __future__ import annotations

import subprocess

import pytest
from bedhelpers import bed_host, wait_until

VIP = "10.201.6.100"
LBS = ["vip-lb1", "vip-lb2"]
THROUGH_VIP = f"curl -s -m 3 http://{VIP}:8080/api/systeminfo"
# VRRP: advertisements every second, a backup takes over after about three missed ones.
TAKEOVER_BOUND = 10.0


def holders(paused: str = "") -> list[str]:
    """The load balancers that have the address on their interface now (a paused one is not
    asked: it cannot answer)."""
    return [
        lb
        for lb in LBS
        if lb != paused and f" {VIP}/" in bed_host(lb).check_output("ip -4 -o addr show dev eth0")
    ]


def answer_through_vip() -> str:
    return bed_host("vip-node").run(THROUGH_VIP).stdout


def held_by(lb: str, paused: str = "", timeout: float = TAKEOVER_BOUND) -> float:
    """Seconds until `lb` alone holds the address (among the hosts not paused)."""
    return wait_until(lambda: holders(paused) == [lb], timeout, f"{lb} alone holding {VIP}", 0.2)


def reaches_backend() -> bool:
    return '"node": "vip-node"' in answer_through_vip()


def docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def first_holds_it():
    """Each test starts and ends with vip-lb1, the first peer, holding the address."""
    held_by("vip-lb1", timeout=TAKEOVER_BOUND * 2)
    yield
    held_by("vip-lb1", timeout=TAKEOVER_BOUND * 2)


def test_keepalived_config_is_private_and_running():
    for lb in LBS:
        host = bed_host(lb)
        conf = host.file("/etc/keepalived/keepalived.conf")
        assert (conf.user, conf.group, conf.mode) == ("root", "root", 0o600)
        assert host.service("keepalived.service").is_running
        assert host.service("keepalived.service").is_enabled


def test_the_first_peer_holds_the_address_and_it_reaches_the_backend(first_holds_it):
    assert '"node": "vip-node"' in answer_through_vip()


def test_the_address_moves_when_haproxy_stops_and_comes_back(first_holds_it):
    lb1 = bed_host("vip-lb1")
    lb1.check_output("systemctl stop haproxy.service")
    try:
        seconds = held_by("vip-lb2")
        print(f"\nhaproxy stopped on vip-lb1: vip-lb2 holds {VIP} after {seconds:.1f} s")
        assert '"node": "vip-node"' in answer_through_vip()
    finally:
        lb1.check_output("systemctl start haproxy.service")
    # The first peer has the higher priority: it takes the address back once HAProxy runs.
    held_by("vip-lb1")
    assert '"node": "vip-node"' in answer_through_vip()


def test_the_address_moves_when_the_host_hangs(first_holds_it):
    docker("pause", "vip-lb1")
    try:
        # A hung host still has the address configured; what counts is who answers for it.
        seconds = held_by("vip-lb2", paused="vip-lb1")
        print(f"\nvip-lb1 hung: vip-lb2 holds {VIP} after {seconds:.1f} s")
        seconds = wait_until(reaches_backend, TAKEOVER_BOUND, f"the backend answering through {VIP}", 0.2)
        print(f"a client reaches the backend through {VIP} again after {seconds:.1f} s more")
    finally:
        docker("unpause", "vip-lb1")
    # Back: the first peer takes the address again, and clients follow it (only the holder
    # accepts packets for the address, so an answer means they reached vip-lb1).
    held_by("vip-lb1")
    wait_until(reaches_backend, TAKEOVER_BOUND, f"the backend answering through {VIP}", 0.2)
