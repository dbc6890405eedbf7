"""The ip_address Jinja test tells addresses from names."""

import pytest

from ansible_collections.harbor_ha.cluster.plugins.test import ip_address as plugin

ip_address = plugin.ip_address


@pytest.mark.parametrize("value", ["10.0.0.5", "127.0.0.1", "::1", "fd00::10"])
def test_addresses_are_addresses(value):
    assert ip_address(value) is True


@pytest.mark.parametrize("value", ["db.example.com", "10.0.0", "10.0.0.256", "", None, "10.0.0.5:3306"])
def test_names_and_garbage_are_not(value):
    assert ip_address(value) is False


def test_registered():
    assert plugin.TestModule().tests()["ip_address"] is ip_address
