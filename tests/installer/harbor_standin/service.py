"""Runtime pieces the stand-ins share: Harbor's log lines, the HTTP server, adminserver, MySQL."""

from __future__ import annotations

import base64
import json
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pymysql

from harbor_standin import core


def log(level: str, message: str) -> None:
    """Harbor's log line shape; stdout goes to the log container through docker's syslog driver."""
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} [{level}] {message}", flush=True)


def fatal(message: str) -> None:
    log("FATAL", message)
    sys.exit(1)


def described(name: str, value: str) -> str:
    """How a secret appears in a log line: whether it is set and its length, never its value."""
    return f"{name} set ({len(value)} chars)" if value else f"{name} EMPTY"


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


def wait_tcp(host: str, port: int, timeout: int = 60, interval: int = 2) -> None:
    """utils.TestTCPConn: retry a TCP connection for up to `timeout` seconds, then give up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=interval):
                return
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise ConnectionError(
                    f"failed to connect to tcp:{host}:{port} after {timeout} seconds"
                ) from exc
            log("ERROR", f"failed to connect to tcp://{host}:{port}, retry after {interval} seconds :{exc}")
            time.sleep(interval)


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


class Handler(BaseHTTPRequestHandler):
    """Routes `(method, path)` to methods named in `routes`; answers like Go's net/http server."""

    protocol_version = "HTTP/1.1"
    server_version = "harbor-standin"
    routes: ClassVar[dict[tuple[str, str], str]] = {}

    def _dispatch(self) -> None:
        # Go's server refuses an HTTP/1.1 request without Host; a load balancer's health check
        # that forgets the header must fail here as it fails against Harbor.
        if self.request_version == "HTTP/1.1" and not self.headers.get("Host"):
            self.send_text(400, "400 Bad Request: missing required Host header")
            return
        if not self.authorized():
            return
        path = urllib.parse.urlsplit(self.path).path
        method = self.routes.get((self.command, path))
        if method is None:
            self.send_text(404, "404 page not found")
            return
        try:
            getattr(self, method)()
        except Exception as exc:
            log("ERROR", f"{self.command} {path}: {exc!r}")
            self.send_text(500, "Internal Server Error")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch

    def authorized(self) -> bool:
        """A service that checks a secret answers the refusal itself and returns False."""
        return True

    @property
    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)

    def cookie(self, name: str) -> str | None:
        cookies = SimpleCookie(self.headers.get("Cookie", ""))
        return cookies[name].value if name in cookies else None

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in urllib.parse.parse_qs(self.body().decode()).items()}

    def basic_auth(self) -> tuple[str, str] | None:
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return None
        return (user, password) if sep else None

    def send_text(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, text.encode(), "text/plain; charset=utf-8", headers)

    def send_json(self, document, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, json.dumps(document).encode(), "application/json; charset=utf-8", headers)

    def send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        log("INFO", f"{self.address_string()} {format % args}")


def serve(port: int, handler: type[Handler]) -> None:
    # As PID 1 the process gets no default SIGTERM action: stop promptly on `docker stop`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThreadingHTTPServer(("", port), handler)
    server.daemon_threads = True
    log("INFO", f"listening on :{port}")
    server.serve_forever()
