"""The action assert_rules, run by ansible-playbook on this machine (connection local).

It replaces runs of assert tasks in the roles' preflights, so it must keep what they did: the
first rule that does not hold stops the task with that rule's message, rendered; a rule after it
is never evaluated; a rule's `when` skips it; and a task written wrong says what is wrong.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]
FATAL = re.compile(r"^fatal: \[localhost\]: FAILED! => (\{.*\})$", re.M)

# Rules of the shape the roles use: rule 2's message reads the release's row, which exists only
# once rule 1 held; rule 4 reads a variable only a run with `extra` defines.
RULES = [
    {
        "that": "release in releases",
        "msg": "release {{ release }} is not known: {{ releases | list | join(', ') }}.",
    },
    {
        "that": "db_type in releases[release].db_types",
        "msg": (
            "db_type {{ db_type }}: release {{ release }} works with"
            " {{ releases[release].db_types | join(', ') }} only."
        ),
    },
    {
        "that": ["port | int >= 1", "port | int <= 65535"],
        "msg": "port ({{ port }}) must be from 1 to 65535.",
    },
    {
        "that": "extra | length > 0",
        "msg": "extra must not be empty.",
        "when": "extra is defined",
    },
]


def run(tmp_path, collections_path, rules=None, *, args=None, extra_vars=None, check=False):
    """Run one assert_rules task; the task's result as JSON (a failed one's from the output)."""
    result_file = tmp_path / "result.json"
    task_args = args if args is not None else {"rules": rules if rules is not None else RULES}
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {
                "releases": {"1.1.2": {"db_types": ["mysql"]}, "2.15.2": {"db_types": ["postgresql"]}},
                "release": "1.1.2",
                "db_type": "mysql",
                "port": 80,
            },
            "tasks": [
                {"name": "Check", "harbor_ha.cluster.assert_rules": task_args, "register": "checked"},
                {
                    "name": "Keep the result",
                    "ansible.builtin.copy": {"content": "{{ checked | to_json }}", "dest": str(result_file)},
                    "check_mode": False,
                },
            ],
        }
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        str(playbook),
    ]
    command += ["-e", json.dumps({"ansible_python_interpreter": sys.executable, **(extra_vars or {})})]
    if check:
        command.append("--check")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(command, env=env, text=True, capture_output=True, check=False)
    if proc.returncode == 0:
        return 0, json.loads(result_file.read_text()), proc.stdout
    fatal = FATAL.search(proc.stdout)
    assert fatal, proc.stdout + proc.stderr
    return proc.returncode, json.loads(fatal.group(1)), proc.stdout


def test_all_rules_hold(tmp_path, collections_path):
    rc, result, _ = run(tmp_path, collections_path)
    assert rc == 0
    assert result["rules_held"] == 3 and result["rules_not_applied"] == 1
    assert "skipped" not in result  # Ansible would show the task as skipped
    assert result["msg"] == "All 3 rules hold"
    assert result["changed"] is False


def test_a_rule_whose_when_holds_is_checked(tmp_path, collections_path):
    rc, result, _ = run(tmp_path, collections_path, extra_vars={"extra": ""})
    assert rc != 0
    assert result["msg"] == "extra must not be empty."
    assert result["rule"] == 4


def test_the_first_rule_that_fails_gives_its_message(tmp_path, collections_path):
    rc, result, _ = run(tmp_path, collections_path, extra_vars={"db_type": "postgresql", "port": 0})
    assert rc != 0
    assert result["msg"] == "db_type postgresql: release 1.1.2 works with mysql only."
    assert result["rule"] == 2
    assert result["assertion"] == "db_type in releases[release].db_types"


def test_a_later_rule_is_not_evaluated_after_a_failure(tmp_path, collections_path):
    """Rule 2's condition and message would fail to render for an unknown release."""
    rc, result, stdout = run(tmp_path, collections_path, extra_vars={"release": "1.2.0"})
    assert rc != 0
    assert result["msg"] == "release 1.2.0 is not known: 1.1.2, 2.15.2."
    assert "undefined" not in stdout


def test_the_failed_conditional_of_a_list_is_named(tmp_path, collections_path):
    rc, result, _ = run(tmp_path, collections_path, extra_vars={"port": 70000})
    assert rc != 0
    assert result["msg"] == "port (70000) must be from 1 to 65535."
    assert result["assertion"] == "port | int <= 65535"


def test_check_mode_checks_the_same(tmp_path, collections_path):
    rc, result, _ = run(tmp_path, collections_path, extra_vars={"port": "x"}, check=True)
    assert rc != 0
    assert result["msg"] == "port (x) must be from 1 to 65535."


def test_an_error_in_a_condition_fails_the_task(tmp_path, collections_path):
    rules = [{"that": "missing_variable | length > 0", "msg": "never shown"}]
    rc, result, _ = run(tmp_path, collections_path, rules)
    assert rc != 0
    assert "missing_variable" in result["msg"]
    assert "never shown" not in result["msg"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"rules": [{"that": "true"}]}, "rule 1 needs `that` and `msg`"),
        ({"rules": [{"that": "true", "msg": "m", "fail_msg": "m"}]}, "rule 1 has unknown keys: fail_msg"),
        ({"rules": []}, "rules must be a non-empty list"),
        ({"rules": [{"that": [], "msg": "m"}]}, "rule 1's that must be a conditional or a non-empty list"),
        (
            {"rules": [{"that": "true", "msg": "m"}], "quiet": True},
            "Invalid options for harbor_ha.cluster.assert_rules: quiet",
        ),
    ],
    ids=["no message", "unknown key", "no rules", "empty that", "unknown option"],
)
def test_a_task_written_wrong_says_what_is_wrong(tmp_path, collections_path, args, error):
    rc, result, _ = run(tmp_path, collections_path, args=args)
    assert rc != 0
    assert error in result["msg"]


def test_the_roles_preflights_use_it_with_one_message_per_rule():
    """Every rule in the roles' task files has a condition and a message of its own."""
    count = 0
    for path in sorted((ROOT / "roles").glob("*/tasks/**/*.yml")):
        for task in yaml.safe_load(path.read_text()) or []:
            for block_task in [task, *task.get("block", [])]:
                rules = block_task.get("harbor_ha.cluster.assert_rules", {}).get("rules", [])
                for rule in rules:
                    count += 1
                    assert set(rule) <= {"that", "msg", "when"}, f"{path}: {rule}"
                    assert rule["msg"].strip(), f"{path}: a rule without a message"
    assert count >= 40, textwrap.shorten(f"only {count} rules found", 80)
