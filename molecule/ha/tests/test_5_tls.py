"""TLS ends at the load balancer: Harbor builds https URLs, the nodes stay on http behind it, and
a client that trusts the CA logs in, pushes and pulls over https (issue: load balancer)."""

from __future__ import annotations

import datetime
import shutil

import pytest
from bedhelpers import ANSI, ansible_playbook
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from ha_testlib import CLIENT, INVENTORY, LB, NODES, lb_servers, on

TLS_PORT = 8443
REGISTRY = f"{LB}:{TLS_PORT}"
IMAGE = f"{REGISTRY}/library/tls-probe:1"


def write_pem(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A CA and the load balancer's certificate signed by it (names: sandbox-lb)."""
    out = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harbor_ha test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LB)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(LB)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return {
        "ca": write_pem(out / "ca.crt", ca.public_bytes(pem)),
        "cert": write_pem(out / "lb.crt", cert.public_bytes(pem)),
        "key": write_pem(
            out / "lb.key",
            key.private_bytes(
                pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            ),
        ),
    }


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory, tls_files, admin_password):
    inventory = tmp_path_factory.mktemp("tls-inventory") / "sandbox"
    shutil.copytree(INVENTORY, inventory)
    # The cluster model's facts only: every role follows them (https for Harbor and the clients).
    settings = {
        "cluster_port": TLS_PORT,
        "cluster_tls_cert_file": tls_files["cert"],
        "cluster_tls_key_file": tls_files["key"],
        "cluster_tls_ca_file": tls_files["ca"],
        "loadbalancer_http_redirect_port": 8080,
    }
    result = ansible_playbook("playbooks/site.yml", inventory=inventory, extra_vars=settings, timeout=1800)
    assert result.returncode == 0, ANSI.sub("", result.stdout)[-4000:]
    on(CLIENT, f"docker login --username admin --password '{admin_password}' {REGISTRY}")
    return inventory


def test_harbor_is_told_it_is_behind_https(tls_cluster):
    for node in list(NODES)[:2]:
        env = on(node, "cat /opt/harbor/v*/harbor/common/config/adminserver/env").stdout
        assert f"EXT_ENDPOINT=https://{REGISTRY}" in env
        realm = on(node, "grep realm /opt/harbor/v*/harbor/common/config/registry/config.yml").stdout
        assert f"https://{REGISTRY}/service/token" in realm
        # The node itself still serves plain http to the load balancer: no certificate on it.
        assert (
            "ssl_certificate"
            not in on(node, "cat /opt/harbor/v*/harbor/common/config/nginx/nginx.conf").stdout
        )


def test_lb_serves_the_certificate_and_redirects_http(tls_cluster, tls_files):
    assert {s["status"] for s in lb_servers().values()} == {"UP"}
    ca_on_client = f"/etc/docker/certs.d/{REGISTRY}/ca.crt"
    assert on(CLIENT, f"test -f {ca_on_client}").returncode == 0
    ok = on(
        CLIENT,
        f"curl -sS --cacert {ca_on_client} -o /dev/null -w '%{{http_code}}' https://{REGISTRY}/api/systeminfo",
    )
    assert ok.stdout == "200"
    redirect = on(
        CLIENT, f"curl -sS -o /dev/null -w '%{{http_code}} %{{redirect_url}}' http://{LB}:8080/api/systeminfo"
    )
    assert redirect.stdout.startswith("302 https://") or redirect.stdout.startswith("301 https://")


def test_push_and_pull_over_https(tls_cluster):
    on(
        CLIENT,
        "rm -rf /tmp/tls && mkdir /tmp/tls && head -c 200000 /dev/urandom > /tmp/tls/blob"
        f" && tar -C /tmp/tls -c . | docker import - {IMAGE} >/dev/null && docker push {IMAGE}",
    )
    pushed = on(
        CLIENT, f"docker image inspect --format '{{{{index .RepoDigests 0}}}}' {IMAGE}"
    ).stdout.strip()
    on(CLIENT, f"docker rmi {IMAGE}")
    on(CLIENT, f"docker pull {IMAGE}")
    assert (
        on(CLIENT, f"docker image inspect --format '{{{{index .RepoDigests 0}}}}' {IMAGE}").stdout.strip()
        == pushed
    )
