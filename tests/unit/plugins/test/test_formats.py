"""The format tests the roles' preflight checks share."""

import pytest

from ansible_collections.harbor_ha.cluster.plugins.test import (
    byte_size,
    haproxy_duration,
    port,
    published_default,
)


@pytest.mark.parametrize("value", [1, 80, "8060", 65535])
def test_ports(value):
    assert port.port(value) is True


@pytest.mark.parametrize("value", [0, 65536, -1, "80a", "", None, True, 80.5, "8 0"])
def test_not_ports(value):
    assert port.port(value) is False


@pytest.mark.parametrize("value", ["500", "500ms", "1s", "10m", "2h", "1d", "250us", 3])
def test_haproxy_times(value):
    assert haproxy_duration.haproxy_duration(value) is True


@pytest.mark.parametrize("value", ["fast", "1.5s", "10 m", "-1s", "", "5min", True])
def test_not_haproxy_times(value):
    assert haproxy_duration.haproxy_duration(value) is False


@pytest.mark.parametrize("value", ["10m", "256mb", "1G", "1024", "512kb", 100])
def test_sizes(value):
    assert byte_size.byte_size(value) is True


@pytest.mark.parametrize("value", ["ten", "10 m", "1.5g", "10t", "", True])
def test_not_sizes(value):
    assert byte_size.byte_size(value) is False


@pytest.mark.parametrize("value", ["Harbor12345", "root123"])
def test_published_defaults(value):
    assert published_default.published_default(value) is True


@pytest.mark.parametrize("value", ["harbor12345", "Harbor12345!", "", None, "s3cret-Pass"])
def test_other_passwords(value):
    assert published_default.published_default(value) is False


@pytest.mark.parametrize("plugin", [port, haproxy_duration, byte_size, published_default])
def test_registered(plugin):
    name = plugin.__name__.rsplit(".", 1)[-1]
    assert plugin.TestModule().tests() == {name: getattr(plugin, name)}
