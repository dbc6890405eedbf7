# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Action of harbor_ha.cluster.assert_rules (documented in plugins/modules/assert_rules.py)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.playbook.conditional import Conditional
from ansible.plugins.action import ActionBase

RULE_KEYS = frozenset(("that", "msg", "when"))


def conditionals(value, what: str) -> list:
    """A rule's `that` or `when`: one conditional or a non-empty list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    raise AnsibleActionFail(f"{what} must be a conditional or a non-empty list of conditionals")


class ActionModule(ActionBase):
    """Check rules in order; fail with the message of the first rule that does not hold."""

    _requires_connection = False
    _VALID_ARGS = frozenset(("rules",))

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        # ansible-core 2.19+: each rule's conditions and message are evaluated in run(), one rule
        # at a time, so a message may use what only a rule before it guarantees (a release's row
        # once the release is known). Rules given as one template (a variable) are resolved here.
        if name == "rules" and not isinstance(value, str):
            return value
        return super().finalize_task_arg(name, value, templar, context)

    def _holds(self, conditional: str, task_vars: dict) -> bool:
        evaluate = getattr(self._templar, "evaluate_conditional", None)
        if evaluate is not None:
            return bool(evaluate(conditional=conditional))
        # ansible-core before 2.19, as its assert action evaluates a conditional.
        check = Conditional(loader=self._loader)  # pragma: no cover
        check.when = [conditional]  # pragma: no cover
        return check.evaluate_conditional(templar=self._templar, all_vars=task_vars)  # pragma: no cover

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        rules = self._task.args.get("rules")
        if not isinstance(rules, list) or not rules:
            raise AnsibleActionFail("rules must be a non-empty list of rules (that, msg, optionally when)")

        held = not_applied = 0
        for number, rule in enumerate(rules, start=1):
            if not isinstance(rule, dict) or "that" not in rule or "msg" not in rule:
                raise AnsibleActionFail(f"rule {number} needs `that` and `msg` (and optionally `when`)")
            unknown = set(rule) - RULE_KEYS
            if unknown:
                raise AnsibleActionFail(f"rule {number} has unknown keys: {', '.join(sorted(unknown))}")
            if "when" in rule and not all(
                self._holds(c, task_vars) for c in conditionals(rule["when"], f"rule {number}'s when")
            ):
                not_applied += 1
                continue
            for conditional in conditionals(rule["that"], f"rule {number}'s that"):
                if not self._holds(conditional, task_vars):
                    result.update(
                        failed=True,
                        msg=self._templar.template(rule["msg"]),
                        assertion=conditional,
                        evaluated_to=False,
                        rule=number,
                    )
                    return result
            held += 1

        # Not `skipped`: Ansible would report the whole task as skipped.
        result.update(
            changed=False, msg=f"All {held} rules hold", rules_held=held, rules_not_applied=not_applied
        )
        return result
