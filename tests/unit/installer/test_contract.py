"""The test equivalents promise Harbor's shape: compared with Harbor's own files when they are here.

A fresh clone without ../shared/upstream has nothing to compare with: conftest.py then does not
collect this file (the installer carries the equivalents, whose use every other test exercises).
"""

import re
from pathlib import Path
from string import Template

import pytest
import yaml
from layout import EQUIVALENT, REGISTRY_TAGS, compose_text, upstream_dir

UPSTREAM = upstream_dir()
VERSIONS = sorted(REGISTRY_TAGS)
# Made by the builder for the equivalents (no private key in git).
GENERATED = {"ui/private_key.pem", "registry/root.crt"}


def upstream(version: str) -> Path:
    return UPSTREAM / f"harbor-v{version}"


def compose(tree: Path, version: str) -> dict:
    return yaml.safe_load(compose_text(tree, version))


def env_keys(service: dict) -> set[str]:
    environment = service.get("environment", [])
    items = environment if isinstance(environment, list) else [f"{k}={v}" for k, v in environment.items()]
    return {item.split("=", 1)[0] for item in items}


def shape(service: dict) -> dict:
    """What the collection relies on in a service (formatting and order aside)."""
    return {
        "image": service["image"],
        "container_name": service["container_name"],
        "restart": service.get("restart"),
        "volumes": sorted(service.get("volumes", [])),
        "ports": sorted(service.get("ports", [])),
        "env_file": service.get("env_file", []),
        "environment": env_keys(service),
        "command": service.get("command"),
        "depends_on": sorted(service.get("depends_on", [])),
        "networks": service.get("networks"),
        "logging": service.get("logging"),
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_compose_has_the_same_services_volumes_and_env(version):
    ours, theirs = compose(EQUIVALENT, version), compose(upstream(version), version)
    assert ours["version"] == theirs["version"]
    assert ours["networks"] == theirs["networks"]
    assert set(ours["services"]) == set(theirs["services"])
    for name, service in theirs["services"].items():
        assert shape(ours["services"][name]) == shape(service), name


def template_files(tree: Path) -> set[str]:
    root = tree / "common" / "templates"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_templates_are_the_same_files():
    for version in VERSIONS:
        assert template_files(EQUIVALENT) == template_files(upstream(version)) - GENERATED


def placeholders(text: str) -> set[str]:
    return {
        m.group("named") or m.group("braced")
        for m in Template.pattern.finditer(text)
        if m.group("named") or m.group("braced")
    }


def keys_of_env(text: str) -> set[str]:
    return {line.split("=", 1)[0] for line in text.splitlines() if "=" in line and not line.startswith("#")}


@pytest.mark.parametrize("name", sorted(template_files(EQUIVALENT)) if UPSTREAM else [])
def test_each_template_uses_the_same_variables_and_env_keys(name):
    ours = (EQUIVALENT / "common" / "templates" / name).read_text()
    for version in VERSIONS:
        theirs = (upstream(version) / "common" / "templates" / name).read_text()
        assert placeholders(ours) == placeholders(theirs), f"{name}: $variables differ"
        if name.endswith("env"):
            assert keys_of_env(ours) == keys_of_env(theirs), f"{name}: keys differ"


def cfg_keys(text: str) -> tuple[set[str], set[str]]:
    """(keys set, keys present only as a commented-out example)."""
    active = set(re.findall(r"^([a-z_]+)\s*=", text, re.MULTILINE))
    commented = set(re.findall(r"^#([a-z_]+)\s*=", text, re.MULTILINE))
    return active, commented - active


@pytest.mark.parametrize("version", VERSIONS)
def test_harbor_cfg_has_the_same_keys(version):
    assert cfg_keys((EQUIVALENT / "harbor.cfg").read_text()) == cfg_keys(
        (upstream(version) / "harbor.cfg").read_text()
    )


def top_level_items(body: str) -> list[str]:
    """A CREATE TABLE body split at the commas outside parentheses."""
    items, depth, current = [], 0, ""
    for char in body:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    return [*items, current.strip()]


def schema(text: str) -> dict[str, list[str]]:
    """table -> column names, from the CREATE TABLE statements of a registry.sql."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    text = re.sub(r"(#|--)[^\n]*", "", text)
    statements = re.findall(
        r"create table (?:if not exists )?`?(\w+)`?\s*\((.*?)\)\s*(?:engine[^;]*)?;", text, re.I | re.S
    )
    constraints = ("primary", "unique", "foreign", "index", "key")
    return {
        name.lower(): [
            item.split(None, 1)[0].strip("`").lower()
            for item in top_level_items(body)
            if item and item.split(None, 1)[0].lower() not in constraints
        ]
        for name, body in statements
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_schema_has_the_same_tables_and_columns(version):
    ours = schema((EQUIVALENT / "common" / "db" / "registry.sql").read_text())
    theirs = schema((upstream(version) / "common" / "db" / "registry.sql").read_text())
    assert ours == theirs
    assert "user" in ours
    assert "salt" in ours["user"]


@pytest.mark.parametrize("version", VERSIONS)
def test_registry_tag_table_matches_harbors_compose(version):
    images = {s["image"] for s in compose(upstream(version), version)["services"].values()}
    assert f"vmware/registry:{REGISTRY_TAGS[version]}" in images
