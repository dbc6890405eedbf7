"""Harbor 2.x's test offline installer: its layout and images, and a node running 2.15.2 for real.

The node ran the installer's own ./install.sh (and so ./prepare) with an external PostgreSQL 15
and Redis on installer2-data: real registry, nginx, rsyslog, PostgreSQL and Redis; Python
stand-ins of prepare, core, jobservice, registryctl, portal and exporter. Clients are the node's
own docker and curl, through nginx at the node's address, and extra cores started beside
compose's to show what two nodes see.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tarfile
import time

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(__import__("installer2_testlib").PROJECT / "tests" / "installer"))
from harbor_standin import core as harbor1
from harbor_standin.harbor2 import rules
from installer2_testlib import (
    ADDRESS,
    DATA_ADDRESS,
    INSTALLERS,
    PROJECT,
    SECRET_REQUEST,
    create_project,
    csrf_session,
    curl,
    env_file,
    in_container,
    remove,
    start_core,
    wait_for_core,
    wait_logged,
)
from layout import HARBOR2_VERSIONS, harbor2_files

testinfra_hosts = ["installer2-node1"]
CONTAINERS = {
    "harbor-log",
    "registry",
    "registryctl",
    "harbor-core",
    "harbor-portal",
    "harbor-jobservice",
    "nginx",
    "harbor-exporter",
}
LOGS = {"core", "registry", "registryctl", "portal", "jobservice", "proxy", "exporter"}
# A private project: Harbor lets anyone pull from a public one, whatever token they send.
PROJECT_NAME = "installer2"
REPOSITORY = f"{PROJECT_NAME}/tiny"
IMAGE = f"{ADDRESS}/{REPOSITORY}:1"
JOBS = "{harbor_job_service_namespace}:jobs:SAMPLE"


def redis_cli(hostvars) -> str:
    """redis-cli on the data host, logged in with the cluster's Redis password."""
    return f"redis-cli -a {hostvars['cluster_redis_password']} --no-auth-warning"


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def version(hostvars) -> str:
    return hostvars["installer2_version"]


@pytest.fixture(scope="module")
def harbor_dir(hostvars, version) -> str:
    return f"{hostvars['installer2_dir']}/v{version}/harbor"


@pytest.fixture(scope="module")
def data(host):
    import bedhelpers  # noqa: PLC0415

    return bedhelpers.bed_host("installer2-data")


def psql(data, database: str, sql: str) -> str:
    return data.check_output(f'runuser -u postgres -- psql -d {database} -Atc "{sql}"')


def migration_versions(version: str) -> list[int]:
    """The versions of the migrations the installer's core carries, in order."""
    names = [n.rsplit("/", 1)[1] for n in harbor2_files(version) if n.startswith("migrations/postgresql/")]
    return sorted(int(name.split("_", 1)[0]) for name in names)


def compose_images(text: str) -> set[str]:
    return {service["image"] for service in yaml.safe_load(text)["services"].values()}


# --------------------------------------------------------------------------- the tarballs


def saved_repo_tags(inner) -> set[str]:
    with tarfile.open(fileobj=inner, mode="r|gz") as images:
        for member in images:
            if member.name == "manifest.json":
                return {tag for image in json.load(images.extractfile(member)) for tag in image["RepoTags"]}
    raise AssertionError("no manifest.json in the image file")


@pytest.mark.parametrize("release", HARBOR2_VERSIONS)
def test_tarball_has_harbors_layout_and_every_image_of_the_compose_template(release):
    tarball = INSTALLERS / f"harbor-offline-installer-v{release}.tgz"
    recorded = (INSTALLERS / f"{tarball.name}.sha256").read_text().split()
    assert recorded == [hashlib.sha256(tarball.read_bytes()).hexdigest(), tarball.name]
    template = harbor2_files(release)["prepare-templates/docker_compose/docker-compose.yml.jinja"].decode()
    named = {f"{repo}:v{release}" for repo in re.findall(r"image: (goharbor/[\w-]+):", template)}
    named -= {f"goharbor/trivy-adapter-photon:v{release}"}  # not built: README.md
    with tarfile.open(tarball) as tar:
        members = {m.name for m in tar.getmembers() if m.isfile()}
        assert members == {
            f"harbor/{name}"
            for name in (
                "harbor.yml.tmpl",
                "prepare",
                "install.sh",
                "common.sh",
                "LICENSE",
                f"harbor.v{release}.tar.gz",
            )
        }
        for script in ("prepare", "install.sh"):
            assert tar.getmember(f"harbor/{script}").mode & 0o111
        assert f"goharbor/prepare:v{release} prepare" in tar.extractfile("harbor/prepare").read().decode()
        saved = saved_repo_tags(tar.extractfile(f"harbor/harbor.v{release}.tar.gz"))
    assert saved == named | {f"goharbor/prepare:v{release}"}
    redis = "valkey-photon" if release == "2.15.2" else "redis-photon"
    assert f"goharbor/{redis}:v{release}" in saved


def test_builder_second_run_rebuilds_nothing():
    tarballs = sorted(INSTALLERS.glob("harbor-offline-installer-v2.*.tgz"))
    assert len(tarballs) == len(HARBOR2_VERSIONS)
    before = {p: p.stat().st_mtime_ns for p in tarballs}
    args = [arg for v in HARBOR2_VERSIONS for arg in ("--version", v)]
    result = subprocess.run(
        [sys.executable, str(PROJECT / "tests" / "installer" / "build.py"), *args, "--out", str(INSTALLERS)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "built: nothing" in result.stdout, result.stdout
    assert {p: p.stat().st_mtime_ns for p in tarballs} == before


# --------------------------------------------------------------------------- the node


def test_compose_runs_harbors_containers_without_the_bundled_database_and_redis(host, harbor_dir):
    compose = yaml.safe_load(host.file(f"{harbor_dir}/docker-compose.yml").content_string)
    assert "postgresql" not in compose["services"]
    assert "redis" not in compose["services"]
    running = set(host.check_output("docker ps --format '{{.Names}}'").split())
    assert running >= CONTAINERS
    for name in CONTAINERS:
        state = json.loads(host.check_output(f"docker inspect --format '{{{{json .State}}}}' {name}"))
        assert state["Running"] and not state["Restarting"], (name, state)
        assert host.check_output(f"docker inspect --format '{{{{.RestartCount}}}}' {name}") == "0", name


def test_every_image_says_what_it_is(host, harbor_dir, version):
    for image in compose_images(host.file(f"{harbor_dir}/docker-compose.yml").content_string) | {
        f"goharbor/prepare:v{version}"
    }:
        label = host.check_output(
            f"docker image inspect --format '{{{{index .Config.Labels \"org.harbor-ha.standin\"}}}}' {image}"
        )
        assert label, image
        stand_in = re.search(
            r"/(prepare|harbor-core|harbor-jobservice|harbor-registryctl|harbor-exporter|harbor-portal):",
            image,
        )
        assert label.startswith("STAND-IN") == bool(stand_in), (image, label)


def test_services_run_as_harbors_users(host):
    for name in ("harbor-core", "registry", "harbor-jobservice", "registryctl", "nginx", "harbor-portal"):
        assert host.check_output(f"docker exec {name} id -u") == "10000", name


def test_per_service_logs(host, hostvars):
    files = {name.removesuffix(".log") for name in host.file("/var/log/harbor").listdir()}
    assert files >= LOGS
    core = host.file("/var/log/harbor/core.log").content_string
    assert (
        f"initializing database: type-PostgreSQL host-{DATA_ADDRESS} port-5432 user-harbor database-registry"
        in core
    )
    assert re.search(rf"session provider: redis redis://:\(\d+ chars\)@{DATA_ADDRESS}:6379", core)
    secrets_seen = [
        hostvars["cluster_db_password"],
        hostvars["cluster_redis_password"],
        hostvars["installer2_admin_password"],
    ]
    for name in LOGS:
        text = host.file(f"/var/log/harbor/{name}.log").content_string
        assert text.strip(), name
        assert not [s for s in secrets_seen if s in text], name


def test_health_and_ping_through_nginx(host):
    status, _, body = curl(host, f"http://{ADDRESS}/api/v2.0/ping")
    assert (status, body) == (200, "Pong")
    status, _, body = curl(host, f"http://{ADDRESS}/api/v2.0/health")
    health = json.loads(body)
    assert health["status"] == "healthy"
    assert {c["name"] for c in health["components"]} == {
        "core",
        "database",
        "jobservice",
        "portal",
        "redis",
        "registry",
        "registryctl",
    }


def test_portal_is_a_real_nginx_with_a_static_page(host):
    status, headers, body = curl(host, f"http://{ADDRESS}/")
    assert status == 200
    assert "Harbor portal STAND-IN" in body
    assert headers["x-frame-options"] == "DENY"


def test_systeminfo_hides_the_protected_part_from_anonymous_callers(host, hostvars, version):
    _, _, body = curl(host, f"http://{ADDRESS}/api/v2.0/systeminfo")
    assert "harbor_version" not in json.loads(body)
    _, _, body = curl(
        host, f"-u admin:{hostvars['installer2_admin_password']} http://{ADDRESS}/api/v2.0/systeminfo"
    )
    info = json.loads(body)
    assert info["harbor_version"] == f"v{version}-{rules.GIT_COMMITS[version]}"
    assert info["registry_url"] == ADDRESS
    assert info["external_url"] == f"http://{ADDRESS}"


def test_admin_password_was_set_as_harbor_215_sets_it(data, hostvars):
    salt, stored, scheme = psql(
        data, "registry", "SELECT salt, password, password_version FROM harbor_user WHERE user_id = 1"
    ).split("|")
    assert scheme == "pbkdf2_sha256"
    assert (
        stored
        == hashlib.pbkdf2_hmac(
            "sha256", hostvars["installer2_admin_password"].encode(), salt.encode(), 600000, 16
        ).hex()
    )


def test_migrations_are_harbors_and_applied_once(host, data, version):
    versions = migration_versions(version)
    assert psql(data, "registry", "SELECT version, dirty FROM schema_migrations") == f"{versions[-1]}|f"
    core = host.file("/var/log/harbor/core.log").content_string
    applied = re.findall(r"\] (\d+)/u ", core)
    assert sorted(map(int, applied)) == versions  # each once, none twice
    assert "The database has been migrated successfully" in core


# --------------------------------------------------------------------------- registry through nginx


@pytest.fixture(scope="module")
def pushed_image(host, hostvars):
    """A tiny image made on the node, pushed through nginx, removed locally, pulled back."""
    password = hostvars["installer2_admin_password"]
    body = json.dumps({"project_name": PROJECT_NAME, "metadata": {"public": "false"}})
    status, _, answer = curl(
        host,
        f"-u admin:{password} -H 'Content-Type: application/json' -d '{body}'",
        f"http://{ADDRESS}/api/v2.0/projects",
    )
    assert status == 201, answer
    host.check_output(f"docker login --username admin --password {password} {ADDRESS}")
    host.check_output(
        "rm -rf /tmp/tiny && mkdir /tmp/tiny && echo installer2-scenario > /tmp/tiny/hello"
        f" && tar -C /tmp/tiny -c . | docker import - {IMAGE}"
    )
    image_id = host.check_output(f"docker image inspect --format '{{{{.Id}}}}' {IMAGE}")
    host.check_output(f"docker push {IMAGE}")
    host.check_output(f"docker rmi {IMAGE}")
    return image_id


def test_push_and_pull_through_nginx(host, data, pushed_image):
    assert host.run(f"docker image inspect {IMAGE}").rc != 0
    host.check_output(f"docker pull {IMAGE}")
    assert host.check_output(f"docker image inspect --format '{{{{.Id}}}}' {IMAGE}") == pushed_image
    assert host.file(f"/data/registry/docker/registry/v2/repositories/{REPOSITORY}").is_directory
    assert REPOSITORY in psql(data, "registry", "SELECT name FROM repository").split()


def manifest(host, token: str) -> int:
    accept = "Accept: application/vnd.docker.distribution.manifest.v2+json"
    url = f"http://{ADDRESS}/v2/{REPOSITORY}/manifests/1"
    return curl(host, f"-H 'Authorization: Bearer {token}' -H '{accept}' {url}")[0]


def test_a_token_from_the_token_service_is_served_and_a_foreign_one_refused(host, hostvars, pushed_image):
    scope = f"repository:{REPOSITORY}:pull"
    status, _, body = curl(
        host,
        f"-u admin:{hostvars['installer2_admin_password']}",
        f"'http://{ADDRESS}/service/token?service=harbor-registry&scope={scope}'",
    )
    assert status == 200
    token = json.loads(body)["token"]
    assert manifest(host, token) == 200
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    access = rules.resource_actions([scope])
    foreign = harbor1.make_token(other_key, "admin", "harbor-registry", access, expiration_minutes=5)["token"]
    status = manifest(host, foreign)
    assert status == 401
    # The foreign signature under the cluster key's header and claims.
    header, claims, _ = token.split(".")
    assert manifest(host, f"{header}.{claims}.{foreign.split('.')[2]}") == 401


def test_an_anonymous_pull_gets_harbors_bearer_challenge(host, pushed_image):
    status, headers, _ = curl(host, f"-I http://{ADDRESS}/v2/{REPOSITORY}/manifests/1")
    assert status == 401
    assert headers["www-authenticate"] == (
        f'Bearer realm="http://{ADDRESS}/service/token",service="harbor-registry",'
        f'scope="repository:{REPOSITORY}:pull"'
    )


# --------------------------------------------------------------------------- secrets between services


def test_jobservice_takes_jobs_only_with_the_core_secret(host, data, harbor_dir, hostvars):
    secret = env_file(host, f"{harbor_dir}/common/config/core/env")["CORE_SECRET"]
    job = json.dumps({"job": {"name": "SAMPLE", "parameters": {}, "metadata": {"kind": "Generic"}}})
    url = "http://jobservice:8080/api/v1/jobs"
    before = int(data.check_output(f"{redis_cli(hostvars)} -n 2 LLEN '{JOBS}'"))
    status, body = in_container(host, "harbor-core", SECRET_REQUEST, "POST", url, secret, job).split(" ", 1)
    assert status == "202", body
    assert json.loads(body)["job"]["status"] == "Pending"
    after = int(data.check_output(f"{redis_cli(hostvars)} -n 2 LLEN '{JOBS}'"))
    assert after == before + 1
    status, _ = in_container(host, "harbor-core", SECRET_REQUEST, "POST", url, "another-secret", job).split(
        " ", 1
    )
    assert status == "401"


def test_registryctl_wants_the_jobservice_secret(host, harbor_dir):
    secret = env_file(host, f"{harbor_dir}/common/config/jobservice/env")["JOBSERVICE_SECRET"]
    url = "http://registryctl:8080/api/registry/blob/sha256:" + "0" * 64
    status, _ = in_container(host, "harbor-jobservice", SECRET_REQUEST, "DELETE", url, secret, "").split(
        " ", 1
    )
    assert status == "404"  # past the secret check: no such blob
    core_secret = env_file(host, f"{harbor_dir}/common/config/core/env")["CORE_SECRET"]
    status, _ = in_container(host, "harbor-jobservice", SECRET_REQUEST, "DELETE", url, core_secret, "").split(
        " ", 1
    )
    assert status == "401"


def test_exporter_reports_projects_queues_and_health(host, pushed_image):
    status, _, metrics = curl(host, f"http://{ADDRESS}:9090/metrics")
    assert status == 200
    assert f'harbor_project_repo_total{{project_name="{PROJECT_NAME}",public="false"}} 1' in metrics
    assert re.search(r'^harbor_project_total\{public="true"\} [1-9]', metrics, re.MULTILINE)
    assert 'harbor_up{component="registry"} 1' in metrics
    assert re.search(r'^harbor_task_queue_size\{type="SAMPLE"\} [1-9]', metrics, re.MULTILINE)


# --------------------------------------------------------------------------- logins, CSRF, sessions


@pytest.fixture(scope="module")
def session(host, hostvars, pushed_image):
    return csrf_session(host, f"http://{ADDRESS}", hostvars["installer2_admin_password"])


def test_login_and_a_csrf_protected_post_through_nginx(host, session):
    status, body = create_project(host, f"http://{ADDRESS}", session, "by-session")
    assert status == 201, body
    without = dict(session, token="")
    status, body = create_project(host, f"http://{ADDRESS}", without, "no-token")
    assert status == 403
    assert json.loads(body) == rules.errors("FORBIDDEN", "CSRF token not found in request")


@pytest.fixture(scope="module")
def other_cores(host, harbor_dir, version):
    """Cores as other nodes would run them: another CSRF key, another session store, the same."""
    env = env_file(host, f"{harbor_dir}/common/config/core/env")
    other_redis = env["_REDIS_URL_CORE"].replace("6379?", "6379/3?")
    cores = {
        "other-key": (8181, f"CSRF_KEY={rules.random_string(32)}"),
        "other-store": (8182, f"_REDIS_URL_CORE={other_redis}"),
        "same": (8183, f"CSRF_KEY={env['CSRF_KEY']}"),
    }
    names = [f"installer2-core-{kind}" for kind in cores]
    try:
        for kind, (port, setting) in cores.items():
            start_core(host, harbor_dir, version, f"installer2-core-{kind}", port, setting)
        for kind, (port, _) in cores.items():
            wait_for_core(host, f"installer2-core-{kind}", port)
        yield {kind: f"http://127.0.0.1:{port}" for kind, (port, _) in cores.items()}
    finally:
        remove(host, *names)


def current_user(host, base: str, session: dict[str, str]) -> int:
    return curl(host, f"-H 'Cookie: sid={session['sid']}' {base}/api/v2.0/users/current")[0]


def test_a_login_holds_on_another_core_only_with_the_same_csrf_key_and_session_store(
    host, session, other_cores
):
    assert current_user(host, other_cores["same"], session) == 200
    assert create_project(host, other_cores["same"], session, "on-same")[0] == 201

    # The session is known (same Redis), the CSRF cookie's HMAC is not (another key).
    assert current_user(host, other_cores["other-key"], session) == 200
    status, body = create_project(host, other_cores["other-key"], session, "on-other-key")
    assert status == 403
    assert json.loads(body) == rules.errors("FORBIDDEN", "CSRF token invalid")

    # The CSRF token passes (same key), the session is unknown there (another store).
    assert current_user(host, other_cores["other-store"], session) == 401
    status, _ = create_project(host, other_cores["other-store"], session, "on-other-store")
    assert status == 401


# --------------------------------------------------------------------------- prepare again


@pytest.fixture(scope="module")
def second_prepare(host, harbor_dir):
    """The installer's own ./prepare run again on the same harbor.yml and data_volume (a second
    node of a cluster, or an upgrade): in a copy of the installation, so this node keeps running."""
    keys = "/data/secret/keys/secretkey /data/secret/core/private_key.pem /data/secret/registry/root.crt"
    digests = host.check_output(f"sha256sum {keys}")
    copy = "/root/installer2-again/harbor"  # /tmp is mounted noexec
    host.check_output(
        f"rm -rf /root/installer2-again && mkdir -p {copy}"
        f" && cp -a {harbor_dir}/prepare {harbor_dir}/harbor.yml {harbor_dir}/common.sh {copy}/"
    )
    host.check_output(f"{copy}/prepare")
    return {"dir": copy, "digests_before": digests, "digests_after": host.check_output(f"sha256sum {keys}")}


GENERATED = (
    "CORE_SECRET",
    "JOBSERVICE_SECRET",
    "CSRF_KEY",
    "REGISTRY_CREDENTIAL_PASSWORD",
    "ROBOT_SCANNER_NAME_PREFIX",
)


def test_a_second_prepare_makes_new_secrets_and_keeps_the_keys(host, harbor_dir, second_prepare):
    first = env_file(host, f"{harbor_dir}/common/config/core/env")
    again = env_file(host, f"{second_prepare['dir']}/common/config/core/env")
    for name in GENERATED:
        assert first[name] != again[name], name
    assert len(again["CSRF_KEY"]) == 32
    assert {k: v for k, v in first.items() if k not in GENERATED} == {
        k: v for k, v in again.items() if k not in GENERATED
    }
    assert (
        host.file(f"{harbor_dir}/common/config/registry/passwd").content_string
        != host.file(f"{second_prepare['dir']}/common/config/registry/passwd").content_string
    )
    assert second_prepare["digests_after"] == second_prepare["digests_before"]


def test_the_second_prepares_secret_is_refused_by_this_nodes_jobservice(host, second_prepare):
    """The multi-node problem, in the bed: a core of the other prepare cannot use this jobservice."""
    secret = env_file(host, f"{second_prepare['dir']}/common/config/core/env")["CORE_SECRET"]
    job = json.dumps({"job": {"name": "SAMPLE", "parameters": {}, "metadata": {"kind": "Generic"}}})
    status, _ = in_container(
        host, "harbor-core", SECRET_REQUEST, "POST", "http://jobservice:8080/api/v1/jobs", secret, job
    ).split(" ", 1)
    assert status == "401"


# --------------------------------------------------------------------------- two cores, one database


def test_two_cores_starting_at_once_migrate_once(host, data, harbor_dir, version):
    """golang-migrate's advisory lock: both wait while it is held, then one migrates, one skips."""
    lock_id = rules.advisory_lock_id("registry_race")
    names = ["installer2-core-race-a", "installer2-core-race-b"]
    holder = "installer2-hold-migration-lock"
    assert (
        psql(data, "registry_race", "SELECT count(*) FROM pg_tables WHERE tablename = 'harbor_user'") == "0"
    )
    # The holder's session lives until its backend is ended (pg_sleep outlives a killed psql).
    data.check_output(
        f"systemd-run --unit {holder} --setenv PGAPPNAME={holder} runuser -u postgres --"
        f" psql -d registry_race -c 'SELECT pg_advisory_lock({lock_id})' -c 'SELECT pg_sleep(300)'"
    )
    release = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{holder}'"
    waiting = (
        "SELECT granted, count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
        f" WHERE locktype = 'advisory' AND objid = {lock_id} AND d.datname = 'registry_race'"
        " GROUP BY granted ORDER BY granted"
    )
    try:
        for port, name in enumerate(names, start=8191):
            start_core(host, harbor_dir, version, name, port, "POSTGRESQL_DATABASE=registry_race")
        import bedhelpers  # noqa: PLC0415

        bedhelpers.wait_until(
            lambda: psql(data, "registry_race", waiting) == "f|2\nt|1", 60, "two cores waiting"
        )
        time.sleep(2)
        for name in names:
            assert "Upgrading schema" not in host.check_output(f"docker logs {name} 2>&1"), name
        psql(data, "registry_race", release)
        for name in names:
            wait_logged(host, name, r"listening on :8080")
        logs = [host.check_output(f"docker logs {name} 2>&1") for name in names]
        migrated = [len(re.findall(r"\] \d+/u ", log)) for log in logs]
        versions = migration_versions(version)
        assert sorted(migrated) == [0, len(versions)]
        skipped = logs[migrated.index(0)]
        assert "No change in schema, skip." in skipped
        assert (
            psql(data, "registry_race", "SELECT version, dirty FROM schema_migrations") == f"{versions[-1]}|f"
        )
    finally:
        psql(data, "registry_race", release)
        remove(host, *names)


def test_a_core_with_a_pkcs8_key_checks_tokens_but_cannot_sign_them(host, harbor_dir, version, pushed_image):
    """golang-jwt reads PKCS#8 (bearer tokens are checked); libtrust does not (no token is made)."""
    name, port = "installer2-core-pkcs8", 8184
    host.check_output(
        "openssl pkcs8 -topk8 -nocrypt -in /data/secret/core/private_key.pem -out /tmp/installer2-pkcs8.pem"
        " && chmod 0644 /tmp/installer2-pkcs8.pem"
    )
    try:
        start_core(host, harbor_dir, version, name, port, key="/tmp/installer2-pkcs8.pem")
        wait_for_core(host, name, port)
        pem = host.file("/data/secret/core/private_key.pem").content
        access = rules.resource_actions([f"repository:{REPOSITORY}:pull"])
        token = harbor1.make_token(
            harbor1.load_signing_key(pem), "admin", "harbor-registry", access, expiration_minutes=5
        )["token"]
        accept = "Accept: application/vnd.docker.distribution.manifest.v2+json"
        url = f"http://127.0.0.1:{port}/v2/{REPOSITORY}/manifests/1"
        assert curl(host, f"-H 'Authorization: Bearer {token}' -H '{accept}' {url}")[0] == 200
        status, _, _ = curl(
            host,
            f"'http://127.0.0.1:{port}/service/token?service=harbor-registry&scope=repository:library/x:pull'",
        )
        assert status == 500
        assert "unable to get PrivateKey from PEM type: PRIVATE KEY" in host.check_output(
            f"docker logs {name} 2>&1"
        )
    finally:
        remove(host, name)
