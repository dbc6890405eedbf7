# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Name the values docker compose would change on their way into a container."""

from __future__ import annotations

DOCUMENTATION = r"""
name: compose_env_problems
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: The values of a mapping that an env file cannot carry through docker compose
description:
  - Takes a mapping of variable names to the values that will reach a container through a docker
    C(env_file), and returns one line per value that docker compose would change, naming the
    variable and the character, never the value.
  - Values that are not plain are written single-quoted (module
    C(harbor_ha.cluster.harbor_prepare)), so spaces, C(#), quotes and C($NAME) pass unchanged.
    What cannot pass is a line break, a NUL, a backslash (docker-compose 1.29 and Compose v2
    unescape it differently) and C(${...}) (docker-compose 1.29 expands it even inside quotes).
options:
  _input:
    description: Variable name (as the message should name it) to value; non-string values are
      read as strings.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the passwords that go into Harbor's env files
  ansible.builtin.assert:
    that: __refused | length == 0
    fail_msg: "{{ __refused | join('; ') }}: choose values without these characters."
    quiet: true
  vars:
    __refused: >-
      {{ {'cluster_db_password': cluster_db_password} | harbor_ha.cluster.compose_env_problems }}
"""

RETURN = r"""
_value:
  description: One line per refused value, "<name> contains <what>"; empty when every value passes.
  type: list
  elements: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.module_utils.env_file import compose_problem


def compose_env_problems(values) -> list[str]:
    """See DOCUMENTATION."""
    if not isinstance(values, Mapping):
        raise AnsibleFilterError(
            f"compose_env_problems: expects a mapping of names to values, got {values!r}"
        )
    problems = []
    for name, value in values.items():
        problem = compose_problem("" if value is None else str(value))
        if problem:
            problems.append(f"{name} contains {problem}")
    return problems


class FilterModule:
    """harbor_ha.cluster filters for values that reach env files."""

    def filters(self):
        return {"compose_env_problems": compose_env_problems}
