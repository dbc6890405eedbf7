"""Fixtures of the cephfs scenario: its two Harbor nodes."""

import pytest
from cephfs_testlib import node


@pytest.fixture(scope="session")
def node1():
    return node("cephfs-node1")


@pytest.fixture(scope="session")
def node2():
    return node("cephfs-node2")
