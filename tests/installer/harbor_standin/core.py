"""Harbor 1.1 behaviour the stand-ins share, as pure functions (unit tests run them directly).

Each function names the Harbor 1.1 source it follows, so a reader can check the stand-in against
Harbor rather than against itself.
"""

from __future__ import annotations

import base64
import configparser
import functools
import hashlib
import json
import os
import re
import secrets
import string
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 43 keeps CFB among the "decrepit" modes; Debian 12 ships 38
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:
    from cryptography.hazmat.primitives.ciphers.modes import CFB

# --------------------------------------------------------------------------- adminserver config
# src/adminserver/systemcfg/systemcfg.go: configuration key -> environment variable and its type.


def _as_int(value: str) -> int:
    # Go's strconv.Atoi: empty is 0, anything else must be a plain integer or Init fails.
    return int(value) if value else 0


def _as_bool(value: str) -> bool:
    return value.lower() in ("true", "on")


ENVIRONMENT = {
    "ext_endpoint": ("EXT_ENDPOINT", str),
    "auth_mode": ("AUTH_MODE", str),
    "self_registration": ("SELF_REGISTRATION", _as_bool),
    "database_type": ("DATABASE_TYPE", str),
    "mysql_host": ("MYSQL_HOST", str),
    "mysql_port": ("MYSQL_PORT", _as_int),
    "mysql_username": ("MYSQL_USR", str),
    "mysql_password": ("MYSQL_PWD", str),
    "mysql_database": ("MYSQL_DATABASE", str),
    "sqlite_file": ("SQLITE_FILE", str),
    "ldap_url": ("LDAP_URL", str),
    "ldap_search_dn": ("LDAP_SEARCH_DN", str),
    "ldap_search_password": ("LDAP_SEARCH_PWD", str),
    "ldap_base_dn": ("LDAP_BASE_DN", str),
    "ldap_filter": ("LDAP_FILTER", str),
    "ldap_uid": ("LDAP_UID", str),
    "ldap_scope": ("LDAP_SCOPE", _as_int),
    "ldap_timeout": ("LDAP_TIMEOUT", _as_int),
    "email_host": ("EMAIL_HOST", str),
    "email_port": ("EMAIL_PORT", _as_int),
    "email_username": ("EMAIL_USR", str),
    "email_password": ("EMAIL_PWD", str),
    "email_ssl": ("EMAIL_SSL", _as_bool),
    "email_from": ("EMAIL_FROM", str),
    "email_identity": ("EMAIL_IDENTITY", str),
    "registry_url": ("REGISTRY_URL", str),
    "token_expiration": ("TOKEN_EXPIRATION", _as_int),
    "cfg_expiration": ("CFG_EXPIRATION", _as_int),
    "max_job_workers": ("MAX_JOB_WORKERS", _as_int),
    "verify_remote_cert": ("VERIFY_REMOTE_CERT", _as_bool),
    "project_creation_restriction": ("PROJECT_CREATION_RESTRICTION", str),
    "admin_initial_password": ("HARBOR_ADMIN_PASSWORD", str),
    "admiral_url": ("ADMIRAL_URL", str),
    "with_notary": ("WITH_NOTARY", _as_bool),
}
# Read from the environment at every start, even when a stored configuration exists.
RELOADED_AT_EVERY_START = (
    "ext_endpoint",
    "mysql_password",
    "max_job_workers",
    "cfg_expiration",
    "admiral_url",
    "with_notary",
)
# Stored encrypted with the secret key (adminserver's encrypt store driver).
ENCRYPTED = ("email_password", "ldap_search_password", "mysql_password", "admin_initial_password")


def config_from_env(environ: dict[str, str], keys) -> dict:
    return {key: ENVIRONMENT[key][1](environ.get(ENVIRONMENT[key][0], "")) for key in keys}


def startup_config(stored: dict | None, environ: dict[str, str]) -> tuple[dict, str]:
    """What adminserver holds after Init(): the configuration and why it was (re)loaded."""
    if environ.get("RESET") == "true":
        return config_from_env(environ, ENVIRONMENT), "RESET is set: all configurations loaded from env"
    if stored is None:
        return config_from_env(environ, ENVIRONMENT), "no stored configuration: all loaded from env"
    merged = dict(stored)
    merged.update(config_from_env(environ, RELOADED_AT_EVERY_START))
    return merged, "stored configuration kept, " + ", ".join(RELOADED_AT_EVERY_START) + " reloaded from env"


# --------------------------------------------------------------------------- ui configuration API
# src/ui/api/config.go (ConfigAPI) and src/common/dao/config.go at v1.1.2: what GET and PUT
# /api/configurations answer a system administrator.

# The keys a PUT may change (validKeys); the others in the body are ignored.
CONFIG_API_KEYS = (
    "ext_endpoint",
    "auth_mode",
    "database_type",
    "mysql_host",
    "mysql_port",
    "mysql_username",
    "mysql_password",
    "mysql_database",
    "sqlite_file",
    "self_registration",
    "ldap_url",
    "ldap_search_dn",
    "ldap_search_password",
    "ldap_base_dn",
    "ldap_uid",
    "ldap_filter",
    "ldap_scope",
    "ldap_timeout",
    "token_service_url",
    "registry_url",
    "email_host",
    "email_port",
    "email_username",
    "email_password",
    "email_from",
    "email_ssl",
    "email_identity",
    "project_creation_restriction",
    "verify_remote_cert",
    "max_job_workers",
    "token_expiration",
    "cfg_expiration",
    "job_log_dir",
    "admin_initial_password",
)
CONFIG_API_NUM_KEYS = (
    "email_port",
    "ldap_scope",
    "ldap_timeout",
    "mysql_port",
    "max_job_workers",
    "token_expiration",
    "cfg_expiration",
)
CONFIG_API_BOOL_KEYS = ("email_ssl", "self_registration", "verify_remote_cert")
# Never sent by GET (convertForGet deletes them).
CONFIG_API_PASSWORD_KEYS = (
    "admin_initial_password",
    "email_password",
    "ldap_search_password",
    "mysql_password",
)


class ConfigRejected(ValueError):
    """A PUT that ConfigAPI answers 400, with Harbor's message."""


def auth_mode_can_be_modified(user_rows: int) -> bool:
    """dao.AuthModeCanBeModified: every row of `user` counts (deleted ones too); admin and
    anonymous are the two rows of a fresh database."""
    return user_rows == 2


def config_for_get(cfg: dict, auth_mode_editable: bool) -> dict:
    """convertForGet: no password, each value as {"value", "editable"}; only auth_mode can be
    read-only."""
    shown = {key: {"value": value, "editable": True} for key, value in cfg.items()}
    for key in CONFIG_API_PASSWORD_KEYS:
        shown.pop(key, None)
    shown["auth_mode"]["editable"] = auth_mode_editable
    return shown


def _validate_ldap(update: dict, current: dict) -> None:
    """validateCfg's LDAP part: what ldap_auth needs, stored or given, and no empty value."""
    if update.get("auth_mode", current.get("auth_mode", "")) == "ldap_auth":
        for key in ("ldap_url", "ldap_base_dn", "ldap_uid", "ldap_scope"):
            if not current.get(key) and key not in update:
                raise ConfigRejected(f"{key} is missing")
    for key in ("ldap_url", "ldap_base_dn", "ldap_uid"):
        if key in update and not update[key]:
            raise ConfigRejected(f"{key} is empty")
    if "ldap_scope" in update and update["ldap_scope"] not in ("1", "2", "3"):
        raise ConfigRejected("invalid ldap_scope, should be 1, 2 or 3")


def _validate_number(key: str, value: str) -> None:
    # strconv.Atoi: an optional sign, then decimal digits.
    if not re.fullmatch(r"[+-]?[0-9]+", value) or int(value) < 0:
        raise ConfigRejected(f"invalid {key}: {value}")
    if key in ("email_port", "mysql_port") and int(value) > 65535:
        raise ConfigRejected(f"invalid {key}: {value}")


def _validate_update(update: dict, current: dict) -> None:
    """validateCfg: the checks a PUT passes before anything is stored."""
    if update.get("auth_mode", "db_auth") not in ("db_auth", "ldap_auth"):
        raise ConfigRejected("invalid auth_mode, shoud be db_auth or ldap_auth")
    _validate_ldap(update, current)
    for key in CONFIG_API_BOOL_KEYS:
        if key in update and update[key] not in ("0", "1"):
            raise ConfigRejected(f"{key} should be 0 or 1")
    for key in CONFIG_API_NUM_KEYS:
        if key in update:
            _validate_number(key, update[key])
    restriction = update.get("project_creation_restriction", "everyone")
    if restriction not in ("everyone", "adminonly"):
        raise ConfigRejected("invalid project_creation_restriction, should be adminonly or everyone")


def config_for_put(body, current: dict, user_rows: int) -> dict:
    """ConfigAPI.Put up to the upload: the valid keys of a JSON object of strings, validated,
    the auth mode guarded, numbers and booleans converted (convertForPut)."""
    if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
        raise ConfigRejected("Invalid json request")
    update = {key: body[key] for key in CONFIG_API_KEYS if key in body}
    _validate_update(update, current)
    changes_mode = "auth_mode" in update and update["auth_mode"] != current.get("auth_mode")
    if changes_mode and not auth_mode_can_be_modified(user_rows):
        raise ConfigRejected("auth_mode can not be modified as new users have been inserted into database")
    converted = dict(update)
    for key in CONFIG_API_NUM_KEYS:
        if key in converted:
            converted[key] = int(converted[key])
    for key in CONFIG_API_BOOL_KEYS:
        if key in converted:
            converted[key] = converted[key] == "1"
    return converted


# --------------------------------------------------------------------------- secrets at rest
# src/common/utils/encrypt.go

ENCRYPT_HEADER = "<enc-v1>"


def _aes(key: str, iv: bytes) -> Cipher:
    # AES-CFB with a 16-byte key: the secretkey file's exact bytes (a trailing newline breaks it,
    # as it breaks Harbor).
    return Cipher(algorithms.AES(key.encode()), CFB(iv))


def reversible_encrypt(text: str, key: str) -> str:
    iv = os.urandom(16)
    encryptor = _aes(key, iv).encryptor()
    sealed = iv + encryptor.update(text.encode()) + encryptor.finalize()
    return ENCRYPT_HEADER + base64.b64encode(sealed).decode()


def reversible_decrypt(text: str, key: str) -> str:
    if not text.startswith(ENCRYPT_HEADER):
        return base64.b64decode(text).decode()
    sealed = base64.b64decode(text[len(ENCRYPT_HEADER) :])
    if len(sealed) < 16:
        raise ValueError("cipherText too short")
    decryptor = _aes(key, sealed[:16]).decryptor()
    return (decryptor.update(sealed[16:]) + decryptor.finalize()).decode()


def seal(cfg: dict, key: str) -> dict:
    return {
        k: reversible_encrypt(v, key) if k in ENCRYPTED and isinstance(v, str) else v for k, v in cfg.items()
    }


def unseal(cfg: dict, key: str) -> dict:
    return {
        k: reversible_decrypt(v, key) if k in ENCRYPTED and isinstance(v, str) else v for k, v in cfg.items()
    }


# --------------------------------------------------------------------------- users
# src/common/utils/encrypt.go Encrypt, utils.go GenerateRandomString


def password_hash(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha1", password.encode(), salt.encode(), 4096, 16).hex()


def new_salt() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


# --------------------------------------------------------------------------- registry tokens
# src/ui/service/token/authutils.go, creator.go; github.com/docker/libtrust

ISSUER = "harbor-token-issuer"
REGISTRY_SERVICE = "harbor-registry"


class SigningKeyError(ValueError):
    """The token-signing key cannot be used the way Harbor 1.1 uses it."""


# Kept per key file content: OpenSSL 3 checks an RSA key as it loads it, which takes a few hundred
# milliseconds for a 4096-bit key on a loaded machine, where Harbor's Go code parses one in about a
# millisecond. Loading it on every token would make each pull that much slower than Harbor's.
@functools.lru_cache(maxsize=8)
def load_signing_key(pem: bytes) -> rsa.RSAPrivateKey:
    """libtrust.LoadKeyFile as Harbor 1.1 calls it: PKCS#1 RSA only (EC signs with the wrong alg)."""
    match = re.search(rb"-----BEGIN ([A-Z0-9 ]+)-----", pem)
    if not match:
        raise SigningKeyError("unable to decode private key PEM: unable to find PEM encoded data")
    kind = match.group(1).decode()
    if kind != "RSA PRIVATE KEY":
        hint = " (PKCS#8; convert with `openssl rsa -traditional`)" if kind == "PRIVATE KEY" else ""
        raise SigningKeyError(f"unable to get PrivateKey from PEM type: {kind}{hint}")
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError("the PEM block is not an RSA private key")
    return key


def libtrust_key_id(public_key) -> str:
    """The `kid` the registry matches against its rootcertbundle: libtrust's keyIDFromCryptoKey."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


def make_token(
    key: rsa.RSAPrivateKey,
    subject: str,
    service: str,
    access: list[dict] | None,
    *,
    expiration_minutes: int,
    now: int | None = None,
) -> dict:
    """The JSON /service/token answers: an RS256 JWT signed with the ui's private key."""
    issued = int(time.time()) if now is None else now
    header = {"typ": "JWT", "alg": "RS256", "kid": libtrust_key_id(key.public_key())}
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "aud": service,
        "exp": issued + expiration_minutes * 60,
        "nbf": issued,
        "iat": issued,
        "jti": _jwt_id(),
        "access": access,
    }
    payload = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    signature = key.sign(payload.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        "token": f"{payload}.{_b64url(signature)}",
        "expires_in": expiration_minutes * 60,
        "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(issued)),
    }


def resource_actions(scopes: list[str]) -> list[dict] | None:
    """GetResourceActions: 'type:name:a,b' items; None (JSON null) when there is no scope."""
    access = []
    for scope in scopes:
        if not scope:
            continue
        items = scope.split(":")
        access.append(
            {
                "type": items[0],
                "name": items[1] if len(items) > 1 else "",
                "actions": items[2].split(",") if len(items) > 2 else [],
            }
        )
    return access or None


def split_repository(name: str) -> tuple[str, str]:
    """parseImg: 'project/repo[:tag]' -> (project, repo); a name without a project is an error."""
    parts = name.split("/", 1)
    if len(parts) < 2:
        raise ValueError(f"Unable to parse image from string: {name}")
    return parts[0], parts[1].split(":", 1)[0]


def permission_actions(permission: str) -> list[str]:
    actions = []
    if "W" in permission:
        actions.append("push")
    if "M" in permission:
        actions.append("*")
    if "R" in permission:
        actions.append("pull")
    return actions


# --------------------------------------------------------------------------- sessions
# github.com/astaxie/beego/session/redis: SessionInit(savePath)


@dataclass(frozen=True)
class RedisSettings:
    host: str
    port: int
    pool_size: int
    password: str
    db: int


def parse_redis_url(url: str) -> RedisSettings:
    """`host:port,poolsize,password,db` as beego reads it: bad numbers fall back to 100 and 0."""
    fields = url.split(",")
    host, sep, port = fields[0].rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"_REDIS_URL {fields[0]!r}: missing port in address (host:port expected)")
    pool = fields[1] if len(fields) > 1 else ""
    db = fields[3] if len(fields) > 3 else ""
    return RedisSettings(
        host=host,
        port=int(port),
        pool_size=int(pool) if pool.isdigit() and int(pool) > 0 else 100,
        password=fields[2] if len(fields) > 2 else "",
        db=int(db) if db.isdigit() else 0,
    )


# --------------------------------------------------------------------------- beego app.conf


def http_port(app_conf: str) -> int:
    """beego's httpport: top-level keys, overridden by the section named by runmode."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string("[beego-top-level]\n" + app_conf)
    top = parser["beego-top-level"]
    section = top.get("runmode", "dev")
    port = top.get("httpport", "8080")
    if parser.has_section(section):
        port = parser[section].get("httpport", port)
    return int(port)


# --------------------------------------------------------------------------- ui API shapes
# src/ui/api/systeminfo.go GetGeneralInfo


def general_info(cfg: dict, has_ca_root: bool, harbor_version: str) -> dict:
    endpoint = cfg["ext_endpoint"]
    admiral = cfg.get("admiral_url", "")
    return {
        "with_notary": bool(cfg.get("with_notary", False)),
        "with_admiral": admiral not in ("", "NA"),
        "admiral_endpoint": admiral,
        "auth_mode": cfg["auth_mode"],
        "registry_url": endpoint.split("://", 1)[-1],
        "project_creation_restriction": cfg["project_creation_restriction"],
        "self_registration": bool(cfg["self_registration"]),
        "has_ca_root": has_ca_root,
        "harbor_version": harbor_version,
    }
