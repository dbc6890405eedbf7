"""The prepare stand-in of the 2.x installer: Harbor's generation rules (make/photon/prepare)."""

import pytest
from harbor_standin.harbor2 import prepare as prepare2
from layout import HARBOR2_VERSIONS, harbor2_files

GENERATED = (
    "CORE_SECRET",
    "JOBSERVICE_SECRET",
    "CSRF_KEY",
    "REGISTRY_CREDENTIAL_PASSWORD",
    "ROBOT_SCANNER_NAME_PREFIX",
)


def test_every_run_makes_new_secrets_and_keeps_the_keys(prepare_run, harbor_yml, external):
    version = HARBOR2_VERSIONS[-1]
    files = harbor2_files(version)
    run = prepare_run(files, version, fresh=True)
    settings = harbor_yml(files, **external)
    run(settings, random=prepare2.random_string)
    first = run.env("core/env")
    keys = {
        name: (run.root / "data" / name).read_bytes()
        for name in ("secret/keys/secretkey", "secret/core/private_key.pem", "secret/registry/root.crt")
    }
    run(settings, random=prepare2.random_string)
    again = run.env("core/env")
    for name in GENERATED:
        assert first[name] != again[name], name
    assert len(again["CSRF_KEY"]) == 32
    assert len(again["ROBOT_SCANNER_NAME_PREFIX"]) == 8
    assert len(again["CORE_SECRET"]) == len(again["JOBSERVICE_SECRET"]) == 16
    assert run.env("jobservice/env")["CORE_SECRET"] == again["CORE_SECRET"]
    assert run.env("registryctl/env")["JOBSERVICE_SECRET"] == again["JOBSERVICE_SECRET"]
    assert keys == {name: (run.root / "data" / name).read_bytes() for name in keys}
    assert len(keys["secret/keys/secretkey"]) == 16
    assert keys["secret/core/private_key.pem"].startswith(b"-----BEGIN RSA PRIVATE KEY-----")  # PKCS#1
    assert oct((run.root / "data" / "secret/core/private_key.pem").stat().st_mode & 0o777) == "0o600"


def test_secrets_are_drawn_in_harbors_order(prepare_run, harbor_yml, external):
    version = HARBOR2_VERSIONS[-1]
    files = harbor2_files(version)
    run = prepare_run(files, version)
    run(harbor_yml(files, **external))
    env = run.env("core/env")
    # jobservice secret, core secret, registry password, then CSRF key and scan robot prefix.
    assert [env[k] for k in ("JOBSERVICE_SECRET", "CORE_SECRET", "REGISTRY_CREDENTIAL_PASSWORD")] == [
        "0" * 16,
        "1" * 16,
        "2" * 32,
    ]
    assert (env["CSRF_KEY"], env["ROBOT_SCANNER_NAME_PREFIX"]) == ("3" * 32, "4" * 8)
    assert run.text("config/registry/passwd") == f"harbor_registry_user:<bcrypt of {'2' * 32}>\n"


@pytest.mark.parametrize("version", HARBOR2_VERSIONS)
def test_external_database_and_redis_drop_the_bundled_services(prepare_run, version, harbor_yml, external):
    files = harbor2_files(version)
    run = prepare_run(files, version)
    run(harbor_yml(files))
    bundled = run.yaml("compose/docker-compose.yml")["services"]
    redis_image = "valkey-photon" if version == "2.15.2" else "redis-photon"
    assert bundled["postgresql"]["image"] == f"goharbor/harbor-db:v{version}"
    assert bundled["redis"]["image"] == f"goharbor/{redis_image}:v{version}"
    assert run.env("core/env")["POSTGRESQL_HOST"] == "postgresql"
    run(harbor_yml(files, **external))
    services = run.yaml("compose/docker-compose.yml")["services"]
    assert set(bundled) - set(services) == {"postgresql", "redis"}
    env = run.env("core/env")
    assert (env["POSTGRESQL_HOST"], env["POSTGRESQL_USERNAME"], env["POSTGRESQL_PASSWORD"]) == (
        "10.0.0.2",
        "harbor",
        "db-pass",
    )
    assert env["_REDIS_URL_CORE"] == "redis://:redis-pass@10.0.0.3:6379?idle_timeout_seconds=30"
    assert env["_REDIS_URL_REG"] == "redis://:redis-pass@10.0.0.3:6379/1?idle_timeout_seconds=30"
    registry = run.yaml("config/registry/config.yml")
    assert registry["redis"]["addr"] == "10.0.0.3:6379"
    assert (registry["redis"]["password"], registry["redis"]["db"]) == ("redis-pass", 1)
    assert registry["auth"]["htpasswd"]["path"] == "/etc/registry/passwd"
    assert "redis-pass" in run.yaml("config/jobservice/config.yml")["worker_pool"]["redis_pool"]["redis_url"]


def test_prepare_clears_common_config_first(prepare_run, harbor_yml):
    version = HARBOR2_VERSIONS[-1]
    files = harbor2_files(version)
    run = prepare_run(files, version)
    stale = run.root / "config" / "core" / "stale"
    stale.parent.mkdir(parents=True)
    stale.write_text("left by an older release")
    run(harbor_yml(files))
    assert not stale.exists()


def test_metrics_add_the_exporter(prepare_run, harbor_yml):
    version = HARBOR2_VERSIONS[-1]
    files = harbor2_files(version)
    run = prepare_run(files, version)
    run(harbor_yml(files, metric={"enabled": True, "port": 9090, "path": "/metrics"}))
    compose = run.yaml("compose/docker-compose.yml")
    assert compose["services"]["exporter"]["image"] == f"goharbor/harbor-exporter:v{version}"
    assert "9090:9090" in compose["services"]["proxy"]["ports"]
    assert run.env("exporter/env")["HARBOR_DATABASE_HOST"] == "postgresql"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hostname": "reg.mydomain.com"}, "Please specify hostname"),
        ({"hostname": "127.0.0.1"}, "127.0.0.1 can not be the hostname"),
        (
            {"https": {"port": 443, "certificate": "/your/certificate/path", "private_key": "/k"}},
            "ssl_cert is",
        ),
        ({"log": {"level": "verbose"}}, "log level must be one of"),
        ({"internal_tls": {"enabled": True, "dir": "/etc/harbor/tls"}}, "internal_tls is not implemented"),
    ],
)
def test_bad_harbor_yml_is_refused_with_harbors_message(prepare_run, changes, message, harbor_yml):
    version = HARBOR2_VERSIONS[-1]
    files = harbor2_files(version)
    run = prepare_run(files, version)
    with pytest.raises(prepare2.PrepareError, match=message):
        run({**harbor_yml(files), **changes})


def test_https_copies_the_hosts_certificate_into_the_data_volume(prepare_run, harbor_yml):
    version = HARBOR2_VERSIONS[-1]
    files = harbor2_files(version)
    run = prepare_run(files, version)
    (run.root / "hostfs" / "etc").mkdir()
    (run.root / "hostfs" / "etc" / "h.crt").write_text("certificate")
    (run.root / "hostfs" / "etc" / "h.key").write_text("key")
    run(harbor_yml(files, https={"port": 8443, "certificate": "/etc/h.crt", "private_key": "/etc/h.key"}))
    assert (run.root / "data" / "secret" / "cert" / "server.crt").read_text() == "certificate"
    assert run.env("core/env")["EXT_ENDPOINT"] == "https://10.0.0.1:8443"
    assert "8443:8443" in run.yaml("compose/docker-compose.yml")["services"]["proxy"]["ports"]
    assert "return 308 https://$host:8443$request_uri;" in run.text("config/nginx/nginx.conf")


def test_the_image_answers_unsupported_commands_and_bad_input_with_an_exit_code(capsys):
    assert prepare2.main(["gencert"]) == 2
    assert "not implemented" in capsys.readouterr().err
