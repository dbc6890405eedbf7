"""The 2.x stand-ins' Harbor rules (harbor_standin.harbor2.rules), against Harbor's and its libraries'."""

import base64
import hashlib
import hmac
import json
from datetime import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from harbor_standin import core as harbor1
from harbor_standin.harbor2 import rules

KEY = b"0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key, fmt) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


# --------------------------------------------------------------------------- migrations


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        # golang-migrate's own test vectors (database/util_test.go at v4.19.1)
        (("database_name", "schema_name_1", "schema_name_2"), 3743845847),
    ],
)
def test_advisory_lock_id_is_golang_migrates(names, expected):
    assert rules.advisory_lock_id(*names) == expected


def test_advisory_lock_id_depends_on_database_schema_and_table():
    ids = {rules.advisory_lock_id("registry"), rules.advisory_lock_id("registry_race")}
    ids.add(rules.advisory_lock_id("registry", schema="other"))
    assert len(ids) == 3
    assert all(0 <= i < 2**32 for i in ids)


def test_up_migrations_in_version_order_without_down_files():
    names = ["0010_1.9.0_schema.up.sql", "0002_1.7.0_schema.up.sql", "0002_1.7.0_schema.down.sql", "README"]
    assert rules.up_migrations(names) == [
        (2, "1.7.0_schema", "0002_1.7.0_schema.up.sql"),
        (10, "1.9.0_schema", "0010_1.9.0_schema.up.sql"),
    ]
    with pytest.raises(ValueError, match="duplicate"):
        rules.up_migrations(["0002_a.up.sql", "2_b.up.sql"])


# --------------------------------------------------------------------------- passwords


def test_new_passwords_follow_the_release():
    assert rules.NEW_PASSWORD_VERSION == {"2.14": "sha256", "2.15": "pbkdf2_sha256"}
    assert (
        rules.password_hash("pw", "salt", "sha256")
        == hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 4096, 16).hex()
    )
    assert (
        rules.password_hash("pw", "salt", "pbkdf2_sha256")
        == hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 600000, 16).hex()
    )
    # RFC 6070 (P="password", S="salt", c=4096): the sha1 rows of Harbor 1.x still log in.
    assert rules.password_hash("password", "salt", "sha1") == "4b007901b765489abead49d926f721d0"
    assert rules.password_hash("pw", "salt", "unknown") == rules.password_hash("pw", "salt", "pbkdf2_sha256")


def test_random_strings_are_letters_and_digits():
    value = rules.random_string(32)
    assert len(value) == 32
    assert value.isalnum()
    assert value != rules.random_string(32)


# --------------------------------------------------------------------------- Redis URLs


def test_redis_urls_as_prepare_writes_them():
    url = rules.parse_redis_url("redis://:p%40ss@10.0.0.5:6379/2?idle_timeout_seconds=30")
    assert url == rules.RedisURL(host="10.0.0.5", port=6379, username="", password="p@ss", db=2)
    assert rules.parse_redis_url("redis://redis:6379").db == 0
    with pytest.raises(ValueError, match="sentinel"):
        rules.parse_redis_url("redis+sentinel://:pw@h1:26379,h2:26379/mymaster/1")
    assert rules.redacted("redis://:secret@h:6379/1") == "redis://:(6 chars)@h:6379/1"
    assert rules.redacted("redis://h:6379") == "redis://h:6379"


# --------------------------------------------------------------------------- tokens


def test_core_checks_tokens_signed_with_its_key_in_pkcs1_or_pkcs8(rsa_key):
    access = harbor1.resource_actions(["repository:library/tiny:pull"])
    token = harbor1.make_token(rsa_key, "admin", "harbor-registry", access, expiration_minutes=30)["token"]
    for fmt in (serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.PKCS8):
        claims = rules.parse_token(token, rules.verification_key(pem(rsa_key, fmt)))
        assert claims["sub"] == "admin"
        assert rules.token_actions(claims["access"]) == {"library": {"pull"}}


def test_core_refuses_foreign_expired_and_misdirected_tokens(rsa_key):
    public = rsa_key.public_key()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    make = harbor1.make_token
    foreign = make(other, "admin", "harbor-registry", None, expiration_minutes=30)["token"]
    with pytest.raises(rules.InvalidToken, match="signature is invalid"):
        rules.parse_token(foreign, public)
    expired = make(rsa_key, "admin", "harbor-registry", None, expiration_minutes=1, now=1_000_000)["token"]
    with pytest.raises(rules.InvalidToken, match="expired"):
        rules.parse_token(expired, public)
    # The 60 s of leeway: a minute past exp is still accepted.
    assert rules.parse_token(expired, public, now=1_000_000 + 60 + 59)["sub"] == "admin"
    elsewhere = make(rsa_key, "admin", "notary", None, expiration_minutes=30)["token"]
    with pytest.raises(rules.InvalidToken, match="audience"):
        rules.parse_token(elsewhere, public)
    _, claims, signature = make(rsa_key, "admin", "harbor-registry", None, expiration_minutes=30)[
        "token"
    ].split(".")
    hs256 = base64.urlsafe_b64encode(json.dumps({"alg": "HS256"}).encode()).decode().rstrip("=")
    with pytest.raises(rules.InvalidToken, match="signing method HS256"):
        rules.parse_token(f"{hs256}.{claims}.{signature}", public)
    with pytest.raises(rules.InvalidToken, match="malformed"):
        rules.parse_token("not-a-token", public)


def test_token_actions_as_v2token_reads_them():
    access = [
        {"type": "repository", "name": "p1/a", "actions": ["*"]},
        {"type": "repository", "name": "p2/b", "actions": ["pull", "push", "bogus"]},
        {"type": "registry", "name": "catalog", "actions": ["*"]},
    ]
    assert rules.token_actions(access) == {"p1": {"pull", "push", "delete"}, "p2": {"pull", "push"}}
    assert rules.token_actions(None) == {}


def test_scopes_as_the_token_service_parses_them():
    assert rules.resource_actions(["repository:lib/a:pull,push", "", "registry:catalog:*"]) == [
        {"type": "repository", "name": "lib/a", "actions": ["pull", "push"]},
        {"type": "registry", "name": "catalog", "actions": ["*"]},
    ]
    # A name may hold colons (a registry with a port): the actions are after the last one.
    assert rules.resource_actions(["repository:host:5000/p/a:pull"])[0]["name"] == "host:5000/p/a"
    assert rules.resource_actions(["repository:p/a:"])[0]["actions"] == []
    assert rules.split_repository("p/a/b:tag") == ("p", "a/b")
    with pytest.raises(ValueError, match="unable to parse image"):
        rules.split_repository("alone")


# --------------------------------------------------------------------------- CSRF


def test_csrf_cookie_is_securecookie_with_the_json_serializer():
    token = bytes(range(32))
    cookie = rules.encode_csrf_cookie(KEY, token, now=1_700_000_000)
    raw = base64.urlsafe_b64decode(cookie)
    stamp, value, mac = raw.split(b"|", 2)
    assert stamp == b"1700000000"
    assert json.loads(base64.urlsafe_b64decode(value)) == base64.b64encode(token).decode()
    expected = hmac.new(KEY, b"_gorilla_csrf|1700000000|" + value, hashlib.sha256).digest()
    assert mac == expected
    assert rules.decode_csrf_cookie(KEY, cookie, now=1_700_000_000 + 3600) == token


def test_a_csrf_cookie_is_refused_under_another_key_or_when_stale():
    cookie = rules.encode_csrf_cookie(KEY, bytes(32), now=1_700_000_000)
    with pytest.raises(rules.CSRFError, match="not valid"):
        rules.decode_csrf_cookie(b"another-key-of-thirty-two-bytes!", cookie, now=1_700_000_000)
    with pytest.raises(rules.CSRFError, match="expired"):
        rules.decode_csrf_cookie(KEY, cookie, now=1_700_000_000 + 12 * 3600 + 1)


def test_masked_tokens_differ_and_unmask_to_the_real_one():
    real = bytes(range(32))
    first, second = rules.mask_csrf_token(real), rules.mask_csrf_token(real)
    assert first != second
    for masked in (first, second):
        assert rules.unmask_csrf_token(base64.b64decode(masked)) == real
    assert rules.unmask_csrf_token(b"short") is None


def test_csrf_check_as_gorilla_does_it():
    real = bytes(range(32))
    cookie = rules.encode_csrf_cookie(KEY, real)
    header = rules.mask_csrf_token(real)
    assert rules.check_csrf(KEY, "POST", cookie, header) == (real, False)
    # A safe method passes without a header; a missing cookie yields a new token to set.
    token, fresh = rules.check_csrf(KEY, "GET", None, None)
    assert fresh
    assert len(token) == 32
    with pytest.raises(rules.CSRFError, match="CSRF token not found in request"):
        rules.check_csrf(KEY, "POST", cookie, None)
    with pytest.raises(rules.CSRFError, match="CSRF token invalid"):
        rules.check_csrf(KEY, "POST", cookie, rules.mask_csrf_token(bytes(32)))
    with pytest.raises(rules.CSRFError, match="CSRF token invalid"):
        rules.check_csrf(b"another-key-of-thirty-two-bytes!", "POST", cookie, header)


@pytest.mark.parametrize(
    ("path", "session", "applies"),
    [
        ("/c/login", False, True),
        ("/api/v2.0/projects", False, False),
        ("/api/v2.0/projects", True, True),
        ("/v2/library/x/manifests/1", False, False),
        ("/service/token", False, False),
    ],
)
def test_csrf_applies_where_harbors_skipper_says(path, session, applies):
    assert rules.csrf_applies(path, session) is applies


# --------------------------------------------------------------------------- API shapes


def test_systeminfo_hides_the_protected_part_from_anonymous_callers():
    cfg = {**rules.SETTINGS, "ext_endpoint": "http://10.0.0.1:8080"}
    assert set(rules.general_info(cfg, None)) == {
        "auth_mode",
        "primary_auth_mode",
        "self_registration",
        "banner_message",
        "oidc_provider_name",
    }
    protected = {"has_ca_root": True, "harbor_version": "v2.15.2-080b0220", "storage_provider": "filesystem"}
    info = rules.general_info(cfg, {**protected, "now": datetime(2026, 1, 2, 3, 4, 5, 678000)})
    assert info["registry_url"] == "10.0.0.1:8080"
    assert info["has_ca_root"] is False  # only over https
    assert info["current_time"] == "2026-01-02T03:04:05.678Z"


def test_health_is_healthy_only_when_every_component_is():
    assert rules.overall_health({"core": None, "redis": None})["status"] == "healthy"
    health = rules.overall_health({"redis": "refused", "core": None})
    assert health == {
        "status": "unhealthy",
        "components": [
            {"name": "core", "status": "healthy"},
            {"name": "redis", "status": "unhealthy", "error": "refused"},
        ],
    }
