"""Redis without a client library: RESP2, Redis' configuration argument splitting, the ACL digest,
and a login as Harbor 1.1's ui makes it."""

import hashlib
import io
import random
import string

import pytest

from ansible_collections.harbor_ha.cluster.plugins.module_utils import redis_protocol as rp
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.redis_fake import FakeRedis

# ACL GETUSER default of Debian 12's Redis 7.0.15 with one password, as it came over the socket.
GETUSER = (
    b"*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$16\r\nsanitize-payload\r\n$9\r\npasswords\r\n*1\r\n$64\r\n"
    b"fa1e7cf1c6b1ecbf30ac7d10f14384f94380e84c59ba04803e24897bc3507b40\r\n$8\r\ncommands\r\n$5\r\n+@all\r\n"
    b"$4\r\nkeys\r\n$2\r\n~*\r\n$8\r\nchannels\r\n$2\r\n&*\r\n$9\r\nselectors\r\n*0\r\n"
)


@pytest.fixture
def redis():
    server = FakeRedis(passwords=("right",))
    yield server
    server.close()


def test_digest_is_the_acls_sha256():
    assert (
        rp.password_digest('new pass " q')
        == "fa1e7cf1c6b1ecbf30ac7d10f14384f94380e84c59ba04803e24897bc3507b40"
    )
    assert rp.password_digest("é") == hashlib.sha256("é".encode()).hexdigest()


def test_commands_are_arrays_of_bulk_strings():
    assert rp.encode_command("AUTH", "p w") == b"*2\r\n$4\r\nAUTH\r\n$3\r\np w\r\n"
    assert rp.encode_command("SELECT", 3) == b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
    assert rp.encode_command("SET", "k", "é") == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\xc3\xa9\r\n"


def test_replies_of_every_kind():
    stream = io.BytesIO(b"+OK\r\n:42\r\n$-1\r\n$5\r\na\r\nb!\r\n*-1\r\n*2\r\n:1\r\n$1\r\nx\r\n")
    assert [rp.read_reply(stream) for _ in range(6)] == ["OK", 42, None, "a\r\nb!", None, [1, "x"]]
    with pytest.raises(rp.RedisReplyError, match="WRONGPASS"):
        rp.read_reply(io.BytesIO(b"-WRONGPASS invalid username-password pair\r\n"))
    with pytest.raises(ConnectionError):
        rp.read_reply(io.BytesIO(b"$10\r\nshort\r\n"))
    with pytest.raises(ConnectionError):
        rp.read_reply(io.BytesIO(b""))


def test_acl_getuser_of_redis_7():
    user = rp.acl_user(rp.read_reply(io.BytesIO(GETUSER)))
    assert user["flags"] == ["on", "sanitize-payload"]
    assert user["passwords"] == [rp.password_digest('new pass " q')]
    assert user["keys"] == "~*"


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ('requirepass "a b"', ["requirepass", "a b"]),
        (r'requirepass "q\"\\ #"', ["requirepass", 'q"\\ #']),
        ("requirepass 'it\\'s'", ["requirepass", "it's"]),
        (r'x "\x41\n\t"', ["x", "A\n\t"]),
        ('user default on ">p w" #ab ~*', ["user", "default", "on", ">p w", "#ab", "~*"]),
        ("  save 900 1  ", ["save", "900", "1"]),
        ('a"b c" d', ["ab c", "d"]),
        ('a"b c"d', None),
        ("", []),
    ],
)
def test_configuration_lines_split_as_redis_splits_them(line, args):
    if args is None:
        # A closing quote glued to more text: Redis refuses the line.
        with pytest.raises(ValueError, match="closing quote"):
            rp.split_args(line)
    else:
        assert rp.split_args(line) == args


def test_unbalanced_quotes_are_refused():
    with pytest.raises(ValueError, match="unbalanced"):
        rp.split_args('requirepass "open')
    with pytest.raises(ValueError, match="unbalanced"):
        rp.split_args("requirepass 'open")


def test_any_password_survives_quoting():
    chars = string.printable + "é€\x01"
    generator = random.Random(1234)
    for _ in range(500):
        value = "".join(generator.choice(chars) for _ in range(generator.randint(0, 24)))
        assert rp.split_args("user default " + rp.quote_arg(">" + value)) == ["user", "default", ">" + value]


def test_login_as_harbors_ui_does(redis):
    assert rp.login("127.0.0.1", redis.port, "right", database=3) == {
        "ok": True,
        "reason": None,
        "error": None,
    }
    assert redis.commands[-2:] == [["AUTH", "right"], ["SELECT", "3"]]


def test_login_with_a_wrong_password(redis):
    result = rp.login("127.0.0.1", redis.port, "wrong")
    assert (result["ok"], result["reason"]) == (False, "wrong_password")
    assert "WRONGPASS" in result["error"]


def test_login_to_a_database_the_server_lacks(redis):
    result = rp.login("127.0.0.1", redis.port, "right", database=16)
    assert (result["ok"], result["reason"]) == (False, "refused")
    assert "out of range" in result["error"]


def test_login_to_a_server_without_a_password():
    server = FakeRedis()
    try:
        result = rp.login("127.0.0.1", server.port, "any")
    finally:
        server.close()
    assert (result["ok"], result["reason"]) == (False, "no_password")


def test_login_where_nothing_listens():
    server = FakeRedis()
    port = server.port
    server.close()
    result = rp.login("127.0.0.1", port, "any", timeout=2)
    assert (result["ok"], result["reason"]) == (False, "unreachable")
