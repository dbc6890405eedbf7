"""harbor_redis_url builds what beego's redis session provider parses, or refuses."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.harbor_redis_url import (
    FilterModule,
    harbor_redis_url,
)


def beego_parse(url: str) -> dict:
    """What beego 1.x's session/redis SessionInit makes of the value (strings.Split on ",")."""
    parts = url.split(",")
    return {"addr": parts[0], "poolsize": int(parts[1]), "password": parts[2], "db": int(parts[3])}


def test_defaults():
    assert harbor_redis_url("10.0.0.5", password="s3cret") == "10.0.0.5:6379,100,s3cret,0"


def test_every_field_round_trips_through_beego():
    password = "p@ss w#rd;'\"x"
    url = harbor_redis_url("redis.example", password=password, port="6380", pool_size=20, database=3)
    assert beego_parse(url) == {"addr": "redis.example:6380", "poolsize": 20, "password": password, "db": 3}


def test_ipv6_is_bracketed_for_go():
    assert harbor_redis_url("fd00::5", password="x").startswith("[fd00::5]:6379,")
    assert harbor_redis_url("[fd00::5]", password="x").startswith("[fd00::5]:6379,")


@pytest.mark.parametrize(
    ("password", "what"),
    [("a,b", "comma"), ("a\nb", "line break"), ("a\rb", "carriage return"), ("a\0b", "NUL")],
)
def test_inexpressible_password_is_refused_without_echoing_it(password, what):
    with pytest.raises(AnsibleFilterError, match=what) as err:
        harbor_redis_url("10.0.0.5", password=password)
    assert "cluster_redis_password" in str(err.value)
    assert password not in str(err.value)


@pytest.mark.parametrize("password", [None, "", 42])
def test_missing_or_empty_password_is_refused(password):
    with pytest.raises(AnsibleFilterError, match="missing or empty"):
        harbor_redis_url("10.0.0.5", password=password)


@pytest.mark.parametrize("address", ["", "  ", None, "a,b", "10.0.0.5 ", "redis://10.0.0.5", "h\tx"])
def test_bad_address_is_refused(address):
    with pytest.raises(AnsibleFilterError, match=r"address|host name"):
        harbor_redis_url(address, password="x")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port": 0}, "port must be between 1 and 65535"),
        ({"port": 65536}, "port must be between 1 and 65535"),
        ({"port": "http"}, "port must be an integer"),
        ({"port": True}, "port must be an integer"),
        ({"pool_size": 0}, "pool_size must be at least 1"),
        ({"database": -1}, "database must be at least 0"),
        ({"database": None}, "database must be an integer"),
    ],
)
def test_bad_numbers_are_refused(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        harbor_redis_url("10.0.0.5", password="x", **kwargs)


def test_registered_under_its_name():
    assert FilterModule().filters() == {"harbor_redis_url": harbor_redis_url}
