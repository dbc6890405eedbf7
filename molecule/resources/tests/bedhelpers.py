"""Helpers for the scenarios' testinfra tests (on PYTHONPATH through .config/molecule/config.yml).

Tests that must see a playbook fail (bad input, guards) run it here, against the scenario's own
inventory and ansible.cfg, and assert on its exit status and output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def bed_host(name: str):
    """A testinfra host of the scenario's inventory, by its inventory name."""
    import testinfra  # noqa: PLC0415 - only the verifier's environment has it

    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def host_fixture(name: str, prefix: str):
    """A session fixture for the test host `name`, named after its role in the scenario (the
    name without `prefix`): `db = host_fixture("postgresql-db", "postgresql-")` in a conftest."""
    import pytest  # noqa: PLC0415 - only the verifier's environment has it

    return pytest.fixture(scope="session", name=name.removeprefix(prefix))(lambda: bed_host(name))


def scenario_fixtures() -> dict:
    """The scenario's test fixtures: the group_vars of `all` in its molecule.yml."""
    import yaml  # noqa: PLC0415 - only the verifier's environment has it

    molecule_yml = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "molecule.yml"
    return yaml.safe_load(molecule_yml.read_text())["provisioner"]["inventory"]["group_vars"]["all"]


def ansible_playbook(
    playbook: str | Path,
    *args: str,
    extra_vars: dict | None = None,
    inventory: str | Path | None = None,
    timeout: int = 900,
) -> subprocess.CompletedProcess:
    """Run a playbook (path relative to the project root) against the scenario's inventory, or
    against `inventory`."""
    env = dict(os.environ)
    ephemeral = Path(env["MOLECULE_EPHEMERAL_DIRECTORY"])
    env.setdefault("ANSIBLE_CONFIG", str(ephemeral / "ansible.cfg"))
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    # Keep a failure's message in stdout, next to its task, where the tests look for it.
    env["ANSIBLE_DISPLAY_FAILED_STDERR"] = "false"
    cmd = [
        "ansible-playbook",
        "-i",
        str(inventory or env["MOLECULE_INVENTORY_FILE"]),
        str(PROJECT / playbook),
        *args,
    ]
    if extra_vars:
        cmd += ["--extra-vars", json.dumps(extra_vars)]
    return subprocess.run(cmd, env=env, text=True, capture_output=True, timeout=timeout, check=False)


def inventory_copy(
    directory: Path,
    *,
    without: tuple[str, ...] = (),
    groups: dict[str, list[str]] | None = None,
    host_vars: dict[str, dict] | None = None,
) -> Path:
    """A copy of the scenario's inventory in `directory`, for a run with other input: its
    group_vars without the variables in `without`, the groups in `groups` holding exactly those
    hosts, and `host_vars` added to their hosts. Returns the path to give `ansible_playbook`."""
    import yaml  # noqa: PLC0415 - only the verifier's environment has it

    source = Path(os.environ["MOLECULE_INVENTORY_FILE"])
    copy = directory / "inventory"
    shutil.copytree(source.parent, copy)
    group_vars = copy / "group_vars" / "all"
    values = yaml.safe_load(group_vars.read_text())
    for name in without:
        del values[name]
    group_vars.write_text(yaml.safe_dump(values))
    inventory = yaml.safe_load((copy / source.name).read_text())
    hosts = inventory["all"]["hosts"]
    for host, variables in (host_vars or {}).items():
        hosts[host] = {**hosts[host], **variables}
    for group, members in (groups or {}).items():
        inventory[group] = {"hosts": {host: hosts[host] for host in members}}
    for group in inventory.values():
        if group is not inventory["all"] and group.get("hosts"):
            group["hosts"] = {host: hosts[host] for host in group["hosts"]}
    (copy / source.name).write_text(yaml.safe_dump(inventory))
    return copy / source.name


def recap(result: subprocess.CompletedProcess) -> dict[str, dict[str, int]]:
    """PLAY RECAP of a run: {host: {ok, changed, unreachable, failed}}."""
    return {
        host: {"ok": int(ok), "changed": int(ch), "unreachable": int(un), "failed": int(fa)}
        for host, ok, ch, un, fa in RECAP.findall(ANSI.sub("", result.stdout))
    }


def failures(result: subprocess.CompletedProcess) -> str:
    """The failure results of a run (its `fatal:` and `failed:` lines), line wrapping undone.

    ansible-core 2.19 also prints the source of a failed task, fail_msg templates included: a
    message must be looked for in what the task returned, not in its source.
    """
    lines = ANSI.sub("", result.stdout + "\n" + result.stderr).splitlines()
    return " ".join(" ".join(line.split()) for line in lines if line.startswith(("fatal: [", "failed: [")))


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.5) -> float:
    """Seconds until `condition()` held; fails the test, naming `what`, after `timeout`."""
    import pytest  # noqa: PLC0415 - only the verifier's environment has it

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(interval)
    pytest.fail(f"{what}: not within {timeout} s")
