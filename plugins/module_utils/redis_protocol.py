# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Redis without a client library: the RESP2 protocol over a socket, Redis' own argument splitting
for its configuration files, and the password digests of its ACL.

Standard library only, so that any host with Python can log in (a Harbor node checking its
credentials, the Redis host changing a password at runtime).
"""

from __future__ import annotations

import hashlib
import socket


class RedisReplyError(Exception):
    """Redis answered with an error reply (``-ERR ...``, ``-WRONGPASS ...``)."""


def password_digest(password: str) -> str:
    """The digest Redis' ACL stores for a password (``ACL GETUSER``, ``#<digest>`` rules)."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def encode_command(*args: str | bytes | int) -> bytes:
    """A command as RESP2 sends it: an array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def read_reply(stream):
    """One reply from a binary file object: str, int, None, a list of those, or RedisReplyError
    raised for an error reply."""
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("Redis closed the connection")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode("utf-8", "replace")
    if kind == b"-":
        raise RedisReplyError(body.decode("utf-8", "replace"))
    if kind == b":":
        return int(body)
    if kind == b"$":
        length = int(body)
        if length < 0:
            return None
        data = stream.read(length + 2)
        if len(data) != length + 2:
            raise ConnectionError("Redis closed the connection")
        return data[:-2].decode("utf-8", "replace")
    if kind == b"*":
        count = int(body)
        return None if count < 0 else [read_reply(stream) for _item in range(count)]
    raise ConnectionError(f"not a Redis reply: {line[:40]!r}")


class Connection:
    """One connection to a Redis server; replies as read_reply returns them."""

    def __init__(self, host: str, port: int, timeout: float = 5.0):
        self._socket = socket.create_connection((host, port), timeout=timeout)
        self._stream = self._socket.makefile("rb")

    def command(self, *args: str | bytes | int):
        self._socket.sendall(encode_command(*args))
        return read_reply(self._stream)

    def close(self) -> None:
        self._stream.close()
        self._socket.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def acl_user(reply: list) -> dict:
    """ACL GETUSER's flat [name, value, ...] list as a dict."""
    return dict(zip(reply[0::2], reply[1::2], strict=True))


def login(host: str, port: int, password: str, database: int = 0, timeout: float = 5.0) -> dict:
    """Log in as Harbor 1.1's ui does (AUTH with the password alone, then SELECT its database).

    Returns {'ok', 'reason', 'error'}; reason is None, 'unreachable', 'no_password' (the server
    requires none: the password is not in force), 'wrong_password' or 'refused' (any other error
    reply, such as a database index the server does not have).
    """
    try:
        with Connection(host, port, timeout) as conn:
            try:
                conn.command("AUTH", password)
            except RedisReplyError as exc:
                text = str(exc)
                if "without any password configured" in text:
                    return {"ok": False, "reason": "no_password", "error": text}
                if text.startswith(("WRONGPASS", "ERR invalid password")):
                    return {"ok": False, "reason": "wrong_password", "error": text}
                return {"ok": False, "reason": "refused", "error": text}
            try:
                conn.command("SELECT", database)
            except RedisReplyError as exc:
                return {"ok": False, "reason": "refused", "error": str(exc)}
            return {"ok": True, "reason": None, "error": None}
    except (OSError, ConnectionError) as exc:
        return {"ok": False, "reason": "unreachable", "error": str(exc)}


# Redis' configuration lines are split by sdssplitargs (src/sds.c): double quotes take C-like
# escapes, single quotes only \', and a closing quote must be followed by a space or the end.
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}


def split_args(line: str) -> list[str]:
    """The arguments of one configuration line, as Redis reads them; ValueError when Redis
    would refuse the line (unbalanced quotes)."""
    args: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        current: list[str] = []
        while i < n and not line[i].isspace():
            if line[i] in "\"'":
                text, i = _quoted(line, i)
                current.append(text)
                # A quoted part ends its argument.
                break
            current.append(line[i])
            i += 1
        args.append("".join(current))


def _quoted(line: str, start: int) -> tuple[str, int]:
    """The text of the quoted part that opens at line[start], and the offset after it."""
    quote, i, n = line[start], start + 1, len(line)
    text: list[str] = []
    while i < n:
        c = line[i]
        if quote == '"' and c == "\\" and line[i + 1 : i + 2] == "x" and _is_hex(line[i + 2 : i + 4]):
            text.append(chr(int(line[i + 2 : i + 4], 16)))
            i += 4
        elif quote == '"' and c == "\\" and i + 1 < n:
            text.append(_ESCAPES.get(line[i + 1], line[i + 1]))
            i += 2
        elif quote == "'" and c == "\\" and line[i + 1 : i + 2] == "'":
            text.append("'")
            i += 2
        elif c == quote:
            if i + 1 < n and not line[i + 1].isspace():
                raise ValueError("a closing quote must be followed by a space")
            return "".join(text), i + 1
        else:
            text.append(c)
            i += 1
    raise ValueError("unbalanced quotes")


def _is_hex(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789abcdefABCDEF" for c in text)


def quote_arg(value: str) -> str:
    """A double-quoted argument that split_args (and Redis) reads back as `value`."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    for char, letter in (("\n", "n"), ("\r", "r"), ("\t", "t"), ("\b", "b"), ("\a", "a")):
        escaped = escaped.replace(char, "\\" + letter)
    return f'"{escaped}"'
