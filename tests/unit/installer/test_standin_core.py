"""The stand-ins' Harbor behaviour (harbor_standin.core), checked against Harbor 1.1's rules."""

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from harbor_standin import core

from ansible_collections.harbor_ha.cluster.plugins.module_utils import harbor_config

KEY = "0123456789abcdef"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key, fmt) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def b64url_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# --------------------------------------------------------------------------- adminserver


ENV = {
    "EXT_ENDPOINT": "http://10.0.0.1",
    "MYSQL_HOST": "mysql",
    "MYSQL_PORT": "3306",
    "MYSQL_PWD": "from-env",
    "SELF_REGISTRATION": "on",
    "EMAIL_SSL": "false",
    "MAX_JOB_WORKERS": "3",
}


def test_first_start_loads_everything_from_env():
    cfg, why = core.startup_config(None, ENV)
    assert set(cfg) == set(core.ENVIRONMENT)
    assert cfg["mysql_port"] == 3306
    assert cfg["self_registration"] is True
    assert cfg["email_ssl"] is False
    assert cfg["ldap_scope"] == 0
    assert "no stored configuration" in why


def test_restart_keeps_the_store_and_reloads_only_some_keys():
    stored = {"mysql_host": "db-from-store", "mysql_password": "old", "ext_endpoint": "http://old"}
    cfg, why = core.startup_config(stored, {**ENV, "MYSQL_HOST": "ignored"})
    assert cfg["mysql_host"] == "db-from-store"
    assert cfg["mysql_password"] == "from-env"
    assert cfg["ext_endpoint"] == "http://10.0.0.1"
    assert "kept" in why


def test_reset_reloads_everything():
    cfg, why = core.startup_config({"mysql_host": "db-from-store"}, {**ENV, "RESET": "true"})
    assert cfg["mysql_host"] == "mysql"
    assert "RESET" in why


def test_a_bad_number_in_env_stops_the_start():
    with pytest.raises(ValueError):
        core.startup_config(None, {"MYSQL_PORT": "33o6"})


def test_passwords_are_stored_encrypted_as_harbor_does():
    cfg = {"mysql_password": "s3cret", "mysql_host": "db", "mysql_port": 3306}
    sealed = core.seal(cfg, KEY)
    assert sealed["mysql_host"] == "db"
    assert sealed["mysql_port"] == 3306
    token = sealed["mysql_password"]
    assert token.startswith("<enc-v1>")
    raw = base64.b64decode(token[len("<enc-v1>") :])
    assert len(raw) == 16 + len("s3cret")  # IV, then CFB (a stream: no padding)
    assert core.unseal(sealed, KEY) == cfg
    assert core.reversible_decrypt(base64.b64encode(b"plain").decode(), KEY) == "plain"  # pre-1.1 base64


def test_a_secret_key_with_a_newline_cannot_decrypt():
    with pytest.raises(ValueError):
        core.reversible_encrypt("x", KEY + "\n")


# --------------------------------------------------------------------------- users


def test_password_hash_is_pbkdf2_sha1_4096_16_bytes_hex():
    # RFC 6070 test vector (P="password", S="salt", c=4096), first 16 bytes.
    assert core.password_hash("password", "salt") == "4b007901b765489abead49d926f721d0"


def test_salt_is_32_lowercase_letters_and_digits():
    salt = core.new_salt()
    assert len(salt) == 32
    assert set(salt) <= set("abcdefghijklmnopqrstuvwxyz0123456789")


# --------------------------------------------------------------------------- tokens


def test_signing_key_must_be_pkcs1_rsa(rsa_key):
    core.load_signing_key(pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL))
    with pytest.raises(core.SigningKeyError, match=r"PEM type: PRIVATE KEY \(PKCS#8; convert with"):
        core.load_signing_key(pem(rsa_key, serialization.PrivateFormat.PKCS8))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(core.SigningKeyError, match="PEM type: EC PRIVATE KEY"):
        core.load_signing_key(pem(ec_key, serialization.PrivateFormat.TraditionalOpenSSL))
    with pytest.raises(core.SigningKeyError, match="unable to find PEM encoded data"):
        core.load_signing_key(b"not a key")


def test_key_id_is_libtrusts(rsa_key):
    kid = core.libtrust_key_id(rsa_key.public_key())
    groups = kid.split(":")
    assert len(groups) == 12
    assert all(len(g) == 4 and set(g) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for g in groups)
    # base32 of the first 240 bits of sha256(DER SubjectPublicKeyInfo)
    der = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert base64.b32decode("".join(groups)) == hashlib.sha256(der).digest()[:30]


def test_token_is_an_rs256_jwt_the_registry_can_verify(rsa_key):
    access = core.resource_actions(["repository:library/tiny:push,pull"])
    answer = core.make_token(
        rsa_key, "admin", "harbor-registry", access, expiration_minutes=30, now=1_500_000_000
    )
    assert answer["expires_in"] == 1800
    assert answer["issued_at"] == "2017-07-14T02:40:00Z"
    header, claims, signature = answer["token"].split(".")
    assert b64url_json(header) == {
        "typ": "JWT",
        "alg": "RS256",
        "kid": core.libtrust_key_id(rsa_key.public_key()),
    }
    body = b64url_json(claims)
    assert body["iss"] == "harbor-token-issuer"
    assert body["aud"] == "harbor-registry"
    assert body["sub"] == "admin"
    assert (body["nbf"], body["iat"], body["exp"]) == (1_500_000_000, 1_500_000_000, 1_500_001_800)
    assert body["access"] == [{"type": "repository", "name": "library/tiny", "actions": ["push", "pull"]}]
    assert len(body["jti"]) == 16
    rsa_key.public_key().verify(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        f"{header}.{claims}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_scopes_and_permissions():
    assert core.resource_actions([]) is None
    assert core.resource_actions(["", "registry:catalog:*"]) == [
        {"type": "registry", "name": "catalog", "actions": ["*"]}
    ]
    assert core.resource_actions(["repository:a/b"]) == [{"type": "repository", "name": "a/b", "actions": []}]
    assert core.split_repository("library/tiny:1") == ("library", "tiny")
    with pytest.raises(ValueError, match="Unable to parse image from string: tiny"):
        core.split_repository("tiny")
    assert core.permission_actions("RWM") == ["push", "*", "pull"]
    assert core.permission_actions("RS") == ["pull"]
    assert core.permission_actions("") == []


# --------------------------------------------------------------------------- sessions and config


def test_redis_url_is_read_as_beego_reads_it():
    assert core.parse_redis_url("10.0.0.5:6379,100,pa:ss,2") == core.RedisSettings(
        "10.0.0.5", 6379, 100, "pa:ss", 2
    )
    assert core.parse_redis_url("redis:6379") == core.RedisSettings("redis", 6379, 100, "", 0)
    assert core.parse_redis_url("redis:6379,x,,y") == core.RedisSettings("redis", 6379, 100, "", 0)
    with pytest.raises(ValueError, match="missing port"):
        core.parse_redis_url("redis,100,pass,0")


def test_http_port_comes_from_the_runmode_section():
    assert core.http_port("appname = Harbor\nrunmode = dev\n\n[dev]\nhttpport = 80\n") == 80
    assert core.http_port("httpport = 81\nrunmode = prod\n[dev]\nhttpport = 80\n") == 81
    assert core.http_port("appname = x\n") == 8080


def test_general_info_shape():
    cfg = {
        "ext_endpoint": "http://10.0.0.1:8060",
        "auth_mode": "db_auth",
        "project_creation_restriction": "everyone",
        "self_registration": True,
        "admiral_url": "NA",
        "with_notary": False,
    }
    info = core.general_info(cfg, has_ca_root=False, harbor_version="v1.1.2")
    assert info["registry_url"] == "10.0.0.1:8060"
    assert info["with_admiral"] is False
    assert info["admiral_endpoint"] == "NA"
    assert info["harbor_version"] == "v1.1.2"


# --------------------------------------------------------------------------- ui configuration API


STORED = {
    "auth_mode": "db_auth",
    "mysql_password": "p",
    "admin_initial_password": "a",
    "email_password": "e",
    "ldap_search_password": "l",
    "ldap_url": "",
    "ldap_base_dn": "",
    "ldap_uid": "",
    "ldap_scope": 0,
    "mysql_port": 3306,
    "self_registration": True,
}


def test_get_hides_passwords_and_marks_auth_mode_read_only_once_users_exist():
    shown = core.config_for_get(dict(STORED), core.auth_mode_can_be_modified(3))
    assert not set(core.CONFIG_API_PASSWORD_KEYS) & set(shown)
    assert shown["mysql_port"] == {"value": 3306, "editable": True}
    assert shown["auth_mode"] == {"value": "db_auth", "editable": False}
    assert core.config_for_get(dict(STORED), core.auth_mode_can_be_modified(2))["auth_mode"]["editable"]


def test_put_converts_numbers_and_booleans_and_ignores_unknown_keys():
    body = {"self_registration": "0", "token_expiration": "45", "email_host": "smtp", "nonsense": "x"}
    assert core.config_for_put(body, STORED, 2) == {
        "self_registration": False,
        "token_expiration": 45,
        "email_host": "smtp",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"auth_mode": "ldap_auth", "ldap_url": "ldap://x", "ldap_base_dn": "dc=x", "ldap_uid": "uid"},
            "ldap_scope is missing",
        ),
        ({"auth_mode": "ldap_auth"}, "ldap_url is missing"),
        ({"auth_mode": "oidc"}, "invalid auth_mode"),
        ({"self_registration": "true"}, "self_registration should be 0 or 1"),
        ({"email_port": "70000"}, "invalid email_port: 70000"),
        ({"token_expiration": "-1"}, "invalid token_expiration: -1"),
        ({"ldap_scope": "4"}, "invalid ldap_scope"),
        ({"project_creation_restriction": "nobody"}, "invalid project_creation_restriction"),
        ({"email_port": 25}, "Invalid json request"),
    ],
)
def test_put_refuses_what_harbor_refuses(body, message):
    with pytest.raises(core.ConfigRejected, match=message):
        core.config_for_put(body, STORED, 2)


def test_put_guards_the_auth_mode_once_users_exist():
    ldap = {"auth_mode": "ldap_auth", "ldap_url": "ldap://x", "ldap_base_dn": "dc=x", "ldap_uid": "uid"}
    ldap["ldap_scope"] = "3"
    assert core.config_for_put(ldap, STORED, 2)["auth_mode"] == "ldap_auth"
    with pytest.raises(core.ConfigRejected, match="auth_mode can not be modified as new users"):
        core.config_for_put(ldap, STORED, 3)
    # The same mode again is no change.
    assert core.config_for_put({"auth_mode": "db_auth"}, STORED, 3) == {"auth_mode": "db_auth"}


def test_the_stand_in_builds_what_the_collection_expects_of_harbor():
    """Both follow Harbor 1.1's allEnvs: what status.yml compares is what the stand-in answers."""
    env = {name: "1" for name, _ in core.ENVIRONMENT.values()} | {"EMAIL_SSL": "on", "AUTH_MODE": "db_auth"}
    built = core.config_from_env(env, core.ENVIRONMENT)
    for key in core.CONFIG_API_PASSWORD_KEYS:
        built.pop(key)
    assert built == harbor_config.configuration(env)
    assert set(core.CONFIG_API_PASSWORD_KEYS) == set(harbor_config.PASSWORD_KEYS)
