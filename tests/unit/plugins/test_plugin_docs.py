"""Every plugin documents itself: its DOCUMENTATION, EXAMPLES and RETURN parse, and ansible-doc shows
it (issue 12: a description item holding ": " parsed as YAML but broke ansible-doc)."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
FILTERS = sorted((ROOT / "plugins" / "filter").glob("*.py"))
TESTS = sorted((ROOT / "plugins" / "test").glob("*.py"))
MODULES = sorted((ROOT / "plugins" / "modules").glob("*.py"))


def doc_strings(path: Path) -> dict[str, str]:
    tree = ast.parse(path.read_text())
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN")
    }


@pytest.mark.parametrize("path", FILTERS + TESTS, ids=lambda p: p.stem)
def test_filter_and_test_plugins_document_themselves(path):
    docs = doc_strings(path)
    assert set(docs) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    documentation = yaml.safe_load(docs["DOCUMENTATION"])
    assert documentation["name"] == path.stem
    assert documentation["short_description"]
    assert isinstance(yaml.safe_load(docs["EXAMPLES"]), list)
    assert "_value" in yaml.safe_load(docs["RETURN"])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_module_documents_itself(path):
    docs = doc_strings(path)
    assert set(docs) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    documentation = yaml.safe_load(docs["DOCUMENTATION"])
    assert documentation["module"] == path.stem
    assert documentation["short_description"]
    assert documentation["attributes"]["check_mode"]["support"] in ("full", "partial", "none")
    examples = yaml.safe_load(docs["EXAMPLES"])
    assert isinstance(examples, list)
    assert any(f"harbor_ha.cluster.{path.stem}" in task for task in examples)
    assert isinstance(yaml.safe_load(docs["RETURN"]), dict)


def description_items(node, where: str):
    """Every description item of a parsed DOCUMENTATION or RETURN, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description":
                for item in value if isinstance(value, list) else [value]:
                    yield where, item
            yield from description_items(value, f"{where}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from description_items(item, where)


@pytest.mark.parametrize("path", FILTERS + TESTS + MODULES, ids=lambda p: p.stem)
def test_descriptions_are_text(path):
    """A description item holding ': ' parses as a mapping, which ansible-doc cannot show."""
    docs = doc_strings(path)
    for name in ("DOCUMENTATION", "RETURN"):
        for where, item in description_items(yaml.safe_load(docs[name]), name):
            assert isinstance(item, str), f"{path.name} {where}: {item!r} is not text"


@pytest.mark.parametrize("path", FILTERS + TESTS + MODULES, ids=lambda p: p.stem)
def test_documentation_comes_before_the_imports(path):
    """ansible-doc reads DOCUMENTATION without importing the plugin's dependencies."""
    tree = ast.parse(path.read_text())
    statements = [node for node in tree.body if not isinstance(node, ast.Expr)]
    first_import = next(
        (
            i
            for i, node in enumerate(statements)
            if isinstance(node, ast.Import)
            or (isinstance(node, ast.ImportFrom) and node.module != "__future__")
        ),
        len(statements),
    )
    assignments = [
        i
        for i, node in enumerate(statements)
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], "id", "") in ("DOCUMENTATION", "EXAMPLES", "RETURN")
    ]
    assert max(assignments) < first_import


@pytest.mark.parametrize(
    ("kind", "path"),
    [("filter", p) for p in FILTERS] + [("test", p) for p in TESTS] + [("module", p) for p in MODULES],
    ids=lambda v: v if isinstance(v, str) else v.stem,
)
def test_ansible_doc_shows_every_plugin(collections_path, kind, path):
    ansible_doc = Path(sys.executable).parent / "ansible-doc"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(ansible_doc), "-t", kind, "--json", f"harbor_ha.cluster.{path.stem}"],
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)[f"harbor_ha.cluster.{path.stem}"]
    assert shown["doc"]["short_description"]
    assert shown["examples"]
