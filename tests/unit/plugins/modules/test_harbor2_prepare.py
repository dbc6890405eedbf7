"""The harbor2_prepare module with the test installer's prepare stand-in behind a fake docker CLI:
Harbor's new secrets on every prepare run, pinned to the cluster's; staged compared with live."""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.module_utils import harbor2_prepare as h2
from ansible_collections.harbor_ha.cluster.plugins.modules import harbor2_prepare

ROOT = Path(__file__).resolve().parents[4]
INSTALLER = ROOT / "tests" / "installer"
VERSION = "2.15.2"

# `docker run --rm -v ...:/input ... IMAGE prepare [--with-trivy]`, as the module calls it: the
# stand-in of goharbor/prepare on those mounts, with Harbor's random draws (a new value each run).
FAKE_DOCKER = """#!{python}
import sys
from pathlib import Path
sys.path.insert(0, {installer!r})
from harbor_standin.harbor2 import prepare
args = sys.argv[1:]
assert args[:2] == ["run", "--rm"], args
by_target = {{}}
while args[2] == "-v":
    source, target = args[3].split(":")[:2]
    by_target[target] = Path(source)
    args = args[:2] + args[4:]
image, command = args[2:4]
assert image == {image!r} and command == "prepare", (image, command)
prepare.htpasswd = lambda path, user, password: path.write_text(user + ":<bcrypt of " + password + ">\\n")
if {fail!r}:
    print("Error happened in config validation...")
    sys.exit(255)
prepare.prepare(
    by_target["/input"] / "harbor.yml",
    "--with-trivy" in args,
    prepare.Paths(
        templates=Path({templates!r}), versions=Path({versions!r}), config=by_target["/config"],
        data=by_target["/data"], hostfs=by_target["/hostfs"],
        compose=by_target["/compose_location"] / "docker-compose.yml", chown=False,
    ),
)
"""


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """The release's prepare templates and version file, as the prepare image carries them."""
    sys.path.insert(0, str(INSTALLER))
    from layout import harbor2_files  # noqa: PLC0415 - tests/installer is put on the path above

    root = tmp_path_factory.mktemp("image")
    for name, content in harbor2_files(VERSION).items():
        if name.startswith("prepare-templates/"):
            target = root / "templates" / name.removeprefix("prepare-templates/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        elif name == "harbor.yml.tmpl":
            (root / "harbor.yml.tmpl").write_bytes(content)
    (root / "versions").write_text(f"VERSION_TAG: v{VERSION}\n")
    return root


def fake_docker(directory: Path, templates: Path, fail: bool = False) -> str:
    path = directory / ("docker-failing" if fail else "docker")
    path.write_text(
        FAKE_DOCKER.format(
            python=sys.executable,
            installer=str(INSTALLER),
            image=f"goharbor/prepare:v{VERSION}",
            templates=str(templates / "templates"),
            versions=str(templates / "versions"),
            fail=fail,
        )
    )
    path.chmod(0o755)
    return str(path)


KEY_SET = {
    "secretkey": b"0123456789abcdef",
    "core_secret": b"pinnedCoreSecret",
    "jobservice_secret": b"pinnedJobSecret1",
    "registry_password": b"pinnedRegistryPassword0123456789",
    "registry_htpasswd": b"harbor_registry_user:$2y$05$pinnedbcrypthashofthepassword\n",
    "csrf_key": b"pinnedCsrfKey0123456789abcdefghi",
    "scan_robot_prefix": b"pinRobot",
}


@pytest.fixture
def cluster(tmp_path, templates, token_pair):
    """A node: its installer directory, the shared data_volume and the cluster's key set."""
    home = tmp_path / "opt" / "harbor"
    home.mkdir(parents=True)
    keys = tmp_path / "share" / "secrets"
    keys.mkdir(parents=True)
    for name, content in {
        **KEY_SET,
        "private_key.pem": token_pair[0].encode(),
        "root.crt": token_pair[1].encode(),
    }.items():
        (keys / name).write_bytes(content)
    data = tmp_path / "share" / "data"
    data.mkdir()
    settings = yaml.safe_load((templates / "harbor.yml.tmpl").read_text())
    del settings["https"], settings["database"]
    settings.update(
        hostname="harbor.example.test",
        external_url="http://harbor.example.test:8080",
        data_volume=str(data),
        external_database={
            "harbor": {
                "host": "10.0.0.2",
                "port": 5432,
                "db_name": "registry",
                "username": "harbor",
                "password": "db-pass",
                "ssl_mode": "disable",
            }
        },
        external_redis={"host": "10.0.0.3:6379", "password": "redis-pass"},
    )
    return {
        "image": f"goharbor/prepare:v{VERSION}",
        "harbor_yml": yaml.safe_dump(settings),
        "path": str(home),
        "data_volume": str(data),
        "key_set": str(keys),
        "docker": fake_docker(tmp_path, templates),
    }


def run(capsys, module_args: dict, check: bool = False) -> dict:
    with patch_module_args({**module_args, "_ansible_check_mode": check}), pytest.raises(SystemExit):
        harbor2_prepare.main()
    return json.loads(capsys.readouterr().out)


def env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def live(cluster: dict) -> dict[str, bytes]:
    roots = [Path(cluster["path"]) / "common" / "config", Path(cluster["data_volume"])]
    return {p: p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file()}


def test_prepare_runs_every_time_and_a_second_run_changes_nothing(capsys, cluster):
    first = run(capsys, cluster)
    assert first["changed"], first
    config = Path(cluster["path"]) / "common" / "config"
    assert str(config / "core" / "env") in first["changed_files"]
    before = live(cluster)
    second = run(capsys, cluster)
    assert (second["changed"], second["changed_files"], second["removed_files"]) == (False, [], [])
    assert live(cluster) == before


def test_the_values_prepare_drew_are_the_clusters(capsys, cluster):
    run(capsys, cluster)
    config = Path(cluster["path"]) / "common" / "config"
    core = env(config / "core" / "env")
    for key, name in h2.PINNED_ENV.items():
        assert core[key] == KEY_SET[name].decode(), key
    assert env(config / "jobservice" / "env")["CORE_SECRET"] == "pinnedCoreSecret"
    assert (
        env(config / "jobservice" / "env")["REGISTRY_CREDENTIAL_PASSWORD"]
        == KEY_SET["registry_password"].decode()
    )
    assert env(config / "registryctl" / "env")["JOBSERVICE_SECRET"] == "pinnedJobSecret1"
    assert (config / "registry" / "passwd").read_bytes() == KEY_SET["registry_htpasswd"]


def test_the_keys_land_under_data_volume_and_nothing_else_there_is_touched(capsys, cluster, token_pair):
    data = Path(cluster["data_volume"])
    blob = data / "registry" / "docker" / "blob"
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"a layer")
    run(capsys, cluster)
    assert (data / "secret" / "keys" / "secretkey").read_bytes() == KEY_SET["secretkey"]
    assert (data / "secret" / "core" / "private_key.pem").read_text() == token_pair[0]
    assert (data / "secret" / "registry" / "root.crt").read_text() == token_pair[1]
    assert oct((data / "secret" / "core" / "private_key.pem").stat().st_mode & 0o777) == "0o600"
    # The directories prepare makes under data_volume, with its modes.
    assert {"ca_download", "job_logs", "registry", "database", "redis"} <= {p.name for p in data.iterdir()}
    assert oct((data / "database").stat().st_mode & 0o777) == "0o700"
    assert blob.read_bytes() == b"a layer"


def test_the_compose_file_is_returned_without_the_bundled_services(capsys, cluster):
    compose = yaml.safe_load(run(capsys, cluster)["compose"])
    assert {"postgresql", "redis"}.isdisjoint(compose["services"])
    assert compose["services"]["core"]["image"] == f"goharbor/harbor-core:v{VERSION}"
    assert not (Path(cluster["path"]) / "docker-compose.yml").exists()


def test_a_value_changed_by_hand_is_put_back_and_only_that(capsys, cluster):
    run(capsys, cluster)
    core_env = Path(cluster["path"]) / "common" / "config" / "core" / "env"
    core_env.write_text(core_env.read_text().replace("CSRF_KEY=pinned", "CSRF_KEY=byhand"))
    result = run(capsys, cluster)
    assert result["changed_files"] == [str(core_env)]
    assert env(core_env)["CSRF_KEY"] == KEY_SET["csrf_key"].decode()


def test_check_mode_reports_and_writes_nothing(capsys, cluster):
    result = run(capsys, cluster, check=True)
    assert result["changed"]
    assert live(cluster) == {}
    run(capsys, cluster)
    assert not run(capsys, cluster, check=True)["changed"]


def test_files_prepare_does_not_write_are_removed_from_common_config(capsys, cluster):
    run(capsys, cluster)
    stray = Path(cluster["path"]) / "common" / "config" / "core" / "left-over.conf"
    stray.write_text("an old file")
    # What docker leaves where the registry's container binds root.crt into /etc/registry.
    mount_point = Path(cluster["path"]) / "common" / "config" / "registry" / "root.crt"
    mount_point.touch()
    result = run(capsys, cluster)
    assert result["removed_files"] == [str(stray)]
    assert not stray.exists()
    assert mount_point.exists()
    assert not run(capsys, cluster)["changed"]


def test_a_csrf_key_given_by_hand_wins_and_must_have_32_characters(capsys, cluster):
    run(capsys, {**cluster, "csrf_key": "K" * 32})
    core_env = Path(cluster["path"]) / "common" / "config" / "core" / "env"
    assert env(core_env)["CSRF_KEY"] == "K" * 32
    result = run(capsys, {**cluster, "csrf_key": "too-short"})
    assert result["failed"]
    assert "the CSRF key has 9 characters" in result["msg"]
    assert env(core_env)["CSRF_KEY"] == "K" * 32


def test_a_harbor_1_1_key_set_is_refused_before_anything_is_written(capsys, cluster):
    for name in ("core_secret", "csrf_key", "registry_htpasswd"):
        os.unlink(Path(cluster["key_set"]) / name)
    result = run(capsys, cluster)
    assert result["failed"]
    assert "lacks core_secret, csrf_key, registry_htpasswd" in result["msg"]
    assert live(cluster) == {}


def test_a_failed_prepare_fails_with_its_output_and_changes_nothing(capsys, cluster, templates, tmp_path):
    result = run(capsys, {**cluster, "docker": fake_docker(tmp_path, templates, fail=True)})
    assert result["failed"]
    assert "prepare failed (255)" in result["msg"]
    assert "config validation" in result["stdout"]
    assert live(cluster) == {}
    assert [p.name for p in Path(cluster["path"]).parent.iterdir()] == ["harbor"]  # no staging left


# --------------------------------------------------------------------------- the pure functions


def test_set_valued_keys_get_one_order_whatever_order_prepare_joined_them_in():
    items = ["core", "registry", "127.0.0.1", "localhost", ".local", "jobservice"]
    texts = set()
    for _ in range(5):
        random.shuffle(items)
        text, _ = h2.pin_env(
            f"HTTP_PROXY=\nNO_PROXY={','.join(items)}\nCORE_SECRET=drawn\n", {"CORE_SECRET": "x"}
        )
        texts.add(text)
    assert texts == {f"HTTP_PROXY=\nNO_PROXY={','.join(sorted(items))}\nCORE_SECRET=x\n"}


def test_a_value_prepare_no_longer_writes_is_an_error(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "env").write_text(
        "CORE_SECRET=a\nREGISTRY_CREDENTIAL_USERNAME=harbor_registry_user\n"
    )
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "passwd").write_text("harbor_registry_user:drawn\n")
    values = {"CORE_SECRET": "b", "CSRF_KEY": "c" * 32}
    with pytest.raises(h2.PinError, match="prepare wrote no CSRF_KEY"):
        h2.pin_config(str(tmp_path), KEY_SET, values)


def test_an_htpasswd_for_another_user_is_an_error(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "env").write_text("CORE_SECRET=a\nREGISTRY_CREDENTIAL_USERNAME=another_user\n")
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "passwd").write_text("another_user:drawn\n")
    with pytest.raises(h2.PinError, match="for the user 'harbor_registry_user'"):
        h2.pin_config(str(tmp_path), KEY_SET, {"CORE_SECRET": "b"})
