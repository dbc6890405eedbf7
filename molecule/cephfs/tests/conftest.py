"""Fixtures of the cephfs scenario: its two Harbor nodes."""

import sys
from pathlib import Path

import pytest

# pyproject.toml runs pytest with --import-mode=importlib, which leaves test directories off
# sys.path: the scenario's helper module lives next to its tests.
sys.path.insert(0, str(Path(__file__).parent))

from cephfs_testlib import node


@pytest.fixture(scope="session")
def node1():
    return node("cephfs-node1")


@pytest.fixture(scope="session")
def node2():
    return node("cephfs-node2")
