"""Fixtures of the ha and ha2 scenarios' tests (their conftest.py import them): the topology's
admin password, the probe image pushed through the load balancer, a copy of the inventory."""

from __future__ import annotations

import shutil

import ha_testlib
import pytest
from ha_testlib import CLIENT, IMAGE, INVENTORY, local_digest, login, on


@pytest.fixture(scope="session")
def admin_password() -> str:
    return ha_testlib.admin_password()


@pytest.fixture(scope="session")
def pushed(admin_password) -> str:
    """The probe image (one 1 MB random layer), pushed through the load balancer: its digest."""
    login(admin_password)
    on(
        CLIENT,
        "rm -rf /tmp/probe && mkdir /tmp/probe && head -c 1000000 /dev/urandom > /tmp/probe/blob"
        f" && tar -C /tmp/probe -c . | docker import - {IMAGE} >/dev/null && docker push {IMAGE}",
    )
    return local_digest()


@pytest.fixture
def inventory_copy(tmp_path):
    """A copy of the topology's inventory (with its generated secrets), to edit in a test."""
    copy = tmp_path / INVENTORY.name
    shutil.copytree(INVENTORY, copy)
    return copy
