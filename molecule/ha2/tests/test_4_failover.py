"""The Harbor 2.x cluster keeps serving while a node dies, and the node comes back on its own
(issue 14, the ha scenario's proofs): a loop of pulls through the load balancer meanwhile."""

from __future__ import annotations

from ha2_testlib import NODE2
from ha_testlib import fail_under_pulls, hang_harbor, on, rejoins_and_serves, wake_harbor


def test_stopped_node(pushed):
    """The node refuses connections: Harbor stopped on it."""
    try:
        fail_under_pulls("stopped node", NODE2, lambda: on(NODE2, "systemctl stop harbor.service"))
    finally:
        on(NODE2, "systemctl start harbor.service", timeout=300)
    rejoins_and_serves(NODE2)


def test_hung_node(pushed):
    """The node hangs: every Harbor process paused, its sockets accept and nothing answers."""
    try:
        fail_under_pulls("hung node", NODE2, lambda: hang_harbor(NODE2))
    finally:
        wake_harbor(NODE2)
    rejoins_and_serves(NODE2)
