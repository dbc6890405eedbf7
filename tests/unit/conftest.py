"""Make the checkout importable as ansible_collections.harbor_ha.cluster.

The test bed links the checkout into its venv (tools/testbed.py link_collection); this fallback
lets `pytest tests/unit` run from any Python that has ansible-core installed.
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _make_importable() -> None:
    try:
        import ansible_collections.harbor_ha.cluster  # noqa: F401, PLC0415
    except ImportError:
        tmp = Path(tempfile.mkdtemp(prefix="harbor_ha_collection."))
        link = tmp / "ansible_collections" / "harbor_ha" / "cluster"
        link.parent.mkdir(parents=True)
        link.symlink_to(ROOT, target_is_directory=True)
        sys.path.insert(0, str(tmp))


_make_importable()
