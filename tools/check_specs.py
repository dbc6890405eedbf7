#!/usr/bin/env python3
"""Keep every role's meta/argument_specs.yml and defaults/main.yml in step.

For each role under roles/ (entry point `main`; `preflight` for a role without one):
- every variable in defaults/main.yml is documented in the spec, and vice versa, except options
  marked `required: true` (in `main` or in another entry point), which must have no default (a
  secret or a site value);
- every variable starts with the role's name (`harbor_`, `cephfs_client_`...);
- every option has a type and a description, lists and dicts say their `elements`, and an option
  whose name says it is a secret is `no_log: true`.

Exit status 1 with one line per problem; 0 when all roles agree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

SECRET = re.compile(r"(password|passwd|secret|_token$|_key$|keyring)")


def load(path: Path) -> dict:
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def check_role(role_dir: Path) -> list[str]:
    role = role_dir.name
    where = f"roles/{role}"
    problems: list[str] = []
    spec_file = role_dir / "meta" / "argument_specs.yml"
    if not spec_file.exists():
        return [f"{where}: meta/argument_specs.yml is missing"]
    specs = load(spec_file).get("argument_specs", {})
    # A role without tasks of its own (the cluster model) has no `main`: its defaults are
    # documented in `preflight`.
    reference = "main" if "main" in specs or "preflight" not in specs else "preflight"
    if reference not in specs:
        return [f"{where}: argument_specs has no `{reference}` entry point"]
    options: dict = specs[reference].get("options") or {}
    defaults: dict = load(role_dir / "defaults" / "main.yml")
    # An option another entry point requires (a secret the whole cluster needs, say) has no
    # default either.
    required_elsewhere = {
        name
        for entry, spec in specs.items()
        if entry != reference
        for name, opt in ((spec or {}).get("options") or {}).items()
        if (opt or {}).get("required")
    }

    for name in sorted(set(defaults) - set(options)):
        problems.append(f"{where}: {name} is in defaults/main.yml but not in meta/argument_specs.yml")
    for name, raw in sorted(options.items()):
        opt = raw or {}
        required = bool(opt.get("required")) or name in required_elsewhere
        if required and name in defaults:
            problems.append(f"{where}: {name} is required in the spec but has a default")
        if not required and name not in defaults:
            problems.append(f"{where}: {name} is optional in the spec but missing from defaults/main.yml")
        problems += check_option(where, role, name, opt)
    return problems


def check_option(where: str, role: str, name: str, opt: dict, parent: str = "") -> list[str]:
    problems = []
    full = f"{parent}{name}"
    if not parent and not name.startswith(f"{role}_"):
        problems.append(f"{where}: {name} does not start with the role prefix `{role}_`")
    if "type" not in opt:
        problems.append(f"{where}: {full} has no type")
    if not parent and not opt.get("description"):
        problems.append(f"{where}: {full} has no description")
    if opt.get("type") == "list" and "elements" not in opt:
        problems.append(f"{where}: {full} is a list without `elements`")
    if SECRET.search(name) and opt.get("type") in ("str", "raw") and not opt.get("no_log"):
        problems.append(f"{where}: {full} looks like a secret: set `no_log: true`")
    for sub, sub_opt in (opt.get("options") or {}).items():
        problems += check_option(where, role, sub, sub_opt or {}, parent=f"{full}.")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1]
    roles = sorted(p for p in (root / "roles").iterdir() if p.is_dir()) if (root / "roles").is_dir() else []
    problems = [problem for role in roles for problem in check_role(role)]
    for problem in problems:
        print(problem)
    print(f"check_specs: {len(roles)} role(s), {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
