"""Each node runs the field report's Harbor: everything on the share, the external DB and Redis,
the cluster's keys. Runs on both nodes."""

from __future__ import annotations

import yaml
from bedhelpers import wait_until
from harbor_testlib import NODES, SECRETS, SHARE, wait_healthy

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


def test_proxy_is_published_on_the_node_address_and_cluster_port_only(host, harbor_dir):
    address = NODES[host.backend.get_hostname()]
    assert compose(host, harbor_dir)["services"]["proxy"]["ports"] == [f"{address}:8060:80"]
    assert host.check_output("docker port nginx 80/tcp") == f"{address}:8060"
    assert host.socket(f"tcp://{address}:8060").is_listening
    assert not host.socket("tcp://0.0.0.0:8060").is_listening
    assert not host.socket("tcp://0.0.0.0:443").is_listening
    # Not on another address of the node: TLS at the load balancer cannot be bypassed there.
    assert host.run("curl -sS -o /dev/null http://127.0.0.1:8060/").rc != 0


def test_the_job_node_publishes_its_jobservice_on_its_address_only(host):
    if host.backend.get_hostname() != "harbor-node1":
        assert host.run("docker inspect harbor-jobservice").rc != 0
        return
    assert host.check_output("docker port harbor-jobservice 80/tcp") == f"{NODES['harbor-node1']}:8061"
    assert not host.socket("tcp://0.0.0.0:8061").is_listening


def container_env(host, container: str) -> dict[str, str]:
    """The environment of a running container, as `docker exec env` shows it."""
    text = host.check_output(f"docker exec {container} env")
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_adminserver_and_ui_see_the_external_db_and_redis_as_given(host, hostvars):
    # Each password holds what a bare env_file value loses: compose must hand it over unchanged.
    for name in ("cluster_db_password", "cluster_redis_password", "harbor_admin_password"):
        assert all(part in hostvars[name] for part in (" #", "'", '"', "$")), name
    admin = container_env(host, "harbor-adminserver")
    assert admin["MYSQL_HOST"] == "10.201.5.11"
    assert admin["MYSQL_PORT"] == "3306"
    assert admin["MYSQL_USR"] == "harbor"
    assert admin["MYSQL_DATABASE"] == "registry"
    assert admin["MYSQL_PWD"] == hostvars["cluster_db_password"]
    assert admin["HARBOR_ADMIN_PASSWORD"] == hostvars["harbor_admin_password"]
    assert admin["RESET"] == "true"
    ui = container_env(host, "harbor-ui")
    assert ui["_REDIS_URL"] == f"10.201.5.12:6379,100,{hostvars['cluster_redis_password']},0"


def test_the_ui_logs_in_to_mysql_and_redis_with_them(host, hostvars):
    # The ui reads the user from MySQL with MYSQL_PWD, and keeps the session in Redis with the
    # password of _REDIS_URL; its start fails on either password being wrong.
    address = NODES[host.backend.get_hostname()]
    base = f"-H 'Host: {address}:8060' http://{address}:8060"
    login = host.run(
        f"curl -sS -c /tmp/harbor-node-session -o /dev/null -w '%%{{http_code}}' {base}/login"
        " --data-urlencode principal=admin --data-urlencode %s",
        f"password={hostvars['harbor_admin_password']}",
    )
    assert login.stdout == "200", login.stderr
    session = host.run(
        f"curl -sS -b /tmp/harbor-node-session -o /dev/null -w '%{{http_code}}' {base}/api/users/current"
    )
    assert session.stdout == "200"


def test_the_files_that_hold_passwords_are_root_s_only(host, harbor_dir):
    for path in ("config/adminserver/env", "templates/adminserver/env", "config/ui/env", "templates/ui/env"):
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


def test_no_published_token_key_is_left_in_the_installer(host, harbor_dir):
    # Harbor's own prepare would install these with customize_crt = off: they are the cluster's.
    templates = f"{harbor_dir}/common/templates"
    key = host.file(f"{templates}/ui/private_key.pem")
    assert key.sha256sum == host.file(f"{SECRETS}/private_key.pem").sha256sum
    assert (key.user, key.mode) == ("root", 0o600)
    assert host.file(f"{templates}/registry/root.crt").sha256sum == host.file(f"{SECRETS}/root.crt").sha256sum


def test_harbor_1_1_s_share_is_root_s(host):
    # Harbor 1.1's containers run as root: nothing on the share is left to uid 10000.
    node = host.backend.get_hostname()
    for path in ("data", "data/registry", "data/config", "data/job_logs", "log", f"log/{node}"):
        assert host.check_output(f"stat --format '%u:%g' {SHARE}/{path}") == "0:0", path


def test_harbor_comes_back_after_an_engine_restart(host):
    # The unit requires docker: systemd restarts Harbor after the engine, on its own. The engine
    # brings the containers back by their restart policy before the unit's own start job ends, so
    # the node may answer while the unit is still activating: wait for the job to end, then judge.
    host.check_output("systemctl restart docker.service")
    wait_healthy(host, host.backend.get_hostname())

    def unit_state() -> str:
        return host.check_output("systemctl show harbor.service --property=ActiveState --value")

    wait_until(lambda: unit_state() in ("active", "failed"), 120, "harbor.service's start job ending")
    assert unit_state() == "active"


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
