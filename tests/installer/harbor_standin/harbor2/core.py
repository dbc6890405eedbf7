"""STAND-IN for goharbor/harbor-core (Harbor 2.x): API, logins, CSRF, token service, /v2/ proxy.

Start-up follows src/core/main.go: the session store in the Redis of _REDIS_URL_CORE (a wrong
address or password stops core), the database, its migrations (migrate.py; `-mode skip-migrate`
or `migrate` as Harbor's flag), the admin's initial password when row 1 has none, then the
server on the port of app.conf. Requests go through Harbor's middlewares in order: session
flag, CSRF (gorilla/csrf keyed by CSRF_KEY), security context (secret, bearer token on /v2,
basic auth, session), then the handler. Sessions are JSON in Redis under the `sid` (Harbor
stores gob under the same key with the same lifetime): a stand-in shares sessions only with
other stand-ins. /v2/ is checked (v2auth) and proxied to the registry with the registry
credential, as Harbor 2.x does.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import psycopg2
import psycopg2.extras
import redis

from harbor_standin import core as harbor1
from harbor_standin.harbor2 import clients, migrate, rules
from harbor_standin.web import FROZEN_SECONDS, Handler, LoginLock, described, fatal, log, serve, wait_tcp

PRIVATE_KEY = Path("/etc/core/private_key.pem")
CA_ROOT = Path("/etc/core/ca/ca.crt")
VERSIONS = Path("/harbor/versions")
MIGRATIONS = Path("/harbor/migrations/postgresql")
SESSION_COOKIE = "sid"
SESSION_MINUTES = 60  # session_timeout's default (lib/config/metadata)
TOKEN_MINUTES = 30  # token_expiration's default
ADMIN_USER_ID = 1
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
PROJECT_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
REPOSITORY_PATH = re.compile(r"^/v2/(?P<name>.+?)/(?:manifests|blobs|tags|referrers)(?:/|$)")
PROJECT_PATH = re.compile(r"^/api/v2\.0/projects/(?P<key>[^/]+)$")


@dataclass
class Security:
    """The request's security context: who, and what a bearer token granted."""

    kind: str = "anonymous"  # anonymous, secret, v2token, basic, session
    user: dict | None = None
    token_actions: dict[str, set[str]] = field(default_factory=dict)
    token_issued: float = 0.0

    @property
    def username(self) -> str:
        return self.user["username"] if self.user else ""

    @property
    def authenticated(self) -> bool:
        return self.kind == "secret" or (self.kind == "v2token" and bool(self.user)) or self.user is not None

    @property
    def sysadmin(self) -> bool:
        return self.kind == "secret" or (
            self.kind in ("basic", "session") and bool(self.user["sysadmin_flag"])
        )


class Database:
    """One PostgreSQL session shared by the request threads (Harbor's pool, simplified)."""

    def __init__(self, env: dict[str, str]):
        self.settings = clients.postgres_settings(env, "POSTGRESQL_", clients.CORE_DATABASE)
        self._lock = threading.Lock()
        self._conn = None

    def describe(self) -> str:
        s = self.settings
        return (
            f"host-{s['host']} port-{s['port']} user-{s['user']} database-{s['dbname']} "
            f"sslmode-{s['sslmode']}"
        )

    def connect(self):
        return psycopg2.connect(**self.settings)

    def query(self, sql: str, *args) -> list[dict]:
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self.connect()
                self._conn.autocommit = True
            try:
                with self._conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    cur.execute(sql, args)
                    return [dict(row) for row in cur.fetchall()] if cur.description else []
            except psycopg2.OperationalError:
                self._conn = None
                raise


class Sessions:
    """beego sessions with Harbor's provider: the `sid` key in Redis, 60 minutes of life."""

    def __init__(self, url: str):
        self.redis = clients.redis_client(url)
        self.redis.ping()

    def get(self, sid: str) -> dict:
        raw = self.redis.get(sid)
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            log("WARNING", f"session {sid[:6]}... is not a stand-in session (written by Harbor?): ignored")
            return {}

    def put(self, sid: str, values: dict) -> None:
        self.redis.setex(sid, SESSION_MINUTES * 60, json.dumps(values))

    def delete(self, sid: str) -> None:
        self.redis.delete(sid)


class Harbor:
    """Core's state: its env, database, sessions, keys and health."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.version = self._release()
        self.csrf_key = env.get("CSRF_KEY", "").encode()
        self.secrets = {env.get("CORE_SECRET", ""), env.get("JOBSERVICE_SECRET", "")} - {""}
        self.registry = urllib.parse.urlsplit(env.get("REGISTRY_URL") or "http://registry:5000")
        credential = (
            f"{env.get('REGISTRY_CREDENTIAL_USERNAME', '')}:{env.get('REGISTRY_CREDENTIAL_PASSWORD', '')}"
        )
        self.registry_auth = "Basic " + base64.b64encode(credential.encode()).decode()
        self.lock = LoginLock()
        self.health: dict[str, str | None] = {}
        self.db = Database(env)
        self.sessions: Sessions | None = None

    @staticmethod
    def _release() -> str:
        text = VERSIONS.read_text() if VERSIONS.exists() else ""
        match = re.search(r"VERSION_TAG:\s*(\S+)", text)
        return match.group(1) if match else "dev-legacy"

    @property
    def harbor_version(self) -> str:
        return f"{self.version}-{rules.GIT_COMMITS.get(self.version.lstrip('v'), 'unknown')}"

    # ----------------------------------------------------------------- start-up

    def start(self, mode: str) -> None:
        redis_url = self.env.get("_REDIS_URL_CORE", "")
        log("INFO", f"session provider: redis {rules.redacted(redis_url)}")
        self.sessions = Sessions(redis_url)
        log("INFO", "initializing configurations...")
        log(
            "INFO",
            f"env: {described('CORE_SECRET', self.env.get('CORE_SECRET', ''))}, "
            f"{described('JOBSERVICE_SECRET', self.env.get('JOBSERVICE_SECRET', ''))}, "
            f"{described('CSRF_KEY', self.env.get('CSRF_KEY', ''))}, "
            f"EXT_ENDPOINT={self.env.get('EXT_ENDPOINT', '')}",
        )
        log("INFO", f"initializing database: type-PostgreSQL {self.db.describe()}")
        wait_tcp(self.db.settings["host"], self.db.settings["port"])
        if mode == "skip-migrate":
            log("INFO", "skip the database migrate")
        else:
            try:
                migrate.migrate(self.db.connect, MIGRATIONS)
            except (migrate.MigrationError, psycopg2.Error) as exc:
                fatal(f"failed to migrate the database, error: {exc}")
            if mode == "migrate":
                log("INFO", "the database migrate success")
                raise SystemExit(0)
            log("INFO", "The database has been migrated successfully")
        self.set_initial_admin_password()
        threading.Thread(target=self._check_health, daemon=True).start()

    def set_initial_admin_password(self) -> None:
        rows = self.db.query("SELECT salt FROM harbor_user WHERE user_id = %s", ADMIN_USER_ID)
        if not rows:
            fatal(f"failed to get user, userID: {ADMIN_USER_ID}")
        if rows[0]["salt"]:
            log("INFO", f"User id: {ADMIN_USER_ID} already has its encrypted password.")
            return
        scheme = rules.NEW_PASSWORD_VERSION.get(rules.minor(self.version), "pbkdf2_sha256")
        salt = rules.random_string()
        self.db.query(
            "UPDATE harbor_user SET salt = %s, password = %s, password_version = %s WHERE user_id = %s",
            salt,
            rules.password_hash(self.env.get("HARBOR_ADMIN_PASSWORD", ""), salt, scheme),
            scheme,
            ADMIN_USER_ID,
        )
        log("INFO", f"User id: {ADMIN_USER_ID} updated its encrypted password successfully.")

    def _check_health(self) -> None:
        """controller/health: every checker every 10 s; "unknown status" until its first check."""
        urls = {
            "portal": self.env.get("PORTAL_URL", "http://portal:8080"),
            "jobservice": self.env.get("JOBSERVICE_URL", "http://jobservice:8080") + "/api/v1/stats",
            "registry": urllib.parse.urlunsplit(self.registry) + "/",
            "registryctl": self.env.get("REGISTRY_CONTROLLER_URL", "http://registryctl:8080") + "/api/health",
        }
        self.health = dict.fromkeys(("core", "database", "redis", *urls), "unknown status")
        self.health["core"] = None
        while True:
            for name, url in urls.items():
                self.health[name] = http_status_error(url)
            try:
                self.db.query("SELECT 1")
                self.health["database"] = None
            except psycopg2.Error as exc:
                self.health["database"] = f'failed to run SQL "SELECT 1": {exc}'
            try:
                self.sessions.redis.ping()
                self.health["redis"] = None
            except redis.RedisError as exc:
                self.health["redis"] = str(exc)
            time.sleep(10)

    # ----------------------------------------------------------------- users and projects

    def user(self, user_id: int) -> dict | None:
        rows = self.db.query("SELECT * FROM harbor_user WHERE user_id = %s AND deleted = false", user_id)
        return rows[0] if rows else None

    def login(self, principal: str, password: str) -> dict | None:
        """auth.Login with db_auth: a failed login locks the name for 1.5 s and waits as long."""
        if self.lock.locked(principal):
            return None
        rows = self.db.query(
            "SELECT * FROM harbor_user WHERE (username = %s OR email = %s) AND deleted = false",
            principal,
            principal,
        )
        if rows and rows[0]["salt"]:
            row = rows[0]
            if row["password"] == rules.password_hash(
                password, row["salt"], row.get("password_version") or "sha1"
            ):
                return row
        log("WARNING", f"Login failed, locking {principal}, and sleep for {FROZEN_SECONDS}s")
        self.lock.lock(principal)
        time.sleep(FROZEN_SECONDS)
        return None

    def project(self, key: str, by_name: bool) -> dict | None:
        column = "p.project_id" if key.isdigit() and not by_name else "p.name"
        rows = self.db.query(
            "SELECT p.*, u.username AS owner_name, COALESCE(m.value, 'false') AS public FROM project p "
            "JOIN harbor_user u ON u.user_id = p.owner_id "
            "LEFT JOIN project_metadata m ON m.project_id = p.project_id AND m.name = 'public' "
            f"WHERE {column} = %s AND p.deleted = false",
            int(key) if column == "p.project_id" else key,
        )
        return rows[0] if rows else None

    def roles(self, security: Security, project_id: int) -> list[int]:
        if not security.user or security.kind == "v2token":
            return []
        rows = self.db.query(
            "SELECT role FROM project_member WHERE project_id = %s AND entity_type = 'u' AND entity_id = %s",
            project_id,
            security.user["user_id"],
        )
        return [row["role"] for row in rows]

    def actions(self, security: Security, project: dict) -> set[str]:
        """What a context may do to the project's repositories (rbac, v2token.Can)."""
        if security.kind == "v2token":
            return security.token_actions.get(project["name"], set())
        if security.sysadmin:
            return set(rules.SYSADMIN_ACTIONS)
        granted = {"pull"} if project["public"] == "true" else set()
        for role in self.roles(security, project["project_id"]):
            granted |= rules.ROLE_ACTIONS.get(role, set())
        return granted

    def project_json(self, project: dict, security: Security) -> dict:
        metadata = {
            row["name"]: row["value"]
            for row in self.db.query(
                "SELECT name, value FROM project_metadata WHERE project_id = %s", project["project_id"]
            )
        }
        count = self.db.query(
            "SELECT COUNT(*) AS n FROM repository WHERE project_id = %s", project["project_id"]
        )
        return rules.project_json(
            project, metadata, count[0]["n"], self.roles(security, project["project_id"])
        )


def http_status_error(url: str) -> str | None:
    """HTTPStatusCodeHealthChecker: None for a 200, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return None if response.status == 200 else f"received unexpected status code: {response.status}"
    except urllib.error.HTTPError as exc:
        return f"received unexpected status code: {exc.code} {exc.read().decode(errors='replace')}"
    except OSError as exc:
        return f"failed to check health: {exc}"


def make_handler(harbor: Harbor) -> type[Handler]:
    class CoreHandler(Handler):
        routes: ClassVar = {
            ("GET", "/api/v2.0/ping"): "ping",
            ("GET", "/api/v2.0/health"): "health",
            ("GET", "/api/v2.0/systeminfo"): "systeminfo",
            ("GET", "/api/v2.0/users/current"): "current_user",
            ("GET", "/api/v2.0/projects"): "list_projects",
            ("HEAD", "/api/v2.0/projects"): "head_project",
            ("POST", "/api/v2.0/projects"): "create_project",
            ("GET", "/service/token"): "token",
            ("POST", "/c/login"): "login",
            ("GET", "/c/log_out"): "log_out",
        }

        do_PATCH = Handler._dispatch

        # ------------------------------------------------------------- middlewares

        def authorized(self) -> bool:
            """session, csrf and security middlewares, in Harbor's order; False when refused."""
            self.pending: list[tuple[str, str]] = []
            path = urllib.parse.urlsplit(self.path).path
            carries_session = self.cookie(SESSION_COOKIE) is not None
            if rules.csrf_applies(path, carries_session) and not self.csrf_passed():
                return False
            self.security = self.security_context(path)
            return True

        def csrf_passed(self) -> bool:
            if len(harbor.csrf_key) != rules.CSRF_TOKEN_LENGTH:
                log("ERROR", f"Invalid CSRF key length from the environment: {len(harbor.csrf_key)} chars.")
                self.send_error_json(
                    500,
                    "UNKNOWN",
                    "invalid CSRF key length from the environment. "
                    "Please ensure the key length is 32 characters",
                )
                return False
            try:
                real, fresh = rules.check_csrf(
                    harbor.csrf_key,
                    self.command,
                    self.cookie(rules.CSRF_COOKIE),
                    self.headers.get(rules.CSRF_HEADER),
                )
            except rules.CSRFError as exc:
                # The handler attaches a fresh token and cookie to the refusal, as Harbor's does.
                real = secrets.token_bytes(rules.CSRF_TOKEN_LENGTH)
                self.attach_csrf(real, fresh=True)
                self.send_error_json(403, "FORBIDDEN", str(exc))
                return False
            self.attach_csrf(real, fresh)
            self.pending.append(("Vary", "Cookie"))
            return True

        def attach_csrf(self, real: bytes, fresh: bool) -> None:
            if fresh:
                value = rules.encode_csrf_cookie(harbor.csrf_key, real)
                secure = (
                    "" if harbor.env.get("EXT_ENDPOINT", "").lower().startswith("http://") else "; Secure"
                )
                self.pending.append(
                    (
                        "Set-Cookie",
                        f"{rules.CSRF_COOKIE}={value}; Path=/; Max-Age={rules.CSRF_MAX_AGE}; HttpOnly"
                        f"{secure}; SameSite=Strict",
                    )
                )
            self.pending.append((rules.CSRF_HEADER, rules.mask_csrf_token(real)))

        def security_context(self, path: str) -> Security:
            scheme, _, value = self.headers.get("Authorization", "").partition(" ")
            if scheme == "Harbor-Secret" and value in harbor.secrets:
                return Security(kind="secret")
            if path.startswith("/v2") and scheme.lower() == "bearer":
                context = self.token_context(value)
                if context is not None:
                    return context
            credentials = self.basic_auth()
            if credentials:
                user = harbor.login(*credentials)
                if user is not None:
                    return Security(kind="basic", user=user)
            sid = self.cookie(SESSION_COOKIE)
            if sid:
                user_id = harbor.sessions.get(sid).get("user", {}).get("user_id")
                user = harbor.user(user_id) if user_id else None
                if user is not None:
                    return Security(kind="session", user=user)
            return Security()

        def token_context(self, token: str) -> Security | None:
            try:
                claims = rules.parse_token(token, rules.verification_key(PRIVATE_KEY.read_bytes()))
            except (rules.InvalidToken, ValueError, OSError) as exc:
                log("WARNING", f"failed to decode bearer token: {exc}")
                return None
            return Security(
                kind="v2token",
                user={"username": claims.get("sub", "")} if claims.get("sub") else None,
                token_actions=rules.token_actions(claims.get("access")),
                token_issued=float(claims.get("iat", 0)),
            )

        # ------------------------------------------------------------- responses

        def end_headers(self) -> None:
            for name, value in getattr(self, "pending", []):
                self.send_header(name, value)
            self.pending = []
            super().end_headers()

        def send_error_json(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
            self.send_json(rules.errors(code, message), status, headers)

        def route(self, path: str) -> str | None:
            if path.startswith("/v2/") or path == "/v2":
                return "registry"
            if PROJECT_PATH.match(path) and self.command == "GET":
                return "get_project"
            return super().route(path)

        # ------------------------------------------------------------- API

        def ping(self) -> None:
            self.send_text(200, "Pong")

        def health(self) -> None:
            self.send_json(rules.overall_health(harbor.health))

        def systeminfo(self) -> None:
            protected = None
            if self.security.authenticated:
                protected = {
                    "has_ca_root": CA_ROOT.exists(),
                    "harbor_version": harbor.harbor_version,
                    "storage_provider": harbor.env.get("REGISTRY_STORAGE_PROVIDER_NAME", "filesystem"),
                    "now": datetime.now(UTC),
                }
            cfg = {**rules.SETTINGS, "ext_endpoint": harbor.env.get("EXT_ENDPOINT", "")}
            self.send_json(rules.general_info(cfg, protected))

        def current_user(self) -> None:
            if not self.security.user or self.security.kind == "v2token":
                self.send_error_json(401, "UNAUTHORIZED", "UnAuthorized")
                return
            self.send_json(rules.user_resp(harbor.user(self.security.user["user_id"])))

        def visible_projects(self) -> list[dict]:
            rows = self.db_projects()
            if self.security.sysadmin:
                return rows
            return [p for p in rows if p["public"] == "true" or harbor.roles(self.security, p["project_id"])]

        def db_projects(self) -> list[dict]:
            return harbor.db.query(
                "SELECT p.*, u.username AS owner_name, COALESCE(m.value, 'false') AS public FROM project p "
                "JOIN harbor_user u ON u.user_id = p.owner_id "
                "LEFT JOIN project_metadata m ON m.project_id = p.project_id AND m.name = 'public' "
                "WHERE p.deleted = false ORDER BY p.name"
            )

        def list_projects(self) -> None:
            wanted = self.query.get("name", [None])[0]
            projects = [p for p in self.visible_projects() if wanted is None or p["name"] == wanted]
            self.send_json(
                [harbor.project_json(p, self.security) for p in projects],
                headers={"X-Total-Count": str(len(projects))},
            )

        def head_project(self) -> None:
            name = self.query.get("project_name", [""])[0]
            self.send_body(200 if harbor.project(name, True) else 404, b"", "application/json")

        def get_project(self) -> None:
            key = urllib.parse.unquote(PROJECT_PATH.match(urllib.parse.urlsplit(self.path).path).group("key"))
            by_name = self.headers.get("X-Is-Resource-Name", "false").lower() == "true"
            project = harbor.project(key, by_name)
            if project is not None and not (project["public"] == "true" or self.security.sysadmin):
                if not self.security.authenticated:
                    self.send_error_json(401, "UNAUTHORIZED", "UnAuthorized")
                    return
                if not harbor.roles(self.security, project["project_id"]):
                    project = None
            if project is None:
                self.send_error_json(404, "NOT_FOUND", f"project {key} not found")
                return
            self.send_json(harbor.project_json(project, self.security))

        def create_project(self) -> None:
            if not self.security.user or self.security.kind == "v2token":
                self.send_error_json(401, "UNAUTHORIZED", "UnAuthorized")
                return
            try:
                body = json.loads(self.body() or b"{}")
            except ValueError:
                self.send_error_json(400, "BAD_REQUEST", "the request body is not JSON")
                return
            name = body.get("project_name") or ""
            if not PROJECT_NAME.match(name) or len(name) > 255:
                self.send_error_json(
                    400, "BAD_REQUEST", "project name is not in lower case or contains illegal characters"
                )
                return
            if harbor.project(name, True):
                self.send_error_json(409, "CONFLICT", f"The project named {name} already exists")
                return
            public = (body.get("metadata") or {}).get("public") or ("true" if body.get("public") else "false")
            owner = self.security.user["user_id"]
            row = harbor.db.query(
                "INSERT INTO project (owner_id, name) VALUES (%s, %s) RETURNING project_id", owner, name
            )[0]
            harbor.db.query(
                "INSERT INTO project_member (project_id, entity_id, role, entity_type) "
                "VALUES (%s, %s, 1, 'u')",
                row["project_id"],
                owner,
            )
            harbor.db.query(
                "INSERT INTO project_metadata (project_id, name, value) VALUES (%s, 'public', %s)",
                row["project_id"],
                str(public).lower(),
            )
            by_name = self.headers.get("X-Resource-Name-In-Location") == "true"
            location = f"/api/v2.0/projects/{name if by_name else row['project_id']}"
            self.send_body(201, b"", "application/json", {"Location": location})

        # ------------------------------------------------------------- UI

        def login(self) -> None:
            form = self.form()
            user = harbor.login(form.get("principal", ""), form.get("password", ""))
            if user is None:
                self.send_text(401, "")
                return
            # SessionRegenerateID: a new sid, the old session's values moved under it.
            sid = secrets.token_hex(16)
            old = self.cookie(SESSION_COOKIE)
            if old:
                harbor.sessions.delete(old)
            harbor.sessions.put(sid, {"user": {"user_id": user["user_id"], "username": user["username"]}})
            self.pending.append(("Set-Cookie", f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly"))
            self.send_text(200, "")

        def log_out(self) -> None:
            sid = self.cookie(SESSION_COOKIE)
            if sid:
                harbor.sessions.delete(sid)
            self.send_text(200, "")

        # ------------------------------------------------------------- token service

        def token(self) -> None:
            service = self.query.get("service", [""])[0]
            if service != rules.REGISTRY_SERVICE:
                self.send_text(400, f"Unable to handle service: {service}")
                return
            scopes = [s for value in self.query.get("scope", []) for s in value.split(" ")]
            if not self.security.authenticated and not scopes:
                self.send_text(401, "")
                return
            access = rules.resource_actions(scopes)
            for item in access:
                self.filter_access(item)
            try:
                key = harbor1.load_signing_key(PRIVATE_KEY.read_bytes())
            except (OSError, harbor1.SigningKeyError) as exc:
                log("ERROR", f"Unexpected error when creating the token, error: {exc}")
                self.send_text(500, "")
                return
            username = self.security.username if self.security.kind != "secret" else ""
            token = harbor1.make_token(
                key, username, service, access or None, expiration_minutes=TOKEN_MINUTES
            )
            self.send_json(token)

        def filter_access(self, item: dict) -> None:
            """filterAccess: repository by Harbor's permissions, registry:catalog for admins only."""
            if item["type"] == "repository":
                try:
                    project_name, _ = rules.split_repository(item["name"])
                except ValueError as exc:
                    log(
                        "ERROR",
                        f"Failed to handle the resource {item['type']}:{item['name']}, due to error {exc}",
                    )
                    item["actions"] = []
                    return
                project = harbor.project(project_name, True)
                item["actions"] = sorted(harbor.actions(self.security, project)) if project else []
            elif item["type"] == "registry" and item["name"] == "catalog":
                if not self.security.sysadmin:
                    item["actions"] = []
            else:
                log(
                    "WARNING",
                    f"No filter found for access type: {item['type']}, the access will be set empty.",
                )
                item["actions"] = []

        # ------------------------------------------------------------- /v2/ (v2auth, then the proxy)

        def registry(self) -> None:
            challenge, message = self.v2_check()
            if message is not None:
                headers = {"Docker-Distribution-Api-Version": "registry/2.0", "Www-Authenticate": challenge}
                self.send_error_json(401, "UNAUTHORIZED", message, headers)
                return
            status = self.proxy()
            path = urllib.parse.urlsplit(self.path).path
            match = REPOSITORY_PATH.match(path)
            if self.command == "PUT" and "/manifests/" in path and status == 201 and match:
                project = harbor.project(match.group("name").split("/")[0], True)
                harbor.db.query(
                    "INSERT INTO repository (name, project_id) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                    match.group("name"),
                    project["project_id"],
                )

        def v2_check(self) -> tuple[str, str | None]:
            """v2auth reqChecker: (challenge, refusal), the refusal None when the request may pass."""
            path = urllib.parse.urlsplit(self.path).path
            has_auth = bool(self.headers.get("Authorization"))
            if path in ("/v2/", "/v2"):
                refusal = None if self.security.authenticated else "unauthorized"
                return self.challenge(has_auth, path, []), refusal
            if path == "/v2/_catalog":
                return (
                    'Basic realm="harbor"',
                    None if self.security.sysadmin else "unauthorized to list catalog",
                )
            match = REPOSITORY_PATH.match(path)
            if not match:
                return "", None
            action = {"POST": "push", "PATCH": "push", "PUT": "push", "GET": "pull", "HEAD": "pull"}.get(
                self.command, "delete"
            )
            wanted = [(match.group("name"), action)]
            mount = self.query.get("from", [None])[0]
            if self.command == "POST" and mount:
                wanted.append((mount, "pull"))
            challenge = self.challenge(has_auth, path, wanted)
            if not has_auth and self.command in ("GET", "HEAD"):
                return challenge, "authorize header needed to send HEAD to repository"
            for name, act in wanted:
                refusal = self.repository_refusal(name, act)
                if refusal is not None:
                    return ("" if refusal.endswith("not found") else challenge), refusal
            return challenge, None

        def repository_refusal(self, name: str, action: str) -> str | None:
            project = harbor.project(name.split("/", 1)[0], True)
            if project is None:
                return f"project {name.split('/', 1)[0]} not found"
            stale = self.security.kind == "v2token" and self.token_before(project)
            if stale or action not in harbor.actions(self.security, project):
                return f"unauthorized to access repository: {name}, action: {action}"
            return None

        def token_before(self, project: dict) -> bool:
            """Harbor 2.15: a token issued before its project was created is refused."""
            if rules.minor(harbor.version) < "2.15":
                return False
            created = project["creation_time"].replace(tzinfo=UTC).timestamp()
            return self.security.token_issued + rules.JWT_LEEWAY < created

        def challenge(self, has_auth: bool, path: str, wanted: list[tuple[str, str]]) -> str:
            if has_auth or path == "/v2/_catalog":
                return 'Basic realm="harbor"'
            scheme = harbor.env.get("EXT_ENDPOINT", "http://").split("://")[0]
            host = self.headers.get("Host", "")
            core_url = urllib.parse.urlsplit(harbor.env.get("CORE_URL", "http://core:8080"))
            realm = (
                f"{core_url.scheme}://{core_url.netloc}/service/token"
                if host == core_url.netloc
                else f"{scheme}://{host}/service/token"
            )
            scopes = " ".join(
                f"repository:{name}:{'pull,push' if act == 'push' else act}" for name, act in wanted
            )
            challenge = f'Bearer realm="{realm}",service="{rules.REGISTRY_SERVICE}"'
            return challenge + (f',scope="{scopes}"' if scopes else "")

        def proxy(self) -> int:
            """httputil.ReverseProxy to the registry, with the registry credential as basic auth."""
            upstream = http.client.HTTPConnection(
                harbor.registry.hostname, harbor.registry.port or 80, timeout=900
            )
            try:
                self.forward_request(upstream)
                response = upstream.getresponse()
                self.relay_response(response)
                return response.status
            finally:
                upstream.close()

        def forward_request(self, upstream: http.client.HTTPConnection) -> None:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP | {"authorization", "x-forwarded-for"}:
                    upstream.putheader(name, value)
            forwarded = ", ".join(filter(None, [self.headers.get("X-Forwarded-For"), self.client_address[0]]))
            upstream.putheader("X-Forwarded-For", forwarded)
            upstream.putheader("Authorization", harbor.registry_auth)
            if chunked:
                upstream.putheader("Transfer-Encoding", "chunked")
            upstream.endheaders()
            if chunked:
                for piece in self.request_chunks():
                    upstream.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                upstream.send(b"0\r\n\r\n")
                return
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining > 0:
                piece = self.rfile.read(min(remaining, 1 << 16))
                if not piece:
                    break
                upstream.send(piece)
                remaining -= len(piece)

        def relay_response(self, response: http.client.HTTPResponse) -> None:
            self.send_response(response.status)
            length = response.getheader("Content-Length")
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}:
                    self.send_header(name, value)
            has_body = self.command != "HEAD" and response.status not in (204, 304)
            if length is not None:
                self.send_header("Content-Length", length)
            elif has_body:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if not has_body:
                return
            while piece := response.read(1 << 16):
                self.wfile.write(
                    piece if length is not None else f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
                )
            if length is None:
                self.wfile.write(b"0\r\n\r\n")

        def request_chunks(self):
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                yield self.rfile.read(size)
                self.rfile.readline()

    return CoreHandler


def main() -> None:
    parser = argparse.ArgumentParser(description="STAND-IN for harbor-core (tests only)")
    parser.add_argument("-mode", default="normal", choices=["normal", "migrate", "skip-migrate"])
    args = parser.parse_args()
    env = dict(os.environ)
    log("INFO", "STAND-IN harbor-core (tests only)")
    harbor = Harbor(env)
    try:
        harbor.start(args.mode)
        port = harbor1.http_port(Path(env["CONFIG_PATH"]).read_text()) if env.get("CONFIG_PATH") else 8080
    except (OSError, ValueError, redis.RedisError, psycopg2.Error) as exc:
        fatal(f"failed to initialize: {exc}")
    serve(port, make_handler(harbor))


if __name__ == "__main__":
    main()
