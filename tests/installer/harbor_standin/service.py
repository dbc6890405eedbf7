"""What the 1.1 stand-ins share: their env, the adminserver client, MySQL."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pymysql

from harbor_standin import core
from harbor_standin.web import described, log, wait_tcp


def log_environment(env: dict[str, str]) -> None:
    """What ui and jobservice read from their env file, so a test can see wrong wiring."""
    log(
        "INFO",
        f"env: {described('UI_SECRET', env.get('UI_SECRET', ''))}, "
        f"{described('JOBSERVICE_SECRET', env.get('JOBSERVICE_SECRET', ''))}, "
        f"CONFIG_PATH={env.get('CONFIG_PATH', '')}, "
        f"ADMIN_SERVER_URL={env.get('ADMIN_SERVER_URL') or 'http://adminserver (default)'}",
    )


def app_port(env: dict[str, str]) -> int:
    """beego reads httpport from the app.conf named by CONFIG_PATH (8080 without one)."""
    return core.http_port(Path(env["CONFIG_PATH"]).read_text()) if env.get("CONFIG_PATH") else 8080


class AdminserverClient:
    """src/adminserver/client: requests carry the caller's secret in the `secret` cookie."""

    def __init__(self, url: str, secret: str):
        self.url = url.rstrip("/") if "://" in url else "http://" + url.rstrip("/")
        self.secret = secret

    def ping(self) -> None:
        address = urllib.parse.urlsplit(self.url)
        wait_tcp(address.hostname, address.port or 80)

    def configurations(self) -> dict:
        request = urllib.request.Request(self.url + "/api/configurations")
        request.add_header("Cookie", f"secret={self.secret}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"failed to get configurations: {exc.code} {exc.read().decode()}") from exc

    def update_configurations(self, cfg: dict) -> None:
        """client.UpdateCfgs: PUT the changed keys; adminserver merges them into its store."""
        request = urllib.request.Request(
            self.url + "/api/configurations", data=json.dumps(cfg).encode(), method="PUT"
        )
        request.add_header("Cookie", f"secret={self.secret}")
        try:
            with urllib.request.urlopen(request, timeout=10):
                return
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"failed to update configurations: {exc.code} {exc.read().decode()}") from exc


def adminserver_client(env: dict[str, str]) -> AdminserverClient:
    """The client ui and jobservice build at start (config.Init): UI_SECRET, then a ping."""
    client = AdminserverClient(env.get("ADMIN_SERVER_URL") or "http://adminserver", env.get("UI_SECRET", ""))
    client.ping()
    return client


class Database:
    """One MySQL connection shared by the request threads (dao.InitDatabase, then the ORM)."""

    def __init__(self, cfg: dict):
        if cfg.get("database_type", "") not in ("", "mysql"):
            raise ValueError(f"invalid database: {cfg['database_type']} (the stand-ins speak MySQL only)")
        self.host = cfg["mysql_host"]
        self.port = int(cfg["mysql_port"])
        self.user = cfg["mysql_username"]
        self.name = cfg["mysql_database"]
        self._password = cfg["mysql_password"]
        self._lock = threading.Lock()
        log(
            "INFO",
            f"initializing database: type-MySQL host-{self.host} port-{self.port} "
            f"user-{self.user} database-{self.name}",
        )
        wait_tcp(self.host, self.port)
        self._conn = self._connect()
        log("INFO", "initialize database completed")

    def _connect(self) -> pymysql.connections.Connection:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self._password,
            database=self.name,
            autocommit=True,
            charset="utf8",
            cursorclass=pymysql.cursors.DictCursor,
        )

    def query(self, sql: str, *args) -> list[dict]:
        with self._lock:
            self._conn.ping(reconnect=True)
            with self._conn.cursor() as cursor:
                cursor.execute(sql, args)
                return list(cursor.fetchall())

    def execute(self, sql: str, *args) -> int:
        with self._lock:
            self._conn.ping(reconnect=True)
            with self._conn.cursor() as cursor:
                return cursor.execute(sql, args)
