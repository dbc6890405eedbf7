# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Jinja test: is the value an IPv4 or IPv6 address (not a name)?"""

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_address
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.1.0
short_description: Is the value an IPv4 or IPv6 address
description:
  - True for a literal IPv4 or IPv6 address, false for a host name or anything else.
  - Harbor's containers resolve names through the node's DNS only, so the roles check with this
    test whether an address needs an C(extra_hosts) entry. Unlike C(ansible.utils.ipaddr) it needs
    no extra Python library on the controller.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Require an address or an extra_hosts entry
  ansible.builtin.assert:
    that: harbor_db_host is harbor_ha.cluster.ip_address or harbor_db_host in harbor_extra_hosts
"""

RETURN = r"""
_value:
  description: Whether the input is an IP address.
  type: bool
"""

import ipaddress


def ip_address(value) -> bool:
    """See DOCUMENTATION."""
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


class TestModule:
    """harbor_ha.cluster Jinja tests."""

    def tests(self):
        return {"ip_address": ip_address}
