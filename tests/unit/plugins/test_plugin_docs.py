"""Every plugin's DOCUMENTATION, EXAMPLES and RETURN parse as YAML (what ansible-doc reads)."""

import ast
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
