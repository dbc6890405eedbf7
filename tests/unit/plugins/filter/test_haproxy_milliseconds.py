"""haproxy_milliseconds reads a time as HAProxy does, or refuses it."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.haproxy_milliseconds import (
    FilterModule,
    haproxy_milliseconds,
)


@pytest.mark.parametrize(
    ("value", "milliseconds"),
    [
        ("500", 500),
        (500, 500),
        ("250us", 0.25),
        ("150ms", 150),
        ("1700ms", 1700),
        ("2s", 2000),
        ("10m", 600_000),
        ("1h", 3_600_000),
        ("1d", 86_400_000),
    ],
)
def test_units(value, milliseconds):
    assert haproxy_milliseconds(value) == milliseconds


@pytest.mark.parametrize("value", ["fast", "1.5s", "-1s", "1 s", "1S", "", "1sec", True, None])
def test_what_haproxy_refuses_fails_naming_the_value(value):
    with pytest.raises(AnsibleFilterError, match=r"is not an HAProxy time") as err:
        haproxy_milliseconds(value)
    assert repr(value) in str(err.value)


def test_registered():
    assert FilterModule().filters()["haproxy_milliseconds"] is haproxy_milliseconds
