# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Jinja test: is the value a TCP port?"""

from __future__ import annotations

DOCUMENTATION = r"""
name: port
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Is the value a TCP port (an integer from 1 to 65535)
description:
  - True for an integer, or a string of digits, from 1 to 65535; false for anything else,
    booleans included. The roles' preflight checks use it for every port they take.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the node's proxy port
  ansible.builtin.assert:
    that: harbor_proxy_port is harbor_ha.cluster.port
"""

RETURN = r"""
_value:
  description: Whether the input is a TCP port.
  type: bool
"""


def port(value) -> bool:
    """See DOCUMENTATION."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return isinstance(value, int) and 1 <= value <= 65535


class TestModule:
    """harbor_ha.cluster Jinja tests."""

    def tests(self):
        return {"port": port}
