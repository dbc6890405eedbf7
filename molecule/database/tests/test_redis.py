"""The external Redis: its address, a required password, protected mode, persistence and memory
settings, and the _REDIS_URL Harbor 1.1 gets, used by a real client."""

import pytest
from conftest import FIXTURES, REDIS_ADDRESS


def redis_cli(
    host, *args: str, password: str | None = None, address: str = REDIS_ADDRESS, port: str = "6379"
):
    """redis-cli from `host`; the password goes through the environment, never the command line."""
    auth = "REDISCLI_AUTH=%s " if password is not None else ""
    command = auth + "redis-cli --no-auth-warning -h %s -p %s" + " %s" * len(args)
    params = ([password] if password is not None else []) + [address, port, *args]
    return host.run(command, *params)


def test_redis_runs_on_its_address_and_localhost(redis):
    service = redis.service("redis-server.service")
    assert service.is_running
    assert service.is_enabled
    assert redis.socket(f"tcp://{REDIS_ADDRESS}:6379").is_listening
    assert redis.socket("tcp://127.0.0.1:6379").is_listening
    assert not redis.socket("tcp://0.0.0.0:6379").is_listening


def test_config_is_private_to_redis(redis):
    config = redis.file("/etc/redis/redis.conf")
    assert (config.user, config.group, config.mode) == ("redis", "redis", 0o640)


@pytest.mark.parametrize("command", [("PING",), ("SET", "harbor_ha:probe", "x"), ("KEYS", "*")])
def test_unauthenticated_commands_are_refused(client, command):
    result = redis_cli(client, *command)
    assert "NOAUTH Authentication required" in result.stdout + result.stderr


def test_wrong_password_is_refused(client):
    result = redis_cli(client, "PING", password="not-the-password")
    assert "WRONGPASS" in result.stdout + result.stderr
    assert "PONG" not in result.stdout


def test_settings_in_force(redis):
    def config(name):
        return redis_cli(
            redis, "CONFIG", "GET", name, password=FIXTURES["cluster_redis_password"]
        ).stdout.split("\n")[1]

    assert config("protected-mode") == "yes"
    assert config("maxmemory") == str(256 * 1024 * 1024)
    assert config("maxmemory-policy") == "volatile-lru"
    assert config("save") == "3600 1 300 100 60 10000"
    assert config("appendonly") == "no"
    assert config("dir") == "/var/lib/redis"


def test_rendered_redis_url_works_for_a_real_client(client):
    url_file = client.file("/root/harbor-redis-url")
    assert url_file.mode == 0o600
    # Parsed exactly as beego's redis session provider (Harbor 1.1's ui) does: split on commas.
    addr, poolsize, password, database = url_file.content_string.rstrip("\n").split(",")
    host, port = addr.rsplit(":", 1)
    assert (host, port, poolsize, database) == (REDIS_ADDRESS, "6379", "100", "0")
    assert password == FIXTURES["cluster_redis_password"]
    written = redis_cli(
        client,
        "-n",
        database,
        "SET",
        "harbor_ha:session",
        "alive",
        "EX",
        "60",
        password=password,
        address=host,
        port=port,
    )
    assert written.stdout.strip() == "OK", written.stdout + written.stderr
    read = redis_cli(
        client, "-n", database, "GET", "harbor_ha:session", password=password, address=host, port=port
    )
    assert read.stdout.strip() == "alive"
