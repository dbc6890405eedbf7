# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Jinja test: is the value one of Harbor's published default passwords?"""

from __future__ import annotations

DOCUMENTATION = r"""
name: published_default
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Is the value a password Harbor's installers ship
description:
  - True for the passwords Harbor's installers ship in harbor.cfg and harbor.yml (the admin's
    and the database's). Every secret of the collection is checked with it, and the list lives
    here only.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse Harbor's published defaults
  ansible.builtin.assert:
    that: harbor_db_password is not harbor_ha.cluster.published_default
"""

RETURN = r"""
_value:
  description: Whether the input is a published default password.
  type: bool
"""

# harbor.cfg (1.x) harbor_admin_password and db_password; harbor.yml (2.x) the same two.
PUBLISHED_DEFAULTS = frozenset({"Harbor12345", "root123"})


def published_default(value) -> bool:
    """See DOCUMENTATION."""
    return isinstance(value, str) and value in PUBLISHED_DEFAULTS


class TestModule:
    """harbor_ha.cluster Jinja tests."""

    def tests(self):
        return {"published_default": published_default}
