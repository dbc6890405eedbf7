"""Where the test installers' inputs come from; shared by build.py and the tests (standard library).

For each Harbor version the installer carries Harbor's own configuration files when they are
available (../shared/upstream/harbor-v<version>/ beside the checkout, as in CI) and the
equivalents in equivalent/ (1.1) or equivalent2/ (2.x) otherwise (a fresh clone elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EQUIVALENT = HERE / "equivalent"
EQUIVALENT2 = HERE / "equivalent2"

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


# --------------------------------------------------------------------------- Harbor 2.x

HARBOR2_VERSIONS = ("2.14.4", "2.15.2")
# What a 2.x installer carries from Harbor's files: the installer's harbor.yml.tmpl, the prepare
# image's templates (make/photon/prepare/templates) and core's migrations (make/migrations).
HARBOR2_PARTS = ("harbor.yml.tmpl", "prepare-templates", "migrations/postgresql")

# equivalent2/ is written for 2.15.2. Harbor 2.14.4's own files differ from 2.15.2's in these
# places only (diff of the two tags), so its equivalents are made from 2.15.2's with these edits.
EQUIVALENT2_EDITS = {
    "2.14.4": {
        "harbor.yml.tmpl": [
            ("_version: 2.15.0", "_version: 2.14.0"),
            ("  db_repository: ghcr.io/aquasecurity/trivy-db\n", ""),
            ("  java_db_repository: ghcr.io/aquasecurity/trivy-java-db\n", ""),
        ],
        "prepare-templates/docker_compose/docker-compose.yml.jinja": [
            ("goharbor/valkey-photon:", "goharbor/redis-photon:")
        ],
        "prepare-templates/core/env.jinja": [("READ_ONLY=false\n", "READ_ONLY=false\nSYNC_QUOTA=true\n")],
        "prepare-templates/registry/config.yml.jinja": [("  username: {{redis_username}}\n", "")],
        "prepare-templates/trivy-adapter/env.jinja": [
            ("SCANNER_TRIVY_DB_REPOSITORY={{trivy_db_repository}}\n", ""),
            ("SCANNER_TRIVY_JAVA_DB_REPOSITORY={{trivy_java_db_repository}}\n", ""),
        ],
        "migrations/postgresql/0180_2.15.0_schema.up.sql": None,
    }
}


def harbor2_source(version: str) -> Path | None:
    """Harbor's own files of a 2.x version, when they are beside the checkout."""
    upstream = upstream_dir()
    if upstream is not None and (upstream / f"harbor-v{version}").is_dir():
        return upstream / f"harbor-v{version}"
    return None


def _tree_files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for part in HARBOR2_PARTS
        for path in sorted([root / part] if (root / part).is_file() else (root / part).rglob("*"))
        if path.is_file()
    }


def equivalent2_files(version: str) -> dict[str, bytes]:
    files = _tree_files(EQUIVALENT2)
    for name, edits in EQUIVALENT2_EDITS.get(version, {}).items():
        if edits is None:
            del files[name]
            continue
        text = files[name].decode()
        for old, new in edits:
            if old not in text:
                raise ValueError(f"equivalent2/{name}: {old!r} not found; EQUIVALENT2_EDITS is out of step")
            text = text.replace(old, new)
        files[name] = text.encode()
    return files


def harbor2_files(version: str) -> dict[str, bytes]:
    """Relative path -> content of what the 2.x installer carries of Harbor's files."""
    source = harbor2_source(version)
    return _tree_files(source) if source is not None else equivalent2_files(version)
