"""harbor_compose rewrites Harbor's installer compose file for a node of the cluster."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.harbor_compose import (
    FilterModule,
    harbor_compose,
)

ROOT = Path(__file__).resolve().parents[4]
UPSTREAM = ROOT.parent / "shared" / "upstream"
DATA = "/mnt/cephfs/harbor/data"
LOGS = "/mnt/cephfs/harbor/log/node1"

# The shape of Harbor 1.1's docker-compose.tpl, reduced to what the filter touches. It keeps the
# tests meaningful on a clone without ../shared/upstream; the upstream files are added when present.
MINIMAL = """
version: '2'
services:
  log:
    image: vmware/harbor-log:v1.1.2
    volumes: ["/var/log/harbor/:/var/log/docker/:z"]
    ports: ["127.0.0.1:1514:514"]
  registry:
    image: vmware/registry:2.6.1-photon
    volumes: ["/data/registry:/storage:z", "./common/config/registry/:/etc/registry/:z"]
    depends_on: [log]
  mysql:
    image: vmware/harbor-db:v1.1.2
    volumes: ["/data/database:/var/lib/mysql:z"]
  adminserver:
    image: vmware/harbor-adminserver:v1.1.2
    volumes: ["/data/config/:/etc/adminserver/config/:z", "/data/secretkey:/etc/adminserver/key:z",
              "/data/:/data/:z"]
    depends_on: [log]
  proxy:
    image: vmware/nginx:1.11.5-patched
    volumes: ["./common/config/nginx:/etc/nginx:z"]
    ports: ["80:80", "443:443", "4443:4443"]
    depends_on: [mysql, registry, log]
networks:
  harbor:
    external: false
"""


def compose_files() -> dict[str, dict]:
    files = {"minimal": yaml.safe_load(MINIMAL)}
    for tpl in sorted(UPSTREAM.glob("harbor-v*/docker-compose.tpl")):
        files[f"upstream-{tpl.parent.name}"] = yaml.safe_load(tpl.read_text())
    for equivalent in sorted((ROOT / "tests" / "installer").glob("**/docker-compose.tpl")):
        files[f"equivalent-{equivalent.parent.name}"] = yaml.safe_load(equivalent.read_text())
    return files


FILES = compose_files()


def host_paths(compose: dict) -> list[str]:
    paths = []
    for spec in compose["services"].values():
        for vol in spec.get("volumes", []):
            paths.append(vol["source"] if isinstance(vol, dict) else vol.split(":")[0])
    return paths


@pytest.fixture(params=sorted(FILES), ids=str)
def installer_compose(request):
    return copy.deepcopy(FILES[request.param])


def test_no_host_path_stays_on_local_data_or_log(installer_compose):
    result = harbor_compose(installer_compose, DATA, LOGS, proxy_ports={80: 8060})
    paths = host_paths(result)
    assert paths, "the fixture has volumes"
    for path in paths:
        assert not path.startswith(("/data", "/var/log/harbor")), path
    assert f"{LOGS}/" in paths
    assert f"{DATA}/registry" in paths
    assert f"{DATA}/secretkey" in paths


def test_bundled_mysql_and_every_reference_to_it_are_gone(installer_compose):
    assert "mysql" in installer_compose["services"]
    result = harbor_compose(installer_compose, DATA, LOGS)
    assert "mysql" not in result["services"]
    for spec in result["services"].values():
        assert "mysql" not in spec.get("depends_on", [])
    assert result["services"]["proxy"]["depends_on"]


def test_proxy_publishes_only_the_given_port(installer_compose):
    result = harbor_compose(installer_compose, DATA, LOGS, proxy_ports={80: 8060})
    assert result["services"]["proxy"]["ports"] == ["8060:80"]
    assert result["services"]["log"]["ports"] == installer_compose["services"]["log"]["ports"]


def test_relative_paths_images_and_networks_are_kept(installer_compose):
    result = harbor_compose(installer_compose, DATA, LOGS)
    assert "./common/config/nginx:/etc/nginx:z" in result["services"]["proxy"]["volumes"]
    assert result["networks"] == installer_compose["networks"]
    for name, spec in result["services"].items():
        assert spec["image"] == installer_compose["services"][name]["image"]
    assert list(result["services"]) == [s for s in installer_compose["services"] if s != "mysql"]


def test_input_is_not_modified(installer_compose):
    before = copy.deepcopy(installer_compose)
    harbor_compose(installer_compose, DATA, LOGS)
    assert installer_compose == before


def test_rewrite_is_deterministic(installer_compose):
    first = harbor_compose(installer_compose, DATA, LOGS, proxy_ports={80: 8060})
    second = harbor_compose(copy.deepcopy(installer_compose), DATA, LOGS, proxy_ports={80: 8060})
    assert yaml.safe_dump(first, sort_keys=False) == yaml.safe_dump(second, sort_keys=False)


def test_extra_hosts_reach_every_service(installer_compose):
    result = harbor_compose(installer_compose, DATA, LOGS, extra_hosts={"db.example": "10.0.0.5"})
    for spec in result["services"].values():
        assert "db.example:10.0.0.5" in spec["extra_hosts"]


def test_long_syntax_bind_volume_is_moved():
    compose = yaml.safe_load(MINIMAL)
    compose["services"]["registry"]["volumes"].append(
        {"type": "bind", "source": "/data/secret/registry/root.crt", "target": "/etc/registry/root.crt"}
    )
    result = harbor_compose(compose, DATA, LOGS)
    assert {
        "type": "bind",
        "source": f"{DATA}/secret/registry/root.crt",
        "target": "/etc/registry/root.crt",
    } in result["services"]["registry"]["volumes"]


def test_path_that_only_starts_like_data_is_refused():
    compose = yaml.safe_load(MINIMAL)
    compose["services"]["registry"]["volumes"].append("/database/x:/x")
    with pytest.raises(AnsibleFilterError, match=r"'/database/x'.*layout the filter does not know"):
        harbor_compose(compose, DATA, LOGS)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["services"]["registry"]["volumes"].append("/etc/ssl:/etc/ssl"), "host path '/etc/ssl'"),
        (lambda c: c["services"].pop("proxy"), "there is no 'proxy' service"),
        (lambda c: c["services"]["proxy"].pop("ports"), "publishes no ports"),
        (lambda c: c.pop("services"), "not a docker-compose file"),
        (lambda c: c["services"]["registry"].update(volumes_from=["mysql"]), "removed service"),
        (lambda c: c["services"]["registry"].update(network_mode="service:mysql"), "removed service"),
        (lambda c: c["services"]["registry"]["volumes"].append(42), "unknown form"),
    ],
)
def test_compose_it_does_not_understand_fails_loudly(mutate, message):
    compose = yaml.safe_load(MINIMAL)
    mutate(compose)
    with pytest.raises(AnsibleFilterError, match=message):
        harbor_compose(compose, DATA, LOGS)


def test_proxy_port_it_does_not_publish_fails():
    with pytest.raises(AnsibleFilterError, match=r"container port\(s\) \[8080\]"):
        harbor_compose(yaml.safe_load(MINIMAL), DATA, LOGS, proxy_ports={8080: 8060})


@pytest.mark.parametrize(("data_dir", "log_dir"), [("relative/data", LOGS), (DATA, None)])
def test_relative_or_missing_target_directory_fails(data_dir, log_dir):
    with pytest.raises(AnsibleFilterError, match="must be an absolute path"):
        harbor_compose(yaml.safe_load(MINIMAL), data_dir, log_dir)


def test_filter_is_registered():
    assert FilterModule().filters()["harbor_compose"] is harbor_compose


def test_overrides_set_and_remove_keys():
    result = harbor_compose(
        yaml.safe_load(MINIMAL),
        DATA,
        LOGS,
        overrides={"adminserver": {"ports": ["10.0.0.11:8061:80"], "depends_on": None}},
    )
    assert result["services"]["adminserver"]["ports"] == ["10.0.0.11:8061:80"]
    assert "depends_on" not in result["services"]["adminserver"]


@pytest.mark.parametrize("service", ["nosuch", "mysql"])
def test_override_of_a_missing_or_removed_service_fails(service):
    with pytest.raises(AnsibleFilterError, match=f"cannot override service '{service}'"):
        harbor_compose(yaml.safe_load(MINIMAL), DATA, LOGS, overrides={service: {"image": "x"}})


# Harbor 2.x's prepare writes the share's paths itself (harbor.yml's data_volume and
# log.local.location), in the long syntax too.
PREPARED_2X = f"""
services:
  log:
    image: goharbor/harbor-log:v2.15.2
    volumes:
      - {LOGS}/:/var/log/docker/:z
      - {{type: bind, source: ./common/config/log/logrotate.conf, target: /etc/logrotate.d/logrotate.conf}}
    ports: ["127.0.0.1:1514:10514"]
  core:
    image: goharbor/harbor-core:v2.15.2
    volumes:
      - {DATA}/:/data/:z
      - {{type: bind, source: {DATA}/secret/core/private_key.pem, target: /etc/core/private_key.pem}}
  proxy:
    image: goharbor/nginx-photon:v2.15.2
    ports: ["8060:8080"]
"""


def test_paths_already_on_the_share_stay_and_the_proxy_is_published_as_asked():
    compose = yaml.safe_load(PREPARED_2X)
    result = harbor_compose(compose, DATA, LOGS, proxy_ports={8080: "10.0.0.11:8060"}, remove_services=[])
    assert host_paths(result) == host_paths(compose)
    assert result["services"]["proxy"]["ports"] == ["10.0.0.11:8060:8080"]
    assert set(result["services"]) == {"log", "core", "proxy"}
