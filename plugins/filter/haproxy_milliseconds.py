# Copyright (c) harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)

"""An HAProxy time in milliseconds, for rules that compare timeouts."""

from __future__ import annotations

DOCUMENTATION = r"""
name: haproxy_milliseconds
short_description: Convert an HAProxy time to milliseconds
version_added: 0.2.0
author: harbor_ha.cluster contributors (@harbor-ha)
description:
  - Reads a time as HAProxy's configuration does (digits and an optional unit, C(us), C(ms),
    C(s), C(m), C(h) or C(d); no unit means milliseconds) and returns it in milliseconds, so
    that preflight can compare the load balancer's timeouts with each other.
  - Fails, naming the value, on anything HAProxy would refuse (the harbor_ha.cluster.haproxy_duration
    test tells the two apart without failing).
options:
  _input:
    description: The HAProxy time.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: A hung node must be out of rotation before a stalled pull is replayed
  ansible.builtin.assert:
    that: >-
      (loadbalancer_check_interval | harbor_ha.cluster.haproxy_milliseconds)
      < (loadbalancer_pull_timeout | harbor_ha.cluster.haproxy_milliseconds)
# '1700ms' -> 1700.0, '2s' -> 2000.0, '250us' -> 0.25, '500' -> 500.0
"""

RETURN = r"""
_value:
  description: The time in milliseconds.
  type: float
"""

import re

from ansible.errors import AnsibleFilterError

# HAProxy's time format (its configuration manual, "Time format"); the haproxy_duration test uses it too.
HAPROXY_TIME = re.compile(r"^([0-9]+)(us|ms|s|m|h|d)?$")
_MILLISECONDS = {"us": 0.001, "ms": 1, None: 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def haproxy_milliseconds(value) -> float:
    """See DOCUMENTATION."""
    match = None if isinstance(value, bool) else HAPROXY_TIME.match(str(value))
    if match is None:
        raise AnsibleFilterError(
            f"haproxy_milliseconds: {value!r} is not an HAProxy time (digits and an optional unit: "
            "us, ms, s, m, h, d)"
        )
    return int(match.group(1)) * _MILLISECONDS[match.group(2)]


class FilterModule:
    """harbor_ha.cluster filters."""

    def filters(self):
        return {"haproxy_milliseconds": haproxy_milliseconds}
