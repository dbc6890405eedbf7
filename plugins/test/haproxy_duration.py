# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Jinja test: is the value an HAProxy time?"""

from __future__ import annotations

DOCUMENTATION = r"""
name: haproxy_duration
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Is the value an HAProxy time (digits and an optional unit)
description:
  - True for digits followed by nothing (milliseconds) or one of the units HAProxy's
    configuration manual lists for times, C(us), C(ms), C(s), C(m), C(h) or C(d).
    HAProxy refuses anything else when it loads its configuration.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check a timeout before HAProxy sees it
  ansible.builtin.assert:
    that: loadbalancer_check_interval is harbor_ha.cluster.haproxy_duration
"""

RETURN = r"""
_value:
  description: Whether the input is an HAProxy time.
  type: bool
"""

from ansible_collections.harbor_ha.cluster.plugins.filter.haproxy_milliseconds import HAPROXY_TIME


def haproxy_duration(value) -> bool:
    """See DOCUMENTATION."""
    return not isinstance(value, bool) and bool(HAPROXY_TIME.match(str(value)))


class TestModule:
    """harbor_ha.cluster Jinja tests."""

    def tests(self):
        return {"haproxy_duration": haproxy_duration}
