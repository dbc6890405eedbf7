"""A Redis server for the unit tests: RESP2 over TCP, and the few commands the collection sends, with
the replies Redis 7.0 gives (checked against Debian 12's redis-server 7.0.15)."""

from __future__ import annotations

import hashlib
import socketserver
import threading


def bulk(value) -> bytes:
    if value is None:
        return b"$-1\r\n"
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, list):
        return b"*%d\r\n" % len(value) + b"".join(bulk(item) for item in value)
    data = value.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


class FakeRedis:
    """The default user's passwords (SHA-256 digests) and the commands received, in order."""

    def __init__(self, passwords: tuple[str, ...] = (), databases: int = 16):
        self.digests = {hashlib.sha256(p.encode()).hexdigest() for p in passwords}
        self.databases = databases
        self.commands: list[list[str]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                authed = not fake.digests
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    count = int(line[1:-2])
                    args = []
                    for _ in range(count):
                        length = int(self.rfile.readline()[1:-2])
                        args.append(self.rfile.read(length + 2)[:-2].decode())
                    with fake.lock:
                        fake.commands.append(args)
                        reply, authed = fake.answer(args, authed)
                    self.wfile.write(reply)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, args: list[str], authed: bool) -> tuple[bytes, bool]:
        name = args[0].upper()
        if name == "AUTH":
            return self._auth(args[-1], authed)
        if not authed:
            return b"-NOAUTH Authentication required.\r\n", authed
        if name == "ACL":
            return self._acl(args), authed
        if name == "SELECT":
            in_range = int(args[1]) < self.databases
            return (b"+OK\r\n" if in_range else b"-ERR DB index is out of range\r\n"), authed
        return (b"+PONG\r\n" if name == "PING" else b"-ERR unknown command\r\n"), authed

    def _auth(self, password: str, authed: bool) -> tuple[bytes, bool]:
        if not self.digests:
            return (
                b"-ERR AUTH <password> called without any password configured for the default user. "
                b"Are you sure your configuration is correct?\r\n",
                authed,
            )
        if hashlib.sha256(password.encode()).hexdigest() in self.digests:
            return b"+OK\r\n", True
        return b"-WRONGPASS invalid username-password pair or user is disabled.\r\n", authed

    def _acl(self, args: list[str]) -> bytes:
        if args[1].upper() == "GETUSER":
            flags = ["on", "sanitize-payload"] + ([] if self.digests else ["nopass"])
            return bulk(
                ["flags", flags, "passwords", sorted(self.digests), "commands", "+@all", "keys", "~*"]
            )
        for rule in args[3:]:
            if rule == "resetpass":
                self.digests = set()
            elif rule.startswith("#"):
                self.digests.add(rule[1:])
            elif rule.startswith(">"):
                self.digests.add(hashlib.sha256(rule[1:].encode()).hexdigest())
        return b"+OK\r\n"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
