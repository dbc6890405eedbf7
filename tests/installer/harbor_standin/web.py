"""What every stand-in shares, 1.1 and 2.x: Harbor's log lines and an HTTP server like Go's."""

from __future__ import annotations

import base64
import json
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


def log(level: str, message: str) -> None:
    """Harbor's log line shape; stdout goes to the log container through docker's syslog driver."""
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} [{level}] {message}", flush=True)


def fatal(message: str) -> None:
    log("FATAL", message)
    sys.exit(1)


def described(name: str, value: str) -> str:
    """How a secret appears in a log line: whether it is set and its length, never its value."""
    return f"{name} set ({len(value)} chars)" if value else f"{name} EMPTY"


# Harbor's auth.Login (src/ui/auth in 1.1, src/core/auth in 2.x): frozenTime after a failed login.
FROZEN_SECONDS = 1.5


class LoginLock:
    """A principal whose login failed is refused without a check for the next FROZEN_SECONDS."""

    def __init__(self):
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def locked(self, principal: str) -> bool:
        with self._lock:
            return self._until.get(principal, 0.0) > time.monotonic()

    def lock(self, principal: str) -> None:
        with self._lock:
            self._until[principal] = time.monotonic() + FROZEN_SECONDS


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
        method = self.route(path)
        if method is None:
            self.send_text(404, "404 page not found")
            return
        try:
            getattr(self, method)()
        except Exception as exc:
            log("ERROR", f"{self.command} {path}: {exc!r}")
            self.send_text(500, "Internal Server Error")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch

    def route(self, path: str) -> str | None:
        """The name of the method that answers this request, None for a 404."""
        return self.routes.get((self.command, path))

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
