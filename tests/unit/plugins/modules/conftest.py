"""Fixtures of the module tests."""

import pytest

from ansible_collections.harbor_ha.cluster.tests.unit.plugins.haproxy_fake import FakeAdminSocket


@pytest.fixture
def admin_socket(tmp_path):
    """admin_socket(respond) serves `respond` at tmp_path/admin.sock for the test."""
    sockets = []

    def make(respond):
        fake = FakeAdminSocket(tmp_path / "admin.sock", respond)
        sockets.append(fake)
        return fake

    yield make
    for fake in sockets:
        fake.close()
