"""The node image's apt archive holds every package a role installs (no download per scenario)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def cached_packages() -> set[str]:
    text = (ROOT / "molecule" / "resources" / "node-packages.txt").read_text()
    return {line.split("#", 1)[0].strip() for line in text.splitlines()} - {""}


def role_packages() -> dict[str, set[str]]:
    """Literal package names in every `*_packages` variable of the roles' defaults and vars."""
    found: dict[str, set[str]] = {}
    for path in sorted(ROOT.glob("roles/*/defaults/main.yml")) + sorted(ROOT.glob("roles/*/vars/*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        for key, value in data.items():
            if key.endswith("_packages") and isinstance(value, list):
                names = {v for v in value if isinstance(v, str) and "{{" not in v}
                found[f"{path.relative_to(ROOT)}:{key}"] = names
    return found


def test_every_role_package_is_in_the_node_image_archive():
    cached = cached_packages()
    missing = {where: sorted(names - cached) for where, names in role_packages().items() if names - cached}
    assert not missing, f"add these to molecule/resources/node-packages.txt: {missing}"


def test_archive_list_has_no_duplicates():
    text = (ROOT / "molecule" / "resources" / "node-packages.txt").read_text()
    names = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    names = [n for n in names if n]
    assert len(names) == len(set(names))
