"""The test installers' sources (tests/installer) are importable by these tests; a prepare harness."""

import itertools
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "installer"))

from harbor_standin.harbor2 import prepare as prepare2
from layout import HARBOR2_VERSIONS, harbor2_source, upstream_dir

# The contracts compare the equivalents with Harbor's own files: without them there is nothing
# to compare, so the file is not collected (rather than collected and skipped).
collect_ignore = [] if upstream_dir() else ["test_contract.py"]
if not any(harbor2_source(v) for v in HARBOR2_VERSIONS):
    collect_ignore.append("test_contract2.py")


def counting_random():
    """Fixed random strings: the n-th draw of length k is str(n) repeated to k characters."""
    counter = itertools.count()

    def draw(length: int) -> str:
        return (str(next(counter)) * length)[:length]

    return draw


def _harbor_yml(files: dict[str, bytes], **changes) -> dict:
    """harbor.yml as an operator edits harbor.yml.tmpl: a hostname, no https, then `changes`."""
    settings = yaml.safe_load(files["harbor.yml.tmpl"])
    settings["hostname"] = "10.0.0.1"
    del settings["https"]
    settings.update(changes)
    return settings


_EXTERNAL = {
    "external_database": {
        "harbor": {
            "host": "10.0.0.2",
            "port": 5432,
            "db_name": "registry",
            "username": "harbor",
            "password": "db-pass",
            "ssl_mode": "disable",
        }
    },
    "external_redis": {"host": "10.0.0.3:6379", "password": "redis-pass"},
}


class PrepareRun:
    """One prepare of a release's files into a temporary tree, as the image lays it out."""

    def __init__(self, root: Path, files: dict[str, bytes], version: str, keys: dict[str, bytes] | None):
        self.root = root
        for name, content in files.items():
            if name.startswith("prepare-templates/"):
                target = root / "templates" / name.removeprefix("prepare-templates/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        for name in ("config", "data", "compose", "hostfs"):
            (root / name).mkdir(exist_ok=True)
        (root / "versions").write_text(f"VERSION_TAG: v{version}\n")
        for name, content in (keys or {}).items():
            (root / "data" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "data" / name).write_bytes(content)
        self.paths = prepare2.Paths(
            templates=root / "templates",
            versions=root / "versions",
            config=root / "config",
            data=root / "data",
            hostfs=root / "hostfs",
            compose=root / "compose" / "docker-compose.yml",
            chown=False,
        )

    def __call__(self, settings: dict, with_trivy: bool = False, random=None) -> None:
        conf = self.root / "harbor.yml"
        conf.write_text(yaml.safe_dump(settings))
        prepare2.prepare(conf, with_trivy, self.paths, random or counting_random())

    def text(self, name: str) -> str:
        return (self.root / name).read_text()

    def env(self, name: str) -> dict[str, str]:
        lines = self.text(f"config/{name}").splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))

    def yaml(self, name: str):
        return yaml.safe_load(self.text(name))


@pytest.fixture
def fake_htpasswd(monkeypatch):
    """Apache's htpasswd is in the prepare image, not on the test machine: a stand-in file."""

    def write(path: Path, username: str, password: str) -> None:
        path.write_text(f"{username}:<bcrypt of {password}>\n")

    monkeypatch.setattr(prepare2, "htpasswd", write)


@pytest.fixture(scope="session")
def token_keys() -> dict[str, bytes]:
    """A key set under data_volume/secret, so that prepare makes none (a 4096-bit key takes seconds)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return {
        "secret/keys/secretkey": b"0123456789abcdef",
        "secret/core/private_key.pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        "secret/registry/root.crt": cert.public_bytes(serialization.Encoding.PEM),
    }


@pytest.fixture
def prepare_run(tmp_path, fake_htpasswd, token_keys):
    """prepare_run(files, version, fresh=False): a prepare tree; `fresh` leaves the key set to prepare."""

    def make(files: dict[str, bytes], version: str, fresh: bool = False, name: str = "run") -> PrepareRun:
        return PrepareRun(tmp_path / f"{name}-{version}", files, version, None if fresh else token_keys)

    return make


@pytest.fixture
def harbor_yml():
    """harbor.yml as an operator edits harbor.yml.tmpl: a hostname, no https, then the changes."""
    return _harbor_yml


@pytest.fixture
def external():
    """harbor.yml's external_database and external_redis sections (test values)."""
    return _EXTERNAL
