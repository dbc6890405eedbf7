"""The environment scaffold (templates/environment) and the inventories made from it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "templates" / "environment" / "examples").glob("*.yml"))
RENDERED = ("hosts.yml", "group_vars/all/main.yml", "group_vars/all/vault.yml.example")
GROUPS = {"harbor_nodes", "harbor_db", "harbor_redis", "harbor_lb"}


def tool(name: str) -> str:
    """A tool of the venv pytest runs in, else of PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def new_environment(tmp_path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false")
    cmd = [tool("ansible-playbook"), str(ROOT / "playbooks" / "new_environment.yml")]
    cmd += ["-e", f"environment_inventories={tmp_path}", *extra]
    return subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True, check=False)


@pytest.mark.parametrize("answers", EXAMPLES, ids=lambda p: p.stem)
def test_committed_example_is_what_the_scaffold_renders(tmp_path, answers):
    result = new_environment(tmp_path, "-e", f"@{answers}")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    name = yaml.safe_load(answers.read_text())["environment_name"]
    for path in RENDERED:
        rendered = (tmp_path / name / path).read_text()
        assert rendered == (ROOT / "inventories" / name / path).read_text(), f"{name}/{path} is out of step"


def test_existing_environment_is_never_overwritten(tmp_path):
    (tmp_path / "staging").mkdir()
    result = new_environment(tmp_path, "-e", f"@{EXAMPLES[0]}", "-e", "environment_name=staging")
    assert result.returncode != 0
    assert "inventories/staging exists already" in result.stdout
    assert list((tmp_path / "staging").iterdir()) == []


def test_missing_answers_are_named(tmp_path):
    result = new_environment(tmp_path, "-e", "environment_name=qa")
    assert result.returncode != 0
    assert "missing: environment_hostname" in " ".join(result.stdout.split())
    assert not (tmp_path / "qa").exists()


@pytest.mark.parametrize("environment", ["sandbox", "sandbox2", "staging", "production"])
def test_inventory_has_the_groups_site_yml_needs(environment):
    result = subprocess.run(
        [tool("ansible-inventory"), "-i", str(ROOT / "inventories" / environment), "--list"],
        text=True,
        capture_output=True,
        check=True,
    )
    inventory = json.loads(result.stdout)
    for group in GROUPS:
        assert inventory[group]["hosts"], f"{environment}: no host in {group}"
    # Secrets come from a vault, never from the committed files.
    committed = "".join(p.read_text() for p in (ROOT / "inventories" / environment).rglob("*.yml"))
    assert "vault_harbor_admin_password }}" in committed
    for secret in ("Harbor12345", "root123"):
        assert secret not in committed


def test_a_harbor_2_environment_gets_the_postgresql_role_s_secret(tmp_path):
    """The scaffold for Harbor 2.x differs in the database group's secret only (issue 14)."""
    result = new_environment(
        tmp_path,
        "-e",
        f"@{EXAMPLES[0]}",
        "-e",
        "environment_name=two",
        "-e",
        "environment_harbor_version=2.15.2",
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    settings = (tmp_path / "two" / "group_vars" / "all" / "main.yml").read_text()
    vault = (tmp_path / "two" / "group_vars" / "all" / "vault.yml.example").read_text()
    assert 'postgresql_admin_password: "{{ vault_postgresql_admin_password }}"' in settings
    assert "mysql" not in settings + vault
    assert 'cluster_harbor_version: "2.15.2"' in settings
    assert 'vault_postgresql_admin_password: ""' in vault


@pytest.mark.parametrize("environment", ["sandbox", "sandbox2", "staging", "production"])
def test_inventory_sets_each_fact_once(environment):
    """The cluster model's facts, never a role's copy of one (site.yml's preflight refuses those)."""
    owned = yaml.safe_load((ROOT / "roles" / "cluster" / "vars" / "main.yml").read_text())["_cluster_owned"]
    result = subprocess.run(
        [tool("ansible-inventory"), "-i", str(ROOT / "inventories" / environment), "--list", "--export"],
        text=True,
        capture_output=True,
        check=True,
    )
    inventory = json.loads(result.stdout)
    names = set(inventory.get("all", {}).get("vars", {}))
    for group in inventory.values():
        names |= set(group.get("vars", {}) if isinstance(group, dict) else {})
    for host_vars in inventory.get("_meta", {}).get("hostvars", {}).values():
        names |= set(host_vars)
    assert "cluster_name" in names
    assert not names & set(owned), sorted(names & set(owned))
