#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Documentation of the action harbor_ha.cluster.assert_rules (plugins/action/assert_rules.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: assert_rules
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.3.0
short_description: Check rules in order; fail with the message of the first that does not hold
description:
  - Evaluates the rules of O(rules) in order, on the controller. The first rule whose conditions
    do not all hold fails the task with that rule's message; the rules after it are not evaluated.
  - "What a sequence of M(ansible.builtin.assert) tasks does, with one message per rule, in one
    task: a role's preflight checks cost one task per host, not one per rule."
  - A rule's message is rendered only when the rule fails, so it may use what the rules before it
    guarantee (the row of a release, once the release is known to be one).
  - Never changes anything, and reads nothing from the host.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  rules:
    description: The rules, in the order they are checked.
    type: list
    elements: dict
    required: true
    suboptions:
      that:
        description:
          - A conditional, or a list of conditionals that must all hold (as M(ansible.builtin.assert)'s).
        type: list
        elements: str
        required: true
      msg:
        description:
          - The message of the failed task when the rule does not hold. Name the variable and the fix.
        type: str
        required: true
      when:
        description: The rule applies only when this conditional, or each of these conditionals, holds.
        type: list
        elements: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - The action runs on the controller (no connection to the host is made).
  - Before ansible-core 2.19, Ansible renders every message before the action runs; a message that
    cannot be rendered for the input fails the task with Ansible's own error instead of the message.
  - Like M(ansible.builtin.assert), the failed result holds the message and the failed conditional,
    never the values it compared; give the values a message may show only where they are not secret.
seealso:
  - module: ansible.builtin.assert
"""

EXAMPLES = r"""
- name: Check the node's settings
  harbor_ha.cluster.assert_rules:
    rules:
      - that: harbor_version in _cluster_releases
        msg: >-
          harbor_version {{ harbor_version }} is not supported; supported releases:
          {{ _cluster_releases | list | join(', ') }}.
      # Rendered only if it fails, so only for a release of the table.
      - that: harbor_db_type in _cluster_releases[harbor_version].db_types
        msg: >-
          harbor_db_type {{ harbor_db_type }}: Harbor {{ harbor_version }} works with
          {{ _cluster_releases[harbor_version].db_types | join(', ') }} only.
      - that:
          - harbor_proxy_port is harbor_ha.cluster.port
          - harbor_redis_port is harbor_ha.cluster.port
        msg: harbor_proxy_port and harbor_redis_port must be ports from 1 to 65535.
      # Applies to Harbor 1.1 only.
      - that: harbor_redis_password is not search(',')
        msg: Harbor 1.1's _REDIS_URL cannot carry a comma in harbor_redis_password.
        when: not _harbor_v2
"""

RETURN = r"""
msg:
  description: The message of the rule that failed, or how many rules held.
  returned: always
  type: str
  sample: All 12 rules hold
rules_held:
  description: How many rules were evaluated and held.
  returned: success
  type: int
  sample: 12
rules_not_applied:
  description: How many rules did not apply (their O(rules[].when) did not hold).
  returned: success
  type: int
  sample: 1
rule:
  description: The number of the rule that failed, from 1.
  returned: failure
  type: int
  sample: 3
assertion:
  description: The conditional of that rule that did not hold.
  returned: failure
  type: str
  sample: harbor_proxy_port is harbor_ha.cluster.port
"""
