"""Harbor 1.1's test offline installer: its layout, its images, and a node running it for real.

The node runs the installer's compose project (real registry, nginx, rsyslog and MariaDB, Python
stand-ins for adminserver, ui and jobservice) with common/config rendered by harbor_prepare.
Clients are the node's own docker and curl, through nginx at the node's address.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
INSTALLERS = PROJECT / ".cache" / "installers"
sys.path.insert(0, str(PROJECT / "tests" / "installer"))
from harbor_standin import core  # noqa: E402
from layout import REGISTRY_TAGS, source_tree  # noqa: E402

testinfra_hosts = ["installer-node1"]
ADDRESS = "10.201.4.11"  # molecule.yml
SERVICES = {"registry", "mysql", "adminserver", "ui", "jobservice", "proxy"}
CONTAINERS = {
    "harbor-log",
    "registry",
    "harbor-db",
    "harbor-adminserver",
    "harbor-ui",
    "harbor-jobservice",
    "nginx",
}
IMAGE = f"{ADDRESS}/library/installer-tiny:1"


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def harbor_dir(hostvars) -> str:
    return f"{hostvars['installer_dir']}/v{hostvars['installer_version']}/harbor"


def compose_images(text: str) -> set[str]:
    return {service["image"] for service in yaml.safe_load(text)["services"].values()}


def curl(host, *args: str) -> tuple[int, str]:
    """(HTTP status, body) of a request from the node."""
    out = host.check_output("curl -sS -o /tmp/installer-body -w '%{http_code}' " + " ".join(args))
    return int(out), host.file("/tmp/installer-body").content_string


# --------------------------------------------------------------------------- the tarballs


def expected_members(version: str) -> set[str]:
    templates = source_tree(version) / "common" / "templates"
    names = {f"common/templates/{p.relative_to(templates)}" for p in templates.rglob("*") if p.is_file()}
    names |= {"common/templates/ui/private_key.pem", "common/templates/registry/root.crt"}
    names |= {"harbor.cfg", "prepare", "docker-compose.yml", "install.sh", "LICENSE", "NOTICE"}
    names.add(f"harbor.v{version}.tar.gz")
    return {f"harbor/{name}" for name in names}


def saved_repo_tags(inner) -> set[str]:
    """RepoTags of the manifest.json of a `docker save` stream: what `docker load` will name."""
    with tarfile.open(fileobj=inner, mode="r|gz") as images:
        for member in images:
            if member.name == "manifest.json":
                return {tag for image in json.load(images.extractfile(member)) for tag in image["RepoTags"]}
    raise AssertionError("no manifest.json in the image file")


@pytest.mark.parametrize("version", sorted(REGISTRY_TAGS))
def test_tarball_has_harbors_layout_and_the_compose_images(version):
    tarball = INSTALLERS / f"harbor-offline-installer-v{version}.tgz"
    recorded = (INSTALLERS / f"{tarball.name}.sha256").read_text().split()
    assert recorded == [hashlib.sha256(tarball.read_bytes()).hexdigest(), tarball.name]
    with tarfile.open(tarball) as tar:
        members = {m.name for m in tar.getmembers() if m.isfile()}
        assert members == expected_members(version)
        assert tar.getmember("harbor/install.sh").mode & 0o111
        compose = tar.extractfile("harbor/docker-compose.yml").read().decode()
        assert "__version__" not in compose
        assert f"vmware/registry:{REGISTRY_TAGS[version]}" in compose
        assert saved_repo_tags(tar.extractfile(f"harbor/harbor.v{version}.tar.gz")) == compose_images(compose)


def test_builder_second_run_rebuilds_nothing():
    # The 1.1 installers of this scenario (setup builds the 2.x ones beside them).
    tarballs = sorted(INSTALLERS.glob("harbor-offline-installer-v1.*.tgz"))
    assert len(tarballs) == len(REGISTRY_TAGS)
    before = {p: p.stat().st_mtime_ns for p in tarballs}
    result = subprocess.run(
        [sys.executable, str(PROJECT / "tests" / "installer" / "build.py"), "--out", str(INSTALLERS)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "built: nothing" in result.stdout, result.stdout
    assert "building" not in result.stdout
    assert {p: p.stat().st_mtime_ns for p in tarballs} == before


# --------------------------------------------------------------------------- the images on the node


def test_docker_load_yields_exactly_the_images_compose_names(host, harbor_dir):
    named = compose_images(host.file(f"{harbor_dir}/docker-compose.yml").content_string)
    loaded = host.check_output(f"docker load --input {harbor_dir}/harbor.v*.tar.gz")
    assert set(re.findall(r"^Loaded image: (\S+)$", loaded, re.MULTILINE)) == named
    on_node = set(host.check_output("docker images --format '{{.Repository}}:{{.Tag}}' 'vmware/*'").split())
    assert on_node == named


def test_every_image_says_it_is_a_stand_in(host, harbor_dir):
    named = compose_images(host.file(f"{harbor_dir}/docker-compose.yml").content_string)
    for image in named:
        label = host.check_output(
            f"docker image inspect --format '{{{{index .Config.Labels \"org.harbor-ha.standin\"}}}}' {image}"
        )
        assert label, image
        if re.search(r"harbor-(adminserver|ui|jobservice):", image):
            assert label.startswith("STAND-IN"), image


def test_every_service_runs_under_harbors_container_name(host):
    states = {}
    for line in host.check_output("docker ps --all --format '{{.Names}}'").split():
        states[line] = json.loads(host.check_output(f"docker inspect --format '{{{{json .State}}}}' {line}"))
    assert set(states) == CONTAINERS
    for name, state in states.items():
        assert state["Running"] and not state["Restarting"], (name, state)
    restarts = {
        name: host.check_output(f"docker inspect --format '{{{{.RestartCount}}}}' {name}") for name in states
    }
    assert set(restarts.values()) == {"0"}, restarts


# --------------------------------------------------------------------------- Harbor through nginx


def test_systeminfo_answers_through_nginx(host, hostvars):
    status, body = curl(host, f"http://{ADDRESS}/api/systeminfo")
    assert status == 200
    info = json.loads(body)
    assert info["registry_url"] == ADDRESS
    assert info["harbor_version"] == f"v{hostvars['installer_version']}"
    assert info["auth_mode"] == "db_auth"


def test_login_opens_a_session_that_the_api_accepts(host, hostvars):
    form = (
        f"--data-urlencode principal=admin --data-urlencode password={hostvars['installer_admin_password']}"
    )
    status, _ = curl(host, f"-c /tmp/installer-cookies {form} http://{ADDRESS}/login")
    assert status == 200
    assert "beegosessionID" in host.file("/tmp/installer-cookies").content_string
    status, body = curl(host, f"-b /tmp/installer-cookies http://{ADDRESS}/api/users/current")
    assert status == 200
    user = json.loads(body)
    assert (user["user_id"], user["username"], user["has_admin_role"]) == (1, "admin", 1)
    assert curl(host, f"http://{ADDRESS}/api/users/current")[0] == 401


def test_wrong_password_is_refused(host):
    status, _ = curl(
        host, f"--data-urlencode principal=admin --data-urlencode password=wrong http://{ADDRESS}/login"
    )
    assert status == 401
    login = host.run(f"docker login --username admin --password wrong {ADDRESS}")
    assert login.rc != 0
    assert "unauthorized" in login.stderr.lower()


@pytest.fixture(scope="module")
def pushed_image(host, hostvars):
    """A tiny image made on the node, pushed through nginx, removed locally, pulled back."""
    password = hostvars["installer_admin_password"]
    host.check_output(f"docker login --username admin --password {password} {ADDRESS}")
    host.check_output(
        "rm -rf /tmp/tiny && mkdir /tmp/tiny && echo installer-scenario > /tmp/tiny/hello"
        f" && tar -C /tmp/tiny -c . | docker import - {IMAGE}"
    )
    image_id = host.check_output(f"docker image inspect --format '{{{{.Id}}}}' {IMAGE}")
    host.check_output(f"docker push {IMAGE}")
    host.check_output(f"docker rmi {IMAGE}")
    return image_id


def test_push_and_pull_through_nginx(host, pushed_image):
    assert host.run(f"docker image inspect {IMAGE}").rc != 0
    host.check_output(f"docker pull {IMAGE}")
    assert host.check_output(f"docker image inspect --format '{{{{.Id}}}}' {IMAGE}") == pushed_image
    assert host.file("/data/registry/docker/registry/v2/repositories/library/installer-tiny").is_directory


def manifest_status(host, token: str) -> int:
    accept = "Accept: application/vnd.docker.distribution.manifest.v2+json"
    url = f"http://{ADDRESS}/v2/library/installer-tiny/manifests/1"
    return curl(host, f"-H 'Authorization: Bearer {token}' -H '{accept}' {url}")[0]


def test_registry_refuses_a_token_signed_with_another_key(host, hostvars, pushed_image):
    access = core.resource_actions(["repository:library/installer-tiny:pull"])
    cluster_pem = host.file(f"{hostvars['installer_keys_dir']}/private_key.pem").content
    cluster_key = core.load_signing_key(cluster_pem)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def token(key) -> str:
        return core.make_token(key, "admin", core.REGISTRY_SERVICE, access, expiration_minutes=5)["token"]

    # The same request with the cluster's key is served: the refusals below are the key's doing.
    assert manifest_status(host, token(cluster_key)) == 200
    assert manifest_status(host, token(other_key)) == 401
    # Another key's signature under the cluster key's kid.
    _, claims, signature = token(other_key).split(".")
    header = token(cluster_key).split(".")[0]
    assert manifest_status(host, f"{header}.{claims}.{signature}") == 401
    assert other_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != cluster_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --------------------------------------------------------------------------- wiring inside the node


def test_log_container_writes_one_file_per_service(host):
    day = host.check_output("ls /var/log/harbor").split()[-1]
    logs = host.file(f"/var/log/harbor/{day}")
    assert {name.removesuffix(".log") for name in logs.listdir()} == SERVICES
    ui = host.file(f"/var/log/harbor/{day}/ui.log").content_string
    assert "initializing database: type-MySQL host-mysql port-3306 user-root database-registry" in ui
    assert "session provider: memory" in ui
    assert "PUT" in host.file(f"/var/log/harbor/{day}/registry.log").content_string


def test_admin_password_was_set_as_harbor_sets_it(host, hostvars):
    query = "SELECT salt, password FROM registry.user WHERE user_id = 1"
    row = host.check_output(
        f"docker exec -e MYSQL_PWD={hostvars['installer_db_password']} harbor-db mysql -uroot -N -e '{query}'"
    ).split()
    salt, stored = row
    assert len(salt) == 32
    assert (
        stored
        == hashlib.pbkdf2_hmac(
            "sha1", hostvars["installer_admin_password"].encode(), salt.encode(), 4096, 16
        ).hex()
    )


def test_adminserver_stores_passwords_encrypted_with_the_secret_key(host, hostvars):
    stored = json.loads(host.file("/data/config/config.json").content_string)
    assert stored["mysql_password"].startswith("<enc-v1>")
    assert hostvars["installer_db_password"] not in json.dumps(stored)
    assert (
        core.reversible_decrypt(stored["mysql_password"], hostvars["installer_secretkey"])
        == hostvars["installer_db_password"]
    )
    assert stored["ext_endpoint"] == f"http://{ADDRESS}"


def test_jobservice_reached_mysql_and_checks_the_ui_secret(host, hostvars):
    probe = (
        "import sys, urllib.request, urllib.error\n"
        "req = urllib.request.Request('http://jobservice/api/jobs/health')\n"
        "if len(sys.argv) > 1: req.add_header('Cookie', 'secret=' + sys.argv[1])\n"
        "try: print(urllib.request.urlopen(req).read().decode())\n"
        "except urllib.error.HTTPError as e: print(e.code)\n"
    )
    encoded = base64.b64encode(probe.encode()).decode()
    run = f"docker exec harbor-ui python3 -c \"import base64; exec(base64.b64decode('{encoded}'))\""
    health = json.loads(host.check_output(f"{run} {hostvars['installer_ui_secret']}"))
    assert health == {"database": "mysql:3306/registry", "replication_jobs": 0}
    assert host.check_output(run) == "401"
    assert host.check_output(f"{run} wrong-secret") == "403"


# --------------------------------------------------------------------------- ui sessions in Redis


def start_ui(host, hostvars, harbor_dir, *, name: str, port: int, redis_url: str = "", key: str = "") -> None:
    """Another ui of this installation on the compose network, published on 127.0.0.1:port."""
    config = f"{harbor_dir}/common/config/ui"
    key = key or f"{config}/private_key.pem"
    host.check_output(
        f"docker run -d --name {name} --network harbor_harbor -p 127.0.0.1:{port}:80"
        f" --env-file {config}/env -e _REDIS_URL={redis_url}"
        f" -v {config}/app.conf:/etc/ui/app.conf -v {key}:/etc/ui/private_key.pem"
        f" vmware/harbor-ui:v{hostvars['installer_version']}"
    )


def wait_for_ui(host, port: int) -> None:
    for _ in range(30):
        if host.run(f"curl -sf http://127.0.0.1:{port}/api/systeminfo").rc == 0:
            return
        time.sleep(1)
    raise AssertionError(f"the ui on port {port} did not answer within 30 s")


@pytest.fixture
def redis_ui(host, hostvars, harbor_dir):
    name, port = "installer-ui-redis", 8081
    redis_url = f"{ADDRESS}:6379,100,{hostvars['installer_redis_password']},0"
    start_ui(host, hostvars, harbor_dir, name=name, port=port, redis_url=redis_url)
    wait_for_ui(host, port)
    yield port
    host.run(f"docker rm -f {name}")


def test_ui_keeps_sessions_in_the_redis_of_redis_url(host, hostvars, redis_ui):
    form = (
        f"--data-urlencode principal=admin --data-urlencode password={hostvars['installer_admin_password']}"
    )
    status, _ = curl(host, f"-c /tmp/installer-redis-cookies {form} http://127.0.0.1:{redis_ui}/login")
    assert status == 200
    sid = re.search(
        r"beegosessionID\s+(\w+)", host.file("/tmp/installer-redis-cookies").content_string
    ).group(1)
    redis = f"redis-cli -h {ADDRESS} -a {hostvars['installer_redis_password']} --no-auth-warning"
    assert json.loads(host.check_output(f"{redis} GET {sid}")) == {"userId": 1, "username": "admin"}
    assert 3500 < int(host.check_output(f"{redis} TTL {sid}")) <= 3600
    cookie = f"-b beegosessionID={sid}"
    assert curl(host, f"{cookie} http://127.0.0.1:{redis_ui}/api/users/current")[0] == 200
    # The compose ui keeps its sessions in memory: it does not know this one.
    assert curl(host, f"{cookie} http://{ADDRESS}/api/users/current")[0] == 401
    logs = host.check_output("docker logs installer-ui-redis 2>&1")
    assert f"session provider: redis {ADDRESS}:6379 db 0 pool 100, password set" in logs


def test_ui_with_a_wrong_redis_password_stops_and_says_why(host, hostvars, harbor_dir):
    name = "installer-ui-bad-redis"
    try:
        start_ui(
            host, hostvars, harbor_dir, name=name, port=8082, redis_url=f"{ADDRESS}:6379,100,wrong-password,0"
        )
        assert host.check_output(f"timeout 60 docker wait {name}") == "1"
        logs = host.check_output(f"docker logs {name} 2>&1")
        assert "[FATAL] failed to initialize:" in logs
        assert re.search(r"(?i)invalid password|WRONGPASS|auth", logs), logs
    finally:
        host.run(f"docker rm -f {name}")


def test_ui_refuses_to_sign_with_a_pkcs8_key(host, hostvars, harbor_dir):
    """OpenSSL 3 writes PKCS#8 by default; Harbor 1.1 (and so its stand-in) reads only PKCS#1."""
    name, port = "installer-ui-pkcs8", 8083
    host.check_output("openssl genrsa -out /tmp/installer-pkcs8.pem 2048")
    assert host.file("/tmp/installer-pkcs8.pem").content_string.startswith("-----BEGIN PRIVATE KEY-----")
    try:
        start_ui(host, hostvars, harbor_dir, name=name, port=port, key="/tmp/installer-pkcs8.pem")
        wait_for_ui(host, port)
        credentials = f"-u admin:{hostvars['installer_admin_password']}"
        query = "service=harbor-registry&scope=repository:library/installer-tiny:pull"
        assert curl(host, f"{credentials} 'http://127.0.0.1:{port}/service/token?{query}'")[0] == 500
        assert "PEM type: PRIVATE KEY (PKCS#8" in host.check_output(f"docker logs {name} 2>&1")
    finally:
        host.run(f"docker rm -f {name}")
