# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Jinja test: is the value a size such as 10m or 256mb?"""

from __future__ import annotations

DOCUMENTATION = r"""
name: byte_size
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Is the value a size (digits and an optional k, m or g, with an optional b)
description:
  - True for digits followed by nothing or C(k), C(m) or C(g), optionally with C(b), in any
    case, which is what docker's log options (C(max-size)) and Redis' C(maxmemory) take.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the size of a container's log
  ansible.builtin.assert:
    that: docker_log_max_size is harbor_ha.cluster.byte_size
"""

RETURN = r"""
_value:
  description: Whether the input is a size.
  type: bool
"""

import re

_SIZE = re.compile(r"^[0-9]+([kmg]b?)?$", re.IGNORECASE)


def byte_size(value) -> bool:
    """See DOCUMENTATION."""
    return not isinstance(value, bool) and bool(_SIZE.match(str(value)))


class TestModule:
    """harbor_ha.cluster Jinja tests."""

    def tests(self):
        return {"byte_size": byte_size}
