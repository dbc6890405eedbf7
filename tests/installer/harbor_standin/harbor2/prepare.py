"""STAND-IN for goharbor/prepare (Harbor 2.x): harbor.yml -> common/config and docker-compose.yml.

Run as Harbor's installer runs its prepare image:

    docker run --rm -v <dir of harbor.yml>:/input -v <data_volume>:/data \
        -v <harbor dir>:/compose_location -v <harbor dir>/common/config:/config \
        -v /:/hostfs goharbor/prepare:v2.x.y prepare [--conf FILE] [--with-trivy]

It renders Harbor's own Jinja templates (the image carries them at /usr/src/app/templates) with
the variables and the generation rules of make/photon/prepare at v2.15.2 (utils/configs.py,
core.py, registry.py, jobservice.py, cert.py, docker_compose.py ...): every run empties
common/config and makes a NEW core secret, jobservice secret, registry password (and its
htpasswd file), CSRF key and scan robot prefix; the secret key and the token key pair under
data_volume/secret are made only when missing. external_database / external_redis drop the
bundled db and redis services. Internal TLS and gencert/migrate are not implemented.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import secrets
import shutil
import string
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import yaml

DEFAULT_UID = DEFAULT_GID = 10000
PG_UID = PG_GID = 999
REDIS_UID = REDIS_GID = 999
REGISTRY_USER_NAME = "harbor_registry_user"
DEFAULT_DB_MAX_IDLE_CONNS = 2
DEFAULT_DB_MAX_OPEN_CONNS = 0
DEFAULT_HTTPS_PATH = "/your/certificate/path"
# g.py INTERNAL_NO_PROXY_DN
INTERNAL_NO_PROXY = {
    "127.0.0.1",
    "localhost",
    ".local",
    ".internal",
    "log",
    "db",
    "redis",
    "nginx",
    "core",
    "portal",
    "postgresql",
    "jobservice",
    "registry",
    "registryctl",
    "trivy-adapter",
    "exporter",
}
# cert.py create_root_cert: ten years, an empty subject.
SUBJECT = ("-days", "3650", "-subj", "/")
LOG_LEVELS = ("debug", "info", "warning", "error", "fatal")
# utils/registry.py and registry_ctl.py levels_map
REGISTRY_LEVELS = {"debug": "debug", "info": "info", "warning": "warn", "error": "error", "fatal": "fatal"}
STORAGE_DRIVERS = ("filesystem", "azure", "gcs", "s3", "swift", "oss")


def random_string(length: int) -> str:
    """utils/misc.py generate_random_string: letters and digits from the secrets module."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


class PrepareError(Exception):
    """A harbor.yml the prepare of Harbor refuses too; the message is Harbor's."""


@dataclass
class Paths:
    """The container's mount points (g.py); tests point them at a temporary tree."""

    templates: Path = Path("/usr/src/app/templates")
    versions: Path = Path("/usr/src/app/versions")
    config: Path = Path("/config")
    data: Path = Path("/data")
    hostfs: Path = Path("/hostfs")
    compose: Path = Path("/compose_location/docker-compose.yml")
    # Harbor's prepare runs as root and gives files to the services' users (10000, 999).
    chown: bool = True


# --------------------------------------------------------------------------- models.py


@dataclass
class InternalTLS:
    enabled: bool = False
    verify_client_cert: bool = False


@dataclass
class Metric:
    enabled: bool = False
    port: int = 8080
    path: str = "metrics"


@dataclass
class Exporter:
    enabled: bool = False
    endpoint: str = ""
    username: str = ""
    password: str = ""
    agent_host: str = ""
    agent_port: str = ""
    url_path: str = ""
    compression: bool = False
    insecure: bool = False
    timeout: str = "10"


@dataclass
class Trace:
    enabled: bool = False
    sample_rate: float = 1
    namespace: str = ""
    attributes: dict = field(default_factory=dict)
    jaeger: Exporter = field(default_factory=Exporter)
    otel: Exporter = field(default_factory=Exporter)


def trace_of(config: dict) -> Trace:
    def exporter(section: dict | None, **defaults) -> Exporter:
        if not section:
            return Exporter()
        values = {k: v for k, v in section.items() if k in Exporter.__dataclass_fields__}
        return Exporter(enabled=True, **{**defaults, **{k: v for k, v in values.items() if v is not None}})

    trace = Trace(
        enabled=config.get("enabled") or False,
        sample_rate=config.get("sample_rate", 1),
        namespace=config.get("namespace") or "",
        attributes=config.get("attributes") or {},
        jaeger=exporter(config.get("jaeger")),
        otel=exporter(config.get("otel")),
    )
    if trace.enabled:
        if trace.jaeger.enabled == trace.otel.enabled:
            raise PrepareError(
                "Trace enabled but no trace exporter set"
                if not trace.jaeger.enabled
                else "Only can have one trace exporter at a time"
            )
        if trace.jaeger.enabled and bool(trace.jaeger.endpoint) == bool(trace.jaeger.agent_host):
            raise PrepareError("Jaeger Colector Endpoint or Agent host: set exactly one")
        if trace.otel.enabled and not (trace.otel.endpoint and trace.otel.url_path):
            raise PrepareError("Trace endpoint and url path must be set")
    return trace


@dataclass
class PurgeUpload:
    enabled: bool | None = None
    age: str = "168h"
    interval: str = "24h"
    dryrun: bool = False


def purge_upload_of(config: dict) -> PurgeUpload:
    purge = PurgeUpload(
        enabled=config.get("enabled"),
        age=config.get("age") or "168h",
        interval=config.get("interval") or "24h",
        dryrun=config.get("dryrun") or False,
    )
    if purge.enabled:
        for name, value in (("age", purge.age), ("interval", purge.interval)):
            if not isinstance(value, str) or not value.endswith("h"):
                raise PrepareError(f"purge upload {name} should set with with nh, n is the number of hour")
            if not value[:-1].isnumeric() or int(value[:-1]) < 2:
                raise PrepareError(f"purge upload {name} should set with nh, n should not be less than 2")
    return purge


@dataclass
class Cache:
    enabled: bool | None = None
    expire_hours: int | None = None


@dataclass
class CoreSettings:
    quota_update_provider: str = "db"


# --------------------------------------------------------------------------- utils/configs.py


def redis_url(db: int, redis: dict) -> str:
    """get_redis_url: redis[+sentinel]://[user][:password@]host[/master][/db][?idle_timeout_seconds=n]."""
    tls = "tlsOptions" in redis and redis["tlsOptions"].get("enable")
    scheme = ("rediss" if tls else "redis") + ("+sentinel" if redis.get("sentinel_master_set") else "")
    password = urllib.parse.quote(str(redis.get("password")), safe="")
    password_part = f":{password}@" if password else ""
    sentinel = f"/{redis['sentinel_master_set']}" if redis.get("sentinel_master_set") else ""
    db_part = f"/{db}" if db else ""
    url = f"{scheme}://{redis.get('username') or ''}{password_part}{redis['host']}{sentinel}{db_part}"
    if "idle_timeout_seconds" in redis:
        url += "?" + urllib.parse.urlencode({"idle_timeout_seconds": redis["idle_timeout_seconds"]})
    return url


def redis_configs(internal: dict | None, external: dict | None, with_trivy: bool) -> dict:
    """get_redis_configs: the redis section overrides the defaults, else external_redis does."""
    internal, external = internal or {}, external or {}
    redis = {
        "host": "redis:6379",
        "password": "",
        "registry_db_index": 1,
        "jobservice_db_index": 2,
        "trivy_db_index": 5,
        "idle_timeout_seconds": 30,
    }
    redis.update({k: v for k, v in (internal or external).items() if v})
    configs = {
        "external_redis": bool(external),
        "redis_url_core": redis_url(0, redis),
        "redis_url_js": redis_url(redis["jobservice_db_index"], redis),
        "redis_url_reg": redis_url(redis["registry_db_index"], redis),
    }
    if redis.get("harbor_db_index"):
        configs["redis_url_harbor"] = redis_url(redis["harbor_db_index"], redis)
    if redis.get("cache_layer_db_index"):
        configs["redis_url_cache_layer"] = redis_url(redis["cache_layer_db_index"], redis)
    if with_trivy:
        configs["trivy_redis_url"] = redis_url(redis["trivy_db_index"], redis)
    if "tlsOptions" in redis and redis["tlsOptions"].get("enable"):
        configs["redis_custom_tls_ca_path"] = redis["tlsOptions"]["rootCA"]
    return configs


def _endpoints(configs: dict, cfg: dict) -> None:
    cfg["http_port"] = (configs.get("http") or {}).get("port", 80)
    https = configs.get("https")
    if https:
        cfg["protocol"] = "https"
        cfg["https_port"] = https.get("port", 443)
        cfg["cert_path"] = https["certificate"]
        cfg["cert_key_path"] = https["private_key"]
    if configs.get("external_url"):
        cfg["public_url"] = configs["external_url"]
    else:
        port = cfg["https_port"] if https else cfg["http_port"]
        default = 443 if https else 80
        cfg["public_url"] = f"{cfg['protocol']}://{cfg['hostname']}" + (f":{port}" if port != default else "")


def _database(section: dict, defaults: dict) -> dict:
    return {
        "harbor_db_host": section.get("host", defaults.get("host")),
        "harbor_db_port": section.get("port", defaults.get("port")),
        "harbor_db_name": section.get("db_name", defaults.get("db_name")),
        "harbor_db_username": section.get("username", defaults.get("username")),
        "harbor_db_password": section.get("password") or "",
        "harbor_db_sslmode": section.get("ssl_mode", defaults.get("ssl_mode")),
        "harbor_db_max_idle_conns": section.get("max_idle_conns") or DEFAULT_DB_MAX_IDLE_CONNS,
        "harbor_db_max_open_conns": section.get("max_open_conns") or DEFAULT_DB_MAX_OPEN_CONNS,
        "harbor_db_conn_max_lifetime": section.get("conn_max_lifetime") or "5m",
        "harbor_db_conn_max_idle_time": section.get("conn_max_idle_time") or "0",
    }


# The bundled harbor-db: its address and account are fixed; harbor.yml gives the password.
BUNDLED_DB = {"host": "postgresql", "port": 5432, "db_name": "registry", "username": "postgres"}
BUNDLED_DB_SETTINGS = (
    "password",
    "max_idle_conns",
    "max_open_conns",
    "conn_max_lifetime",
    "conn_max_idle_time",
)


def _storage_and_proxy(configs: dict, cfg: dict) -> None:
    storage = configs.get("storage_service") or {}
    cfg["registry_custom_ca_bundle_path"] = storage.get("ca_bundle") or ""
    provider = next((name for name in STORAGE_DRIVERS if storage.get(name)), None)
    cfg["storage_provider_name"] = provider or "filesystem"
    cfg["storage_provider_config"] = storage[provider] if provider else {}
    if storage.get("redirect"):
        cfg["storage_redirect_disabled"] = storage["redirect"]["disable"]

    proxy = configs.get("proxy") or {}
    no_proxy = set(INTERNAL_NO_PROXY)
    if proxy.get("no_proxy"):
        no_proxy |= set(proxy["no_proxy"].split(","))
    for component in proxy.get("components") or []:
        cfg[f"{component}_http_proxy"] = proxy.get("http_proxy") or ""
        cfg[f"{component}_https_proxy"] = proxy.get("https_proxy") or ""
        # Harbor joins a set (an order that changes from run to run); sorted here.
        cfg[f"{component}_no_proxy"] = ",".join(sorted(no_proxy))


def _trivy(configs: dict) -> dict:
    trivy = configs.get("trivy") or {}
    return {
        "trivy_github_token": trivy.get("github_token") or "",
        "trivy_skip_update": trivy.get("skip_update") or False,
        "trivy_skip_java_db_update": trivy.get("skip_java_db_update") or False,
        "trivy_db_repository": trivy.get("db_repository") or "ghcr.io/aquasecurity/trivy-db",
        "trivy_java_db_repository": trivy.get("java_db_repository") or "ghcr.io/aquasecurity/trivy-java-db",
        "trivy_offline_scan": trivy.get("offline_scan") or False,
        "trivy_security_check": trivy.get("security_check") or "vuln",
        "trivy_ignore_unfixed": trivy.get("ignore_unfixed") or False,
        "trivy_insecure": trivy.get("insecure") or False,
        "trivy_timeout": trivy.get("timeout") or "5m0s",
    }


def _jobs_and_logs(configs: dict, cfg: dict) -> None:
    jobservice = configs.get("jobservice") or {}
    hours = jobservice.get("max_job_duration_hours") or 24
    cfg.update(
        max_job_workers=jobservice["max_job_workers"],
        max_job_duration_hours=hours if isinstance(hours, int) and hours >= 24 else 24,
        job_loggers=jobservice["job_loggers"],
        logger_sweeper_duration=jobservice["logger_sweeper_duration"],
    )
    notification = configs.get("notification") or {}
    cfg["notification_webhook_job_max_retry"] = notification["webhook_job_max_retry"]
    cfg["notification_webhook_job_http_client_timeout"] = notification["webhook_job_http_client_timeout"]

    log = configs.get("log") or {}
    if log["level"] not in LOG_LEVELS:
        raise PrepareError("log level must be one of debug, info, warning, error, fatal")
    cfg["log_level"] = log["level"].lower()
    local = log.get("local") or {}
    if local:
        cfg["log_location"] = local.get("location") or "/var/log/harbor"
        cfg["log_rotate_count"] = local.get("rotate_count") or 50
        cfg["log_rotate_size"] = local.get("rotate_size") or "200M"
    endpoint = log.get("external_endpoint")
    cfg["log_external"] = bool(endpoint)
    if endpoint:
        cfg.update(
            log_ep_protocol=endpoint["protocol"], log_ep_host=endpoint["host"], log_ep_port=endpoint["port"]
        )


def _features(configs: dict, cfg: dict) -> None:
    https = configs.get("https")
    internal_tls = configs.get("internal_tls") or {}
    if internal_tls.get("enabled"):
        raise PrepareError("internal_tls is not implemented in the test installer's prepare")
    cfg["internal_tls"] = InternalTLS()
    # The https section's flag, or (for compatibility) the one under internal_tls.
    cfg["strong_ssl_ciphers"] = https.get("strong_ssl_ciphers") if https else False
    if internal_tls:
        cfg["strong_ssl_ciphers"] = cfg["strong_ssl_ciphers"] or internal_tls.get("strong_ssl_ciphers")
    cfg["ip_family"] = configs.get("ip_family") or {"ipv4": {"enabled": True}, "ipv6": {"enabled": False}}
    metric = configs.get("metric")
    cfg["metric"] = Metric(metric["enabled"], metric["port"], metric["path"]) if metric else Metric()
    cfg["trace"] = trace_of(configs.get("trace") or {})
    cfg["purge_upload"] = purge_upload_of(configs.get("upload_purging") or {})
    cache = configs.get("cache") or {}
    cfg["cache"] = Cache(cache.get("enabled"), cache.get("expire_hours"))
    if cfg["cache"].enabled and (not cfg["cache"].expire_hours or cfg["cache"].expire_hours <= 0):
        raise PrepareError("cache expire hours should be positive number")
    provider = (configs.get("core") or {}).get("quota_update_provider") or "db"
    if provider not in ("db", "redis"):
        raise PrepareError(f"invalid quota update provider: {provider}")
    cfg["core"] = CoreSettings(provider)


def parse_config(configs: dict, with_trivy: bool, random: Callable[[int], str]) -> dict:
    """parse_yaml_config: harbor.yml -> the variables of every template, secrets made here.

    The random strings are drawn in Harbor's order: jobservice secret, core secret, registry
    password (then, in prepare_core, the CSRF key and the scan robot prefix).
    """
    cfg: dict = {
        "portal_url": "http://portal:8080",
        "registry_url": "http://registry:5000",
        "registry_controller_url": "http://registryctl:8080",
        "core_url": "http://core:8080",
        "core_local_url": "http://127.0.0.1:8080",
        "token_service_url": "http://core:8080/service/token",
        "jobservice_url": "http://jobservice:8080",
        "trivy_adapter_url": "http://trivy-adapter:8080",
        "hostname": configs["hostname"],
        "protocol": "http",
    }
    _endpoints(configs, cfg)
    if configs.get("database"):
        bundled = {key: configs["database"].get(key) for key in BUNDLED_DB_SETTINGS}
        cfg.update(_database({**bundled, "ssl_mode": "disable"}, BUNDLED_DB))
    cfg["data_volume"] = configs["data_volume"]
    cfg["harbor_admin_password"] = configs["harbor_admin_password"]
    _storage_and_proxy(configs, cfg)
    cfg.update(_trivy(configs))
    _jobs_and_logs(configs, cfg)
    cfg["jobservice_secret"] = random(16)
    cfg["external_database"] = bool(configs.get("external_database"))
    if cfg["external_database"]:
        cfg.update(_database(configs["external_database"]["harbor"], {}))
    cfg.update(redis_configs(configs.get("redis"), configs.get("external_redis"), with_trivy))
    cfg["core_secret"] = random(16)
    cfg["uaa"] = configs.get("uaa") or {}
    cfg["registry_username"] = REGISTRY_USER_NAME
    cfg["registry_password"] = random(32)
    _features(configs, cfg)
    return cfg


def validate(cfg: dict) -> None:
    """configs.validate, for what the stand-in supports."""
    if cfg.get("hostname") == "127.0.0.1":
        raise PrepareError("127.0.0.1 can not be the hostname")
    if cfg.get("hostname") == "reg.mydomain.com":
        raise PrepareError("Please specify hostname")
    if cfg["protocol"] == "https":
        if cfg.get("cert_path") in (None, "", DEFAULT_HTTPS_PATH):
            raise PrepareError("Error: The protocol is https but attribute ssl_cert is not set")
        if cfg.get("cert_key_path") in (None, "", DEFAULT_HTTPS_PATH):
            raise PrepareError("Error: The protocol is https but attribute ssl_cert_key is not set")
    else:
        logging.warning(
            "WARNING: HTTP protocol is insecure. Harbor will deprecate http protocol in the future. "
            "Please make sure to upgrade to https"
        )
    if cfg.get("log_external"):
        if not cfg.get("log_ep_host"):
            raise PrepareError("Error: must set log endpoint host to enable external host")
        if not cfg.get("log_ep_port"):
            raise PrepareError("Error: must set log endpoint port to enable external host")
        if cfg.get("log_ep_protocol") not in ("udp", "tcp"):
            raise PrepareError("Protocol in external log endpoint must be one of 'udp' or 'tcp' ")
    if cfg["storage_provider_name"] != "filesystem" and cfg["storage_provider_config"] == "":
        raise PrepareError(
            f"Error: no provider configurations are provided for provider {cfg['storage_provider_name']}"
        )


# --------------------------------------------------------------------------- files


class Files:
    """Writes and owns files as utils/misc.py and utils/jinja.py do."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self.jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(paths.templates)),
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=jinja2.select_autoescape(),
        )
        self.jinja.filters["to_json"] = json.dumps

    def mark(self, path: Path, mode: int = 0o600, uid: int = DEFAULT_UID, gid: int = DEFAULT_GID) -> None:
        if mode > 0:
            path.chmod(mode)
        if uid > 0 and gid > 0 and self.paths.chown:
            os.chown(path, uid, gid)

    def directory(
        self, path: Path, uid: int | None = None, gid: int | None = None, mode: int = 0o755
    ) -> None:
        """prepare_dir: create with the mode, fix the mode, chown recursively when the owner differs."""
        if path.is_file():
            raise PrepareError("Path exists and the type is regular file")
        if not path.exists():
            path.mkdir(mode=mode, parents=True)
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
        if (uid is None and gid is None) or not self.paths.chown:
            return
        uid = path.stat().st_uid if uid is None else uid
        gid = path.stat().st_gid if gid is None else gid
        if (path.stat().st_uid, path.stat().st_gid) != (uid, gid):
            for root, dirs, files in os.walk(path):
                os.chown(root, uid, gid)
                for name in dirs + files:
                    os.chown(os.path.join(root, name), uid, gid)

    def render(self, template: str, dest: Path, mode: int = 0o640, uid: int = 0, gid: int = 0, **kw) -> None:
        dest.write_text(self.jinja.get_template(template).render(**kw))
        self.mark(dest, mode, uid, gid)
        print(f"Generated configuration file: {dest}")


def clear(path: Path) -> None:
    """delfile: every file under common/config goes, the directories stay."""
    if path.is_file():
        path.unlink()
        print(f"Clearing the configuration file: {path}")
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            clear(child)


def storage_provider_info(name: str, config: dict) -> str:
    """get_storage_provider_info: the driver's section of registry/config.yml as text."""
    config = copy.deepcopy(config)
    if name == "filesystem" and "rootdirectory" not in (config or {}):
        config["rootdirectory"] = "/storage"
    if name == "gcs" and config.get("keyfile"):
        config["keyfile"] = "/etc/registry/gcs.key"
    lines = [name + ":"]
    for key, value in config.items():
        lines.append(f"{key}: {'' if value is None else 'true' if value is True else value}")
    return ("\n" + " " * 4).join(lines)


def registry_redis(url: str) -> dict:
    """parse_redis: the registry's redis section from redis_url_reg."""
    parts = urllib.parse.urlsplit(url)
    tls = "true" if parts.scheme.startswith("rediss") else "false"
    values = {
        "redis_host": parts.netloc.split("@")[-1],
        "redis_password": "" if parts.password is None else urllib.parse.unquote(parts.password),
        "redis_username": "" if parts.username is None else urllib.parse.unquote(parts.username),
        "redis_enableTLS": tls,
    }
    if parts.scheme in ("redis", "rediss", ""):
        values["redis_db_index_reg"] = int(parts.path[1:]) if parts.path else 0
    elif parts.scheme in ("redis+sentinel", "rediss+sentinel"):
        segments = parts.path.split("/")
        values["sentinel_master_set"] = segments[1]
        values["redis_db_index_reg"] = int(segments[2]) if len(segments) == 3 else 0
    else:
        raise PrepareError("bad redis url for registry:" + url)
    return values


def secret_key(files: Files, folder: Path, random: Callable[[int], str]) -> str:
    """get_secret_key: data_volume/secret/keys/secretkey, 16 characters, made once."""
    path = folder / "secretkey"
    if path.is_file():
        key = path.read_text()
        print(f"loaded secret from file: {path}")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        key = random(16)
        path.write_text(key)
        print(f"Generated and saved secret to file: {path}")
    files.mark(path)
    if len(key) != 16:
        raise PrepareError(f"secret key's length has to be 16 chars, current length: {len(key)}")
    return key


def token_key_pair(files: Files) -> None:
    """prepare_registry_ca: a 4096-bit PKCS#1 key and its self-signed certificate, made once."""
    data = files.paths.data
    key, cert = data / "secret" / "core" / "private_key.pem", data / "secret" / "registry" / "root.crt"
    if not (key.exists() and cert.exists()):
        old_key = files.paths.config / "core" / "private_key.pem"
        old_cert = files.paths.config / "registry" / "root.crt"
        key.parent.mkdir(parents=True, exist_ok=True)
        cert.parent.mkdir(parents=True, exist_ok=True)
        if old_key.exists() and old_cert.exists():
            shutil.move(old_cert, cert)
            shutil.move(old_key, key)
        else:
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
            if subprocess.call(["openssl", "genrsa", "-traditional", "-out", str(key), "4096"], **quiet) or (
                subprocess.call(
                    ["openssl", "req", "-new", "-x509", "-key", str(key), "-out", str(cert), *SUBJECT],
                    **quiet,
                )
            ):
                print("Failed to call func: create_root_cert")
                sys.exit(1)
            print("Successfully called func: create_root_cert")
            files.mark(key)
            files.mark(cert)
    if files.paths.chown:
        for path in (cert, key):
            if (path.stat().st_uid, path.stat().st_gid) != (DEFAULT_UID, DEFAULT_GID):
                os.chown(path, DEFAULT_UID, DEFAULT_GID)


def htpasswd(path: Path, username: str, password: str) -> None:
    """gen_passwd_file: Apache's htpasswd, bcrypt, as Harbor's prepare image calls it."""
    subprocess.call(
        ["/usr/bin/htpasswd", "-bcB", str(path), username, password],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def host_path(files: Files, path: str) -> Path:
    """get_realpath: a path of the host, seen through /hostfs."""
    return files.paths.hostfs / path.lstrip("/") if files.paths.hostfs.is_dir() else Path(path)


def nginx_certs(files: Files, cfg: dict) -> None:
    """prepare_nginx_certs: the host's certificate and key copied to data_volume/secret/cert."""
    target = files.paths.data / "secret" / "cert"
    if target.is_dir():
        shutil.rmtree(target)
    target.mkdir(mode=0o755, parents=True)
    shutil.copy2(host_path(files, cfg["cert_key_path"]), target / "server.key")
    shutil.copy2(host_path(files, cfg["cert_path"]), target / "server.crt")
    if files.paths.chown:
        os.chown(target, DEFAULT_UID, DEFAULT_GID)
    files.mark(target / "server.key")
    files.mark(target / "server.crt")


def trust_certificates(files: Files, cfg: dict) -> None:
    """prepare_trust_ca: common/config/shared/trust-certificates, made anew on every run."""
    shared = files.paths.config / "shared" / "trust-certificates"
    if shared.exists():
        shutil.rmtree(shared)
    shared.mkdir(parents=True, exist_ok=True)
    sources = (
        (str(files.paths.data / "secret" / "tls" / "harbor_internal_ca.crt"), "harbor_internal_ca.crt"),
        (cfg.get("registry_custom_ca_bundle_path"), "storage_ca_bundle.crt"),
        (cfg.get("redis_custom_tls_ca_path"), "redis_tls_ca.crt"),
    )
    for source, name in sources:
        print(f"copy {source} to shared trust ca dir as name {name} ...")
        if not source:
            continue
        real = host_path(files, source)
        if real.is_file():
            shutil.copy2(real, shared / name)
            files.mark(shared / name, mode=0o644)


def harbor_version(paths: Paths) -> str:
    """parse_versions: VERSION_TAG of the image's versions file (dev-legacy without one)."""
    versions = yaml.safe_load(paths.versions.read_text()) if paths.versions.is_file() else {}
    return (versions or {}).get("VERSION_TAG") or "dev-legacy"


def compose_variables(cfg: dict, with_trivy: bool, version: str) -> dict:
    """prepare_docker_compose's rendering variables."""
    variables = {
        "version": version,
        "reg_version": version,
        "redis_version": version,
        "trivy_adapter_version": version,
        "data_volume": cfg["data_volume"],
        "log_location": cfg["log_location"],
        "protocol": cfg["protocol"],
        "http_port": cfg["http_port"],
        "external_redis": cfg["external_redis"],
        "external_database": cfg["external_database"],
        "with_trivy": with_trivy,
        "internal_tls": cfg["internal_tls"],
    }
    storage = cfg.get("storage_provider_config") or {}
    if storage.get("keyfile") and cfg["storage_provider_name"] == "gcs":
        variables["gcs_keyfile"] = storage["keyfile"]
    if cfg["protocol"] == "https":
        variables.update(
            cert_key_path=cfg["cert_key_path"], cert_path=cfg["cert_path"], https_port=cfg["https_port"]
        )
    if cfg["uaa"].get("ca_file"):
        variables["uaa_ca_file"] = cfg["uaa"]["ca_file"]
    if cfg.get("log_ep_host"):
        variables["external_log_endpoint"] = True
    if cfg.get("metric"):
        variables["metric"] = cfg["metric"]
    return variables


def render_all(files: Files, cfg: dict, with_trivy: bool, random: Callable[[int], str]) -> None:
    """The prepare command after validation, in Harbor's order."""
    config, data = files.paths.config, files.paths.data
    level = cfg["log_level"]

    files.directory(config / "portal", DEFAULT_UID, DEFAULT_GID)
    files.render(
        "portal/nginx.conf.jinja",
        config / "portal" / "nginx.conf",
        uid=DEFAULT_UID,
        gid=DEFAULT_GID,
        internal_tls=cfg["internal_tls"],
        ip_family=cfg["ip_family"],
        strong_ssl_ciphers=cfg["strong_ssl_ciphers"],
    )

    files.directory(config / "log")
    for name in ("logrotate.conf", "rsyslog_docker.conf"):
        files.render(f"log/{name}.jinja", config / "log" / name, uid=DEFAULT_UID, gid=DEFAULT_GID, **cfg)

    files.directory(config / "nginx" / "conf.d", DEFAULT_UID, DEFAULT_GID)
    if cfg["protocol"] == "https":
        nginx_certs(files, cfg)
        files.render(
            "nginx/nginx.https.conf.jinja",
            config / "nginx" / "nginx.conf",
            uid=DEFAULT_UID,
            gid=DEFAULT_GID,
            https_redirect="$host" + (f":{cfg['https_port']}" if "https_port" in cfg else ""),
            ssl_cert="/etc/cert/server.crt",
            ssl_cert_key="/etc/cert/server.key",
            internal_tls=cfg["internal_tls"],
            metric=cfg["metric"],
            strong_ssl_ciphers=cfg["strong_ssl_ciphers"],
            ip_family=cfg["ip_family"],
        )
    else:
        files.render(
            "nginx/nginx.http.conf.jinja",
            config / "nginx" / "nginx.conf",
            uid=DEFAULT_UID,
            gid=DEFAULT_GID,
            internal_tls=cfg["internal_tls"],
            metric=cfg["metric"],
        )

    files.directory(data / "ca_download", DEFAULT_UID, DEFAULT_GID)
    files.directory(config / "core" / "certificates")
    files.render(
        "core/env.jinja",
        config / "core" / "env",
        with_trivy=with_trivy,
        csrf_key=random(32),
        scan_robot_prefix=random(8),
        **cfg,
    )
    files.render("core/app.conf.jinja", config / "core" / "app.conf", uid=DEFAULT_UID, gid=DEFAULT_GID, **cfg)

    files.directory(data / "registry", DEFAULT_UID, DEFAULT_GID)
    files.directory(config / "registry")
    htpasswd(config / "registry" / "passwd", cfg["registry_username"], cfg["registry_password"])
    files.render(
        "registry/config.yml.jinja",
        config / "registry" / "config.yml",
        uid=DEFAULT_UID,
        gid=DEFAULT_GID,
        level=REGISTRY_LEVELS[level],
        storage_provider_info=storage_provider_info(
            cfg["storage_provider_name"], cfg["storage_provider_config"]
        ),
        **cfg,
        **registry_redis(cfg["redis_url_reg"]),
    )

    files.directory(config / "registryctl")
    files.render("registryctl/env.jinja", config / "registryctl" / "env", **cfg)
    files.render(
        "registryctl/config.yml.jinja",
        config / "registryctl" / "config.yml",
        uid=DEFAULT_UID,
        gid=DEFAULT_GID,
        level=REGISTRY_LEVELS[level],
        **cfg,
    )

    files.directory(data / "database", PG_UID, PG_GID, mode=0o700)
    files.directory(config / "db")
    files.render("db/env.jinja", config / "db" / "env", harbor_db_password=cfg["harbor_db_password"])

    files.directory(config / "jobservice", DEFAULT_UID, DEFAULT_GID)
    files.directory(data / "job_logs", DEFAULT_UID, DEFAULT_GID)
    files.render("jobservice/env.jinja", config / "jobservice" / "env", **cfg)
    files.render(
        "jobservice/config.yml.jinja",
        config / "jobservice" / "config.yml",
        uid=DEFAULT_UID,
        gid=DEFAULT_GID,
        internal_tls=cfg["internal_tls"],
        max_job_workers=cfg["max_job_workers"],
        max_job_duration_hours=cfg["max_job_duration_hours"],
        job_loggers=cfg["job_loggers"],
        logger_sweeper_duration=cfg["logger_sweeper_duration"],
        redis_url=cfg["redis_url_js"],
        level=level.upper(),
        metric=cfg["metric"],
    )

    files.directory(data / "redis", REDIS_UID, REDIS_GID)
    trust_certificates(files, cfg)
    secret_key(files, data / "secret" / "keys", random)
    token_key_pair(files)

    if cfg["metric"].enabled:
        files.directory(config / "exporter", DEFAULT_UID, DEFAULT_GID)
        files.render("exporter/env.jinja", config / "exporter" / "env", **cfg)
    if with_trivy:
        files.directory(data / "trivy-adapter" / "trivy", DEFAULT_UID, DEFAULT_GID)
        files.directory(data / "trivy-adapter" / "reports", DEFAULT_UID, DEFAULT_GID)
        files.directory(config / "trivy-adapter", DEFAULT_UID, DEFAULT_GID)
        files.render("trivy-adapter/env.jinja", config / "trivy-adapter" / "env", **cfg)

    files.render(
        "docker_compose/docker-compose.yml.jinja",
        files.paths.compose,
        mode=0o644,
        **compose_variables(cfg, with_trivy, harbor_version(files.paths)),
    )


def prepare(conf: Path, with_trivy: bool, paths: Paths, random: Callable[[int], str] = random_string) -> None:
    clear(paths.config)
    cfg = parse_config(yaml.safe_load(conf.read_text()), with_trivy, random)
    validate(cfg)
    render_all(Files(paths), cfg, with_trivy, random)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description="STAND-IN of Harbor's prepare (tests only)")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("prepare")
    command.add_argument("--conf", type=Path, default=Path("/input/harbor.yml"), help="harbor.yml")
    command.add_argument("--with-trivy", action="store_true", help="deploy with Trivy")
    for unsupported in ("gencert", "migrate"):
        commands.add_parser(unsupported)
    args = parser.parse_args(argv)
    if args.command != "prepare":
        print(f"{args.command}: not implemented in the test installer's prepare STAND-IN", file=sys.stderr)
        return 2
    try:
        prepare(args.conf, args.with_trivy, Paths())
    except PrepareError as exc:
        print("Error happened in config validation...")
        logging.error(exc)
        return 255
    return 0


if __name__ == "__main__":
    sys.exit(main())
