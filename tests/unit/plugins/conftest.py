"""Fixtures for the plugin tests: Harbor's installer trees and a cluster's key material."""

import datetime
import importlib.util
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[3]
_SPEC = importlib.util.spec_from_file_location("installer_layout", ROOT / "tests" / "installer" / "layout.py")
layout = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(layout)


def installer_trees() -> list:
    """The test equivalents always; Harbor's own files of each version when they are here."""
    trees = [pytest.param(layout.EQUIVALENT, id="equivalent")]
    upstream = layout.upstream_dir()
    if upstream is not None:
        trees += [
            pytest.param(upstream / f"harbor-v{v}", id=f"upstream-{v}") for v in sorted(layout.REGISTRY_TAGS)
        ]
    return trees


@pytest.fixture(params=installer_trees())
def installer_tree(request) -> Path:
    return request.param


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_pkcs1(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def pem_pkcs8(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def pem_certificate(key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harbor-token-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="session")
def pkcs8_key(rsa_key) -> str:
    """The same key as OpenSSL 3 writes it by default, which Harbor 1.1 cannot read."""
    return pem_pkcs8(rsa_key)


@pytest.fixture(scope="session")
def token_pair(rsa_key) -> tuple[str, str]:
    """(PKCS#1 private key, certificate) as a cluster makes them once."""
    return pem_pkcs1(rsa_key), pem_certificate(rsa_key)


@pytest.fixture(scope="module")
def collections_path(tmp_path_factory):
    """This checkout as ansible_collections/harbor_ha/cluster, for ansible-doc and ansible-playbook."""
    root = tmp_path_factory.mktemp("collections")
    link = root / "ansible_collections" / "harbor_ha" / "cluster"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    return root
