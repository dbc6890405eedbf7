"""tools/check_specs.py finds roles whose argument specs and defaults disagree."""

import importlib.util
import textwrap
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "check_specs", Path(__file__).resolve().parents[3] / "tools" / "check_specs.py"
)
check_specs = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_specs)


def make_role(tmp_path, name, defaults, specs):
    role = tmp_path / "roles" / name
    (role / "defaults").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "defaults" / "main.yml").write_text(textwrap.dedent(defaults))
    (role / "meta" / "argument_specs.yml").write_text(textwrap.dedent(specs))
    return role


GOOD_SPECS = """\
    argument_specs:
      main:
        options:
          demo_port:
            type: int
            description: Port.
          demo_password:
            type: str
            required: true
            no_log: true
            description: The secret.
          demo_hosts:
            type: list
            elements: str
            description: Hosts.
"""
GOOD_DEFAULTS = """\
    demo_port: 80
    demo_hosts: []
"""


def test_role_in_step_has_no_problem(tmp_path):
    role = make_role(tmp_path, "demo", GOOD_DEFAULTS, GOOD_SPECS)
    assert check_specs.check_role(role) == []
    assert check_specs.main(["check_specs", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    ("defaults", "specs", "expected"),
    [
        (GOOD_DEFAULTS + "    demo_extra: 1\n", GOOD_SPECS, "demo_extra is in defaults/main.yml but not"),
        ("    demo_port: 80\n", GOOD_SPECS, "demo_hosts is optional in the spec but missing"),
        (
            GOOD_DEFAULTS + "    demo_password: changeme\n",
            GOOD_SPECS,
            "demo_password is required in the spec but has a default",
        ),
        (
            GOOD_DEFAULTS,
            GOOD_SPECS.replace("            no_log: true\n", ""),
            "demo_password looks like a secret",
        ),
        (
            GOOD_DEFAULTS,
            GOOD_SPECS.replace("            elements: str\n", ""),
            "demo_hosts is a list without `elements`",
        ),
        (
            GOOD_DEFAULTS + "    other_port: 1\n",
            GOOD_SPECS + "          other_port:\n            type: int\n            description: x\n",
            "other_port does not start with the role prefix `demo_`",
        ),
    ],
)
def test_role_out_of_step_is_reported(tmp_path, defaults, specs, expected):
    role = make_role(tmp_path, "demo", defaults, specs)
    problems = check_specs.check_role(role)
    assert any(expected in p for p in problems), problems
    assert check_specs.main(["check_specs", str(tmp_path)]) == 1


def test_missing_spec_file_is_reported(tmp_path):
    role = tmp_path / "roles" / "bare"
    (role / "defaults").mkdir(parents=True)
    assert check_specs.check_role(role) == ["roles/bare: meta/argument_specs.yml is missing"]


def test_repository_roles_are_in_step():
    root = Path(__file__).resolve().parents[3]
    assert check_specs.main(["check_specs", str(root)]) == 0
