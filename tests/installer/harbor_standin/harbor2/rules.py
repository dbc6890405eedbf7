"""Harbor 2.x rules the 2.x stand-ins share, as pure functions that the unit tests run directly.

Each block names the Harbor (or library) source it follows, at the version Harbor 2.15.2 pins.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import re
import secrets
import string
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# --------------------------------------------------------------------------- releases
# Makefile GITCOMMIT (git rev-parse --short=8) of each release tag: systeminfo says v<x>-<commit>.
GIT_COMMITS = {"2.14.4": "79a297f7", "2.15.2": "080b0220"}


def minor(version: str) -> str:
    return ".".join(version.lstrip("v").split(".")[:2])


# --------------------------------------------------------------------------- passwords
# src/common/utils/encrypt.go and src/pkg/user/manager.go injectPasswd: 2.14 hashes new passwords
# with PBKDF2-SHA256 (4096 rounds); 2.15 with pbkdf2_sha256 (600000 rounds). Older rows keep
# the scheme of their password_version and are verified with it.
NEW_PASSWORD_VERSION = {"2.14": "sha256", "2.15": "pbkdf2_sha256"}
PBKDF2 = {"sha1": ("sha1", 4096), "sha256": ("sha256", 4096), "pbkdf2_sha256": ("sha256", 600000)}


def password_hash(password: str, salt: str, version: str) -> str:
    # An unknown version gets the strongest scheme, as pbkdf2Params does.
    alg, rounds = PBKDF2.get(version, PBKDF2["pbkdf2_sha256"])
    return hashlib.pbkdf2_hmac(alg, password.encode(), salt.encode(), rounds, 16).hex()


def random_string(length: int = 32) -> str:
    """utils.GenerateRandomStringWithLen: a random byte modulo the 62 letters and digits."""
    chars = string.ascii_lowercase + string.ascii_uppercase + string.digits
    return "".join(chars[b % len(chars)] for b in secrets.token_bytes(length))


# --------------------------------------------------------------------------- Redis URLs
# The URLs prepare writes (utils/configs.py get_redis_url) as go-redis ParseURL reads them.


@dataclass(frozen=True)
class RedisURL:
    host: str
    port: int
    username: str
    password: str
    db: int


def parse_redis_url(url: str) -> RedisURL:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "redis":
        raise ValueError(f"{parts.scheme}:// URLs (TLS, sentinel) are not supported by the stand-ins: {url}")
    path = parts.path.strip("/")
    return RedisURL(
        host=parts.hostname or "localhost",
        port=parts.port or 6379,
        # go-redis sends AUTH with the user only when it is not empty; Harbor writes "anonymous"
        # nowhere but as a placeholder the server ignores without ACL users.
        username=urllib.parse.unquote(parts.username or ""),
        password=urllib.parse.unquote(parts.password or ""),
        db=int(path) if path else 0,
    )


def redacted(url: str) -> str:
    """A URL for a log line: the password replaced by its length."""
    parts = urllib.parse.urlsplit(url)
    if not parts.password:
        return url
    shown = f":({len(urllib.parse.unquote(parts.password))} chars)@"
    netloc = parts.netloc.replace(f":{parts.password}@", shown)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


# --------------------------------------------------------------------------- migrations
# golang-migrate v4.19.1 (database/util.go, database/pgx/v5, source/parse.go, migrate.go)

ADVISORY_LOCK_SALT = 1486364155
MIGRATIONS_TABLE = "schema_migrations"
LOCK_TIMEOUT = 15  # migrate.DefaultLockTimeout, seconds: only m.Up() waits with a timeout
MIGRATION_NAME = re.compile(r"^([0-9]+)_(.*)\.(down|up)\.(.*)$")


def advisory_lock_id(database: str, schema: str = "public", table: str = MIGRATIONS_TABLE) -> int:
    """GenerateAdvisoryLockId(databaseName, schemaName, tableName): crc32 times the salt, 32 bits."""
    name = "\x00".join([schema, table, database])
    return (zlib.crc32(name.encode()) * ADVISORY_LOCK_SALT) & 0xFFFFFFFF


def up_migrations(names) -> list[tuple[int, str, str]]:
    """(version, identifier, file name) of the up migrations, in version order."""
    found = {}
    for name in names:
        match = MIGRATION_NAME.match(name)
        if match and match.group(3) == "up":
            version = int(match.group(1))
            if version in found:
                raise ValueError(f"duplicate migration file: {name}")
            found[version] = (version, match.group(2), name)
    return [found[v] for v in sorted(found)]


# --------------------------------------------------------------------------- registry tokens
# src/core/service/token (signing: libtrust reads PKCS#1 only, so the token service of a core
# with a PKCS#8 key answers 500 -- harbor_standin.core.load_signing_key says why), and
# src/server/middleware/security/v2_token.go (verification: golang-jwt reads PKCS#1 and PKCS#8).

REGISTRY_SERVICE = "harbor-registry"
JWT_LEEWAY = 60


class InvalidToken(ValueError):
    """A bearer token core does not accept: the request is then anonymous."""


# Kept per key file content (see harbor_standin.core.load_signing_key: OpenSSL's check of a 4096-bit
# key on every request would make each one hundreds of milliseconds slower than Harbor's).
@functools.lru_cache(maxsize=8)
def verification_key(pem: bytes) -> rsa.RSAPublicKey:
    """jwt.ParseRSAPrivateKeyFromPEM: an RSA key in PKCS#1 or PKCS#8, its public half."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("key is not a valid RSA private key")
    return key.public_key()


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parse_token(token: str, public_key: rsa.RSAPublicKey, *, now: float | None = None) -> dict:
    """The claims of a bearer token that core accepts: RS256 with its key, in time, for the registry."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(_b64url_decode(header_b64))
        claims = json.loads(_b64url_decode(claims_b64))
        signature = _b64url_decode(signature_b64)
    except (ValueError, binascii.Error) as exc:
        raise InvalidToken(f"token is malformed: {exc}") from exc
    if header.get("alg") != "RS256":
        raise InvalidToken(f"token signing method {header.get('alg')} is invalid")
    try:
        public_key.verify(
            signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise InvalidToken("token signature is invalid: crypto/rsa: verification error") from exc
    current = time.time() if now is None else now
    if "exp" in claims and current > claims["exp"] + JWT_LEEWAY:
        raise InvalidToken("token has invalid claims: token is expired")
    if "nbf" in claims and current < claims["nbf"] - JWT_LEEWAY:
        raise InvalidToken("token has invalid claims: token is not valid yet")
    audience = claims.get("aud")
    if REGISTRY_SERVICE not in (audience if isinstance(audience, list) else [audience]):
        raise InvalidToken("token has invalid claims: token has invalid audience")
    return claims


def token_actions(access: list[dict] | None) -> dict[str, set[str]]:
    """v2token.New: project -> the actions a token grants on its repositories ("*" is all three)."""
    granted: dict[str, set[str]] = {}
    for item in access or []:
        if item.get("type") != "repository":
            continue
        actions = set()
        for action in item.get("actions") or []:
            actions |= {"pull", "push", "delete"} if action == "*" else {action}
        granted[item.get("name", "").split("/")[0]] = actions & {"pull", "push", "delete", "scanner-pull"}
    return granted


# src/common/rbac/project/rbac_role.go, for the repository resource: what each project role may do.
ROLE_ACTIONS = {
    1: {"pull", "push", "delete", "scanner-pull"},  # projectAdmin
    4: {"pull", "push", "delete", "scanner-pull"},  # maintainer
    2: {"pull", "push", "scanner-pull"},  # developer
    3: {"pull", "scanner-pull"},  # guest
    5: {"pull", "scanner-pull"},  # limitedGuest
}
SYSADMIN_ACTIONS = {"pull", "push", "delete", "scanner-pull"}


def split_repository(name: str) -> tuple[str, str]:
    """parseImg: 'project/repo[:tag]'; a name without a project is an error."""
    parts = name.split("/", 1)
    if len(parts) < 2:
        raise ValueError(f"unable to parse image from string: {name}")
    return parts[0], parts[1].split(":", 1)[0]


def resource_actions(scopes: list[str]) -> list[dict]:
    """GetResourceActions: 'type:name:a,b' where the name may itself hold colons."""
    access = []
    for scope in scopes:
        if not scope:
            continue
        items = scope.split(":")
        if len(items) == 1:
            kind, name, actions = items[0], "", []
        elif len(items) == 2:
            kind, name, actions = items[0], items[1], []
        else:
            kind, name = items[0], ":".join(items[1:-1])
            actions = items[-1].split(",") if items[-1] else []
        access.append({"type": kind, "name": name, "actions": actions})
    return access


# --------------------------------------------------------------------------- CSRF
# src/server/middleware/csrf/csrf.go on gorilla/csrf v1.7.2 and gorilla/securecookie: the real
# token lives in an HMAC-SHA256 cookie keyed by CSRF_KEY; the header carries it masked.

CSRF_COOKIE = "_gorilla_csrf"
CSRF_HEADER = "X-Harbor-CSRF-Token"
CSRF_TOKEN_LENGTH = 32
CSRF_MAX_AGE = 12 * 3600
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class CSRFError(ValueError):
    """gorilla/csrf's failure reasons, as Harbor reports them."""


def _cookie_b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data)


def encode_csrf_cookie(key: bytes, token: bytes, now: int | None = None) -> str:
    """securecookie.Encode with the JSON serializer, no encryption."""
    value = _cookie_b64((json.dumps(base64.b64encode(token).decode()) + "\n").encode())
    stamp = int(time.time()) if now is None else now
    signed = f"{CSRF_COOKIE}|{stamp}|".encode() + value
    mac = hmac.new(key, signed, hashlib.sha256).digest()
    return _cookie_b64(f"{stamp}|".encode() + value + b"|" + mac).decode()


def decode_csrf_cookie(key: bytes, cookie: str, now: int | None = None) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(cookie)
    except (ValueError, binascii.Error) as exc:
        raise CSRFError("securecookie: the value is not valid") from exc
    parts = raw.split(b"|", 2)
    if len(parts) != 3:
        raise CSRFError("securecookie: the value is not valid")
    signed = f"{CSRF_COOKIE}|".encode() + raw[: len(raw) - len(parts[2]) - 1]
    if not hmac.compare_digest(hmac.new(key, signed, hashlib.sha256).digest(), parts[2]):
        raise CSRFError("securecookie: the value is not valid")
    stamp = int(parts[0])
    if stamp < (int(time.time()) if now is None else now) - CSRF_MAX_AGE:
        raise CSRFError("securecookie: expired timestamp")
    return base64.b64decode(json.loads(base64.urlsafe_b64decode(parts[1])))


def mask_csrf_token(token: bytes) -> str:
    pad = secrets.token_bytes(CSRF_TOKEN_LENGTH)
    return base64.b64encode(pad + bytes(a ^ b for a, b in zip(pad, token, strict=True))).decode()


def unmask_csrf_token(issued: bytes) -> bytes | None:
    if len(issued) != CSRF_TOKEN_LENGTH * 2:
        return None
    return bytes(a ^ b for a, b in zip(issued[CSRF_TOKEN_LENGTH:], issued[:CSRF_TOKEN_LENGTH], strict=True))


def csrf_applies(path: str, carries_session: bool) -> bool:
    """csrfSkipper: non-UI clients of /v2/, /api/ and /service/ skip it unless they carry a session."""
    return carries_session or not path.startswith(("/v2/", "/api/", "/service/"))


def check_csrf(key: bytes, method: str, cookie: str | None, header: str | None) -> tuple[bytes, bool]:
    """(the real token, whether a new cookie must be set); raises CSRFError for a refused request."""
    real, fresh = None, False
    if cookie:
        try:
            real = decode_csrf_cookie(key, cookie)
        except (CSRFError, ValueError):
            real = None
    if real is None or len(real) != CSRF_TOKEN_LENGTH:
        real, fresh = secrets.token_bytes(CSRF_TOKEN_LENGTH), True
    if method not in SAFE_METHODS:
        if not header:
            raise CSRFError("CSRF token not found in request")
        try:
            issued = base64.b64decode(header, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise CSRFError("CSRF token invalid") from exc
        unmasked = unmask_csrf_token(issued)
        if unmasked is None or not hmac.compare_digest(unmasked, real):
            raise CSRFError("CSRF token invalid")
    return real, fresh


# --------------------------------------------------------------------------- API shapes
# src/server/v2.0/handler and the go-swagger models of api/v2.0/swagger.yaml: fields marked
# omitempty are left out when empty, as go-swagger's JSON does.


def date_time(value: datetime) -> str:
    """strfmt.DateTime: RFC 3339 with milliseconds, UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def errors(code: str, message: str) -> dict:
    return {"errors": [{"code": code, "message": message}]}


# The configuration core serves: Harbor's defaults (Harbor keeps them in its database, editable).
SETTINGS = {
    "auth_mode": "db_auth",
    "primary_auth_mode": False,
    "self_registration": False,
    "banner_message": "",
    "project_creation_restriction": "everyone",
    "read_only": False,
    "notification_enable": True,
}


def general_info(cfg: dict, protected: dict | None) -> dict:
    """GetSystemInfo: anonymous callers get the public part only."""
    info = {
        "auth_mode": cfg["auth_mode"],
        "primary_auth_mode": cfg["primary_auth_mode"],
        "self_registration": cfg["self_registration"],
        "banner_message": cfg["banner_message"],
        "oidc_provider_name": "",
    }
    if protected is not None:
        endpoint = cfg["ext_endpoint"]
        info.update(
            has_ca_root=protected["has_ca_root"] and endpoint.startswith("https://"),
            project_creation_restriction=cfg["project_creation_restriction"],
            harbor_version=protected["harbor_version"],
            external_url=endpoint,
            registry_url=endpoint.split("://", 1)[-1],
            read_only=cfg["read_only"],
            registry_storage_provider_name=protected["storage_provider"],
            notification_enable=cfg["notification_enable"],
            current_time=date_time(protected["now"]),
        )
    return info


def user_resp(row: dict) -> dict:
    """models.UserResp of the current user (password and salt are never sent)."""
    user = {
        "user_id": row["user_id"],
        "username": row["username"],
        "realname": row["realname"],
        "sysadmin_flag": row["sysadmin_flag"],
        "admin_role_in_auth": False,
        "creation_time": date_time(row["creation_time"]),
        "update_time": date_time(row["update_time"]),
    }
    for key in ("email", "comment"):
        if row.get(key):
            user[key] = row[key]
    return user


def project_json(row: dict, metadata: dict[str, str], repo_count: int, role_ids: list[int]) -> dict:
    project = {
        "project_id": row["project_id"],
        "owner_id": row["owner_id"],
        "owner_name": row["owner_name"],
        "name": row["name"],
        "creation_time": date_time(row["creation_time"]),
        "update_time": date_time(row["update_time"]),
        "repo_count": repo_count,
        "metadata": metadata,
    }
    if row.get("registry_id"):
        project["registry_id"] = row["registry_id"]
    if role_ids:
        project["current_user_role_id"] = min(role_ids)
        project["current_user_role_ids"] = sorted(role_ids)
        project["togglable"] = 1 in role_ids
    return project


def overall_health(components: dict[str, str | None]) -> dict:
    """controller/health GetHealth: component -> error (None when healthy), sorted by name."""
    status = [
        {"name": name, "status": "healthy" if error is None else "unhealthy"}
        | ({} if error is None else {"error": error})
        for name, error in sorted(components.items())
    ]
    healthy = all(error is None for error in components.values())
    return {"status": "healthy" if healthy else "unhealthy", "components": status}
