"""Where the test installer's inputs come from; shared by build.py and the tests (standard library).

For each Harbor version the installer carries Harbor's own configuration files when they are
available (../shared/upstream/harbor-v<version>/ beside the checkout, as in CI) and the
equivalents in equivalent/ otherwise (a fresh clone elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EQUIVALENT = HERE / "equivalent"

# Tag of vmware/registry that each Harbor release's docker-compose file names.
REGISTRY_TAGS = {"1.1.0": "photon-2.6.0", "1.1.2": "2.6.1-photon"}


def upstream_dir() -> Path | None:
    """Harbor's files: $HARBOR_HA_UPSTREAM (empty: none), else shared/upstream beside a parent."""
    configured = os.environ.get("HARBOR_HA_UPSTREAM")
    if configured is not None:
        return Path(configured) if configured and Path(configured).is_dir() else None
    for parent in ROOT.parents:
        candidate = parent / "shared" / "upstream"
        if candidate.is_dir():
            return candidate
    return None


def source_tree(version: str) -> Path:
    upstream = upstream_dir()
    if upstream is not None and (upstream / f"harbor-v{version}").is_dir():
        return upstream / f"harbor-v{version}"
    return EQUIVALENT


def compose_text(tree: Path, version: str) -> str:
    """docker-compose.yml as the release build makes it from docker-compose.tpl."""
    template = (tree / "docker-compose.tpl").read_text()
    return template.replace("__version__", f"v{version}").replace(
        "__registry_version__", REGISTRY_TAGS[version]
    )
