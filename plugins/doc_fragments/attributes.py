# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The attributes every module of the collection documents (each module sets its support)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description:
      - Will return details on what has changed (or possibly needs changing in check mode), when in
        diff mode.
"""
