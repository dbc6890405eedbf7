"""Each node runs the field report's Harbor: everything on the share, the external DB and Redis,
the cluster's keys. Runs on both nodes."""

from __future__ import annotations

import yaml
from harbor_testlib import SECRETS, SHARE, wait_healthy

testinfra_hosts = ["harbor-node1", "harbor-node2"]


def compose(host, harbor_dir) -> dict:
    return yaml.safe_load(host.file(f"{harbor_dir}/docker-compose.yml").content_string)


def test_no_host_path_is_left_on_local_data_or_logs(host, harbor_dir):
    services = compose(host, harbor_dir)["services"]
    sources = [v.split(":")[0] for spec in services.values() for v in spec.get("volumes", [])]
    assert sources
    assert not [s for s in sources if s.startswith(("/data", "/var/log/harbor"))]
    node = host.backend.get_hostname()
    assert f"{SHARE}/log/{node}/" in sources
    assert f"{SHARE}/data/registry" in sources


def test_no_bundled_mysql_nor_anything_waiting_for_it(host, harbor_dir):
    services = compose(host, harbor_dir)["services"]
    assert "mysql" not in services
    assert not [name for name, spec in services.items() if "mysql" in spec.get("depends_on", [])]
    assert host.run("docker inspect harbor-db").rc != 0
    # The installer's own file is kept beside it, untouched, as the rewrite's input.
    assert (
        "mysql"
        in yaml.safe_load(host.file(f"{harbor_dir}/docker-compose.installer.yml").content_string)["services"]
    )


def test_proxy_is_published_on_the_cluster_port_only(host, harbor_dir):
    assert compose(host, harbor_dir)["services"]["proxy"]["ports"] == ["8060:80"]
    assert host.socket("tcp://0.0.0.0:8060").is_listening
    assert not host.socket("tcp://0.0.0.0:443").is_listening


def env_of(host, path: str) -> dict[str, str]:
    text = host.file(path).content_string
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def test_adminserver_and_ui_env_point_at_the_external_db_and_redis(host, harbor_dir, hostvars):
    for tree in ("config", "templates"):
        admin = env_of(host, f"{harbor_dir}/common/{tree}/adminserver/env")
        assert admin["MYSQL_HOST"] == "10.201.5.11", tree
        assert admin["MYSQL_PORT"] == "3306"
        assert admin["MYSQL_USR"] == "harbor"
        assert admin["MYSQL_DATABASE"] == "registry"
        assert admin["MYSQL_PWD"] == hostvars["cluster_db_password"]
        assert admin["RESET"] == "true"
        ui = env_of(host, f"{harbor_dir}/common/{tree}/ui/env")
        assert ui["_REDIS_URL"] == f"10.201.5.12:6379,100,{hostvars['cluster_redis_password']},0"
    # The files that hold passwords are readable by root only.
    for path in ("config/adminserver/env", "templates/adminserver/env", "config/ui/env"):
        assert host.file(f"{harbor_dir}/common/{path}").mode == 0o600


def test_harbor_cfg_holds_the_cluster_values_and_no_default_password(host, harbor_dir):
    cfg = host.file(f"{harbor_dir}/harbor.cfg")
    assert cfg.mode == 0o600
    text = cfg.content_string
    assert "hostname = 10.201.5.21:8060" in text
    assert f"secretkey_path = {SHARE}/data" in text
    assert "Harbor12345" not in text
    assert "root123" not in text


def test_node_uses_the_cluster_keys(host, harbor_dir):
    def digest(path: str) -> str:
        return host.file(path).sha256sum

    assert digest(f"{harbor_dir}/common/config/ui/private_key.pem") == digest(f"{SECRETS}/private_key.pem")
    assert digest(f"{harbor_dir}/common/config/registry/root.crt") == digest(f"{SECRETS}/root.crt")
    assert digest(f"{SHARE}/data/secretkey") == digest(f"{SECRETS}/secretkey")
    # Harbor 1.1 reads the token key only as PKCS#1.
    assert host.file(f"{SECRETS}/private_key.pem").content_string.startswith(
        "-----BEGIN RSA PRIVATE KEY-----"
    )
    assert host.file(f"{SECRETS}/private_key.pem").mode == 0o600


def test_harbor_comes_back_after_an_engine_restart(host):
    # The unit requires docker: systemd restarts Harbor after the engine, on its own.
    host.check_output("systemctl restart docker.service")
    wait_healthy(host, host.backend.get_hostname())
    assert host.service("harbor.service").is_running


def test_each_node_logs_into_its_own_directory_on_the_share(host):
    node = host.backend.get_hostname()
    logs = host.check_output(f"find {SHARE}/log/{node} -name '*.log' -printf '%f\\n'").split()
    assert {"ui.log", "registry.log", "proxy.log", "adminserver.log"} <= set(logs)
    assert not host.file("/var/log/harbor").exists
    assert not host.file("/data").exists


def test_harbor_unit_requires_docker_and_the_share(host):
    unit = host.service("harbor.service")
    assert unit.is_enabled
    assert unit.is_running
    requires = host.check_output("systemctl show harbor.service --property=RequiresMountsFor --value")
    assert SHARE in requires.split()

    def unit_property(name: str) -> str:
        return host.check_output(f"systemctl show harbor.service --property={name} --value")

    assert "docker.service" in unit_property("Requires")
    assert "docker.service" in unit_property("After")
