# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Talk to HAProxy's admin socket: send one command, parse `show stat` output."""

from __future__ import annotations

import csv
import io
import socket

# `show stat` type column: 0 frontend, 1 backend, 2 server, 3 listener.
SERVER_TYPE = "2"


class HAProxySocketError(Exception):
    """The admin socket is missing, refused the connection, or answered with an error."""


def command(path: str, line: str, timeout: float = 5.0) -> str:
    """Send one command line to the admin socket at `path` and return the whole answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        raise HAProxySocketError(f"HAProxy admin socket {path}: {exc}") from exc
    return b"".join(chunks).decode(errors="replace")


def parse_stat(text: str) -> list[dict[str, str]]:
    """Rows of `show stat` (CSV whose header line starts with '# ')."""
    if not text.startswith("# "):
        raise HAProxySocketError(f"unexpected answer to `show stat`: {text[:200]!r}")
    return list(csv.DictReader(io.StringIO(text[2:])))


def servers(rows: list[dict[str, str]], backend: str | None = None) -> list[dict]:
    """Server rows, reduced to what an operator reads: backend, name, status, check, traffic."""
    result = []
    for row in rows:
        if row.get("type") != SERVER_TYPE or (backend and row["pxname"] != backend):
            continue
        result.append(
            {
                "backend": row["pxname"],
                "name": row["svname"],
                "address": row.get("addr", ""),
                "status": row["status"],
                "check": row.get("check_status", ""),
                "last_change_s": int(row["lastchg"]) if row.get("lastchg", "").isdigit() else None,
                "sessions_current": int(row["scur"]) if row.get("scur", "").isdigit() else 0,
                "sessions_total": int(row["stot"]) if row.get("stot", "").isdigit() else 0,
                "retries": int(row["wretr"]) if row.get("wretr", "").isdigit() else 0,
                "redispatches": int(row["wredis"]) if row.get("wredis", "").isdigit() else 0,
            }
        )
    return result
