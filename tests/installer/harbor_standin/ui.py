"""STAND-IN for vmware/harbor-ui (Harbor 1.1): logins, sessions and the registry's token service.

Start-up follows src/ui/main.go: configuration from adminserver (cookie secret = UI_SECRET), the
MySQL it names, the admin's initial password set once (row 1 with an empty salt), sessions in the
Redis of _REDIS_URL or in memory without it. Sessions are stored as JSON under the session id
(beego stores gob under the same key with the same lifetime): a stand-in shares sessions only
with other stand-ins.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import ClassVar

import redis

from harbor_standin import core
from harbor_standin.service import Database, adminserver_client, app_port, log_environment
from harbor_standin.web import FROZEN_SECONDS, Handler, LoginLock, described, fatal, log, serve

ADMIN_USER_ID = 1
PRIVATE_KEY = Path("/etc/ui/private_key.pem")
CA_ROOT = Path("/etc/ui/ca/ca.crt")
VERSION_FILE = Path("/harbor/VERSION")
SESSION_COOKIE = "beegosessionID"
SESSION_LIFETIME = 3600  # beego's SessionGCMaxLifetime default


class MemorySessions:
    def __init__(self):
        self._data: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def get(self, sid: str) -> dict:
        with self._lock:
            expires, values = self._data.get(sid, (0.0, {}))
            return dict(values) if expires > time.monotonic() else {}

    def put(self, sid: str, values: dict) -> None:
        with self._lock:
            self._data[sid] = (time.monotonic() + SESSION_LIFETIME, dict(values))

    def delete(self, sid: str) -> None:
        with self._lock:
            self._data.pop(sid, None)


class RedisSessions:
    def __init__(self, settings: core.RedisSettings):
        self._redis = redis.Redis(
            host=settings.host,
            port=settings.port,
            db=settings.db,
            password=settings.password or None,
            socket_timeout=5,
            max_connections=settings.pool_size,
            decode_responses=True,
        )
        # beego's SessionInit takes a connection from the pool: a wrong address or password
        # stops the ui at start instead of failing every login later.
        self._redis.ping()

    def get(self, sid: str) -> dict:
        raw = self._redis.get(sid)
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            log("WARNING", f"session {sid[:6]}... is not a stand-in session (written by Harbor?): ignored")
            return {}

    def put(self, sid: str, values: dict) -> None:
        self._redis.setex(sid, SESSION_LIFETIME, json.dumps(values))

    def delete(self, sid: str) -> None:
        self._redis.delete(sid)


class Harbor:
    """The ui's state: adminserver client and cached configuration, database, login lock."""

    def __init__(self, env: dict[str, str]):
        self.jobservice_secret = env.get("JOBSERVICE_SECRET", "")
        self.adminserver = adminserver_client(env)
        self._cfg = self.adminserver.configurations()
        self._cfg_loaded = time.monotonic()
        self.db = Database(self._cfg)
        self.lock = LoginLock()

    def cfg(self, fresh: bool = False) -> dict:
        # common/config Manager: Get() serves a copy cached for cfg_expiration seconds, Load() asks.
        if fresh or time.monotonic() - self._cfg_loaded > float(self._cfg.get("cfg_expiration", 5)):
            self._cfg = self.adminserver.configurations()
            self._cfg_loaded = time.monotonic()
        return self._cfg

    def user(self, user_id: int) -> dict | None:
        rows = self.db.query(
            "SELECT user_id, username, email, realname, comment, reset_uuid, salt, sysadmin_flag, "
            "creation_time, update_time FROM user WHERE deleted = 0 AND user_id = %s",
            user_id,
        )
        return rows[0] if rows else None

    def set_initial_admin_password(self) -> None:
        admin = self.user(ADMIN_USER_ID)
        if admin is None:
            log("ERROR", f"user id: {ADMIN_USER_ID} does not exist")
        elif admin["salt"]:
            log("INFO", f"User id: {ADMIN_USER_ID} already has its encrypted password.")
        else:
            salt = core.new_salt()
            password = core.password_hash(self.cfg()["admin_initial_password"], salt)
            self.db.execute(
                "UPDATE user SET password = %s, salt = %s WHERE user_id = %s", password, salt, ADMIN_USER_ID
            )
            log("INFO", f"User id: {ADMIN_USER_ID} updated its encypted password successfully.")

    def login(self, principal: str, password: str) -> dict | None:
        """auth.Login with db_auth (the stand-in has no LDAP; `admin` always uses the database)."""
        mode = self.cfg().get("auth_mode") or "db_auth"
        if principal != "admin" and mode != "db_auth":
            raise RuntimeError(f"the stand-in supports db_auth only, auth_mode is {mode}")
        if self.lock.locked(principal):
            return None
        rows = self.db.query(
            "SELECT * FROM user WHERE (username = %s OR email = %s) AND deleted = 0", principal, principal
        )
        if rows and rows[0]["password"] == core.password_hash(password, rows[0]["salt"] or ""):
            return rows[0]
        self.lock.lock(principal)
        time.sleep(FROZEN_SECONDS)
        return None

    def user_rows(self) -> int:
        """dao.AuthModeCanBeModified counts every row of `user`, deleted ones too."""
        return int(self.db.query("SELECT COUNT(*) AS n FROM user")[0]["n"])

    def is_admin(self, user_id: int) -> bool:
        user = self.user(user_id)
        return bool(user and user["sysadmin_flag"] == 1)

    def project_exists(self, name: str) -> bool:
        return bool(self.db.query("SELECT project_id FROM project WHERE deleted = 0 AND name = %s", name))

    def permission(self, username: str, project: str) -> str:
        rows = self.db.query(
            "SELECT r.role_code FROM role AS r "
            "JOIN project_member AS pm ON r.role_id = pm.role "
            "JOIN user AS u ON u.user_id = pm.user_id "
            "JOIN project AS p ON p.project_id = pm.project_id "
            "WHERE u.username = %s AND p.name = %s AND u.deleted = 0 AND p.deleted = 0",
            username,
            project,
        )
        code = rows[0]["role_code"] if rows else ""
        public = self.db.query("SELECT public FROM project WHERE deleted = 0 AND name = %s", project)
        return code + ("R" if public and public[0]["public"] == 1 else "")

    def filter_access(self, access: list[dict], username: str, all_permissions: bool) -> None:
        """The registry filter map of token/creator.go: repository and registry:catalog."""
        for item in access:
            if item["type"] == "repository":
                project, _ = core.split_repository(item["name"])
                if all_permissions:
                    permission = "RWM" if self.project_exists(project) else ""
                else:
                    permission = self.permission(username, project)
                item["actions"] = core.permission_actions(permission)
            elif item["type"] == "registry":
                if item["name"] != "catalog":
                    raise ValueError(f"Unable to handle, type: {item['type']}, name: {item['name']}")
                if not all_permissions:
                    item["actions"] = []
            else:
                log(
                    "WARNING",
                    f"No filter found for access type: {item['type']}, the access will be set empty.",
                )
                item["actions"] = []


def user_json(row: dict) -> dict:
    """models.User as the API serialises it (password and salt are never sent)."""
    return {
        "user_id": row["user_id"],
        "username": row["username"],
        "email": row["email"],
        "password": "",
        "realname": row["realname"],
        "comment": row["comment"],
        "deleted": 0,
        "role_name": "",
        "role_id": 0,
        "has_admin_role": row["sysadmin_flag"],
        "reset_uuid": row["reset_uuid"] or "",
        "creation_time": row["creation_time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "update_time": row["update_time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def main() -> None:
    env = dict(os.environ)
    redis_url = env.get("_REDIS_URL", "")
    log("INFO", "STAND-IN ui (tests only), initializing configurations...")
    log_environment(env)
    try:
        if redis_url:
            settings = core.parse_redis_url(redis_url)
            log(
                "INFO",
                f"session provider: redis {settings.host}:{settings.port} db {settings.db} "
                f"pool {settings.pool_size}, {described('password', settings.password)}",
            )
            sessions = RedisSessions(settings)
        else:
            log("INFO", "session provider: memory (_REDIS_URL is not set)")
            sessions = MemorySessions()
        harbor = Harbor(env)
        harbor.set_initial_admin_password()
        port = app_port(env)
    except (OSError, ValueError, RuntimeError, redis.RedisError) as exc:
        fatal(f"failed to initialize: {exc}")

    class UIHandler(Handler):
        routes: ClassVar = {
            ("GET", "/"): "index",
            ("GET", "/api/systeminfo"): "systeminfo",
            ("POST", "/login"): "login",
            ("GET", "/log_out"): "log_out",
            ("GET", "/api/users/current"): "current_user",
            ("GET", "/service/token"): "token",
            ("GET", "/api/configurations"): "get_configurations",
            ("PUT", "/api/configurations"): "put_configurations",
            ("POST", "/service/notifications"): "notifications",
        }

        def index(self) -> None:
            self.send_body(200, b"<html><body>Harbor ui STAND-IN (tests only)</body></html>", "text/html")

        def systeminfo(self) -> None:
            version = VERSION_FILE.read_text() if VERSION_FILE.exists() else ""
            self.send_json(core.general_info(harbor.cfg(fresh=True), CA_ROOT.exists(), version))

        def login(self) -> None:
            form = self.form()
            user = harbor.login(form.get("principal", ""), form.get("password", ""))
            if user is None:
                self.send_text(401, "")
                return
            sid = secrets.token_hex(16)
            sessions.put(sid, {"userId": user["user_id"], "username": user["username"]})
            self.send_text(200, "", {"Set-Cookie": f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly"})

        def log_out(self) -> None:
            sid = self.cookie(SESSION_COOKIE)
            if sid:
                sessions.delete(sid)
            self.send_text(200, "")

        def validated_user(self) -> dict | None:
            """BaseAPI.ValidateUser: basic auth first (it also opens a session), then the session;
            answers 401 itself when neither names a user."""
            credentials = self.basic_auth()
            user = harbor.login(*credentials) if credentials else None
            if user is None:
                sid = self.cookie(SESSION_COOKIE)
                user_id = sessions.get(sid).get("userId") if sid else None
                user = harbor.user(user_id) if user_id else None
            if user is None:
                self.send_text(401, "")
            return user

        def current_user(self) -> None:
            user = self.validated_user()
            if user is not None:
                self.send_json(user_json(harbor.user(user["user_id"])))

        def system_admin(self) -> bool:
            """ConfigAPI.Prepare: a valid user (401) who is a system administrator (403)."""
            user = self.validated_user()
            if user is None:
                return False
            if not harbor.is_admin(user["user_id"]):
                self.send_text(403, "Forbidden")
                return False
            return True

        def get_configurations(self) -> None:
            if self.system_admin():
                editable = core.auth_mode_can_be_modified(harbor.user_rows())
                self.send_json(core.config_for_get(harbor.cfg(fresh=True), editable))

        def put_configurations(self) -> None:
            if not self.system_admin():
                return
            try:
                body = json.loads(self.body() or b"null")
            except ValueError:
                self.send_text(400, "Invalid json request")
                return
            try:
                update = core.config_for_put(body, harbor.cfg(), harbor.user_rows())
            except core.ConfigRejected as exc:
                self.send_text(400, str(exc))
                return
            harbor.adminserver.update_configurations(update)
            harbor.cfg(fresh=True)
            self.send_text(200, "")

        def token(self) -> None:
            service = self.query.get("service", [""])[0]
            if service != core.REGISTRY_SERVICE:
                self.send_text(400, f"Unable to handle service: {service}")
                return
            scopes = [s for value in self.query.get("scope", []) for s in value.split(" ")]
            if self.cookie("secret") is not None and self.cookie("secret") == harbor.jobservice_secret:
                username, all_permissions = "job-service-user", True
            else:
                # basicAuthValidator runs even without credentials: a login of "" that fails.
                user = harbor.login(*(self.basic_auth() or ("", "")))
                if user is None and not scopes:
                    self.send_text(401, "")
                    return
                username = user["username"] if user else ""
                all_permissions = bool(user and user["sysadmin_flag"] == 1)
            access = core.resource_actions(scopes)
            harbor.filter_access(access or [], username, all_permissions)
            try:
                key = core.load_signing_key(PRIVATE_KEY.read_bytes())
            except (OSError, core.SigningKeyError) as exc:
                log("ERROR", f"Unexpected error when creating the token, error: {exc}")
                self.send_text(500, "")
                return
            expiration = int(harbor.cfg()["token_expiration"])
            self.send_json(core.make_token(key, username, service, access, expiration_minutes=expiration))

        def notifications(self) -> None:
            events = json.loads(self.body() or b"{}").get("events", [])
            for event in events:
                target = event.get("target", {})
                log(
                    "INFO",
                    f"registry event: {event.get('action')} {target.get('repository')}:{target.get('tag')}",
                )
            self.send_text(200, "")

    serve(port, UIHandler)


if __name__ == "__main__":
    main()
