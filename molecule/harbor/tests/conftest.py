"""Fixtures of the harbor scenario's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def harbor_dir(host) -> str:
    """The unpacked installer: /opt/harbor/v<version>-<sha256 prefix>/harbor."""
    found = host.check_output("ls -d /opt/harbor/v1.1.2-*/harbor").split()
    assert len(found) == 1, found
    return found[0]
