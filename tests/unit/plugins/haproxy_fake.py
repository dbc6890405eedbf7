"""A fake HAProxy admin socket for the modules that talk to one (haproxy_servers_info, haproxy_server)."""

import csv
import io
import re
import socket
import threading
from pathlib import Path

# Captured from Debian 12's HAProxy 2.6 (two servers whose checks fail: DOWN, L4CON).
SHOW_STAT = (Path(__file__).resolve().parents[1] / "fixtures" / "haproxy-2.6-show-stat.csv").read_text()


class FakeAdminSocket:
    """A unix socket that answers each connection's command line with `respond(command)`."""

    def __init__(self, path, respond):
        self.path, self.respond, self.commands = str(path), respond, []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = conn.recv(1024).decode().strip()
                self.commands.append(command)
                conn.sendall(self.respond(command).encode())

    def close(self):
        self.server.close()


def answering(*answers):
    """A `respond` that gives the next of `answers` to each command (the last one repeats)."""
    queue = list(answers)
    return lambda command: queue.pop(0) if len(queue) > 1 else queue[0]


class FakeHAProxy:
    """HAProxy 2.6's runtime API over `show stat` rows, for the commands the modules send.

    Starts from the captured answer's first server row, copied as `servers` {(backend, name):
    (address, status, current sessions)}. `set server B/S state ready|drain|maint` and `set server
    B/S addr A port P` answer as HAProxy does; each `show stat` first ends `ends_per_poll` sessions
    of every server, and a server set ready reports `after_ready` (one status per later `show
    stat`, the last one repeating) instead of UP.
    """

    def __init__(self, servers, ends_per_poll=0, after_ready=("UP",)):
        lines = SHOW_STAT.splitlines()
        self.header = lines[0][2:].split(",")
        template = dict(zip(self.header, next(csv.reader([lines[2]])), strict=False))
        self.rows = []
        for (backend, name), (address, status, sessions) in servers.items():
            row = dict(template, pxname=backend, svname=name, addr=address, status=status)
            self.rows.append(row | {"scur": str(sessions)})
        self.ends_per_poll, self.after_ready = ends_per_poll, after_ready
        self.readied: dict[int, list[str]] = {}

    def row(self, backend, name):
        return next((r for r in self.rows if (r["pxname"], r["svname"]) == (backend, name)), None)

    def show_stat(self):
        for index, row in enumerate(self.rows):
            row["scur"] = str(max(0, int(row["scur"]) - self.ends_per_poll))
            if index in self.readied:
                pending = self.readied[index]
                row["status"] = pending.pop(0) if len(pending) > 1 else pending[0]
        out = io.StringIO()
        writer = csv.DictWriter(out, self.header, lineterminator="\n")
        writer.writerows(self.rows)
        return "# " + ",".join(self.header) + "\n" + out.getvalue() + "\n"

    def respond(self, command):
        if command == "show stat":
            return self.show_stat()
        if match := re.fullmatch(r"set server (\S+)/(\S+) state (ready|drain|maint)", command):
            row = self.row(match[1], match[2])
            if row is None:
                return "No such server.\n"
            if match[3] == "ready":
                self.readied[self.rows.index(row)] = list(self.after_ready)
            else:
                self.readied.pop(self.rows.index(row), None)
                row["status"] = {"drain": "DRAIN", "maint": "MAINT"}[match[3]]
            return "\n"
        if match := re.fullmatch(r"set server (\S+)/(\S+) addr (\S+) port (\d+)", command):
            row = self.row(match[1], match[2])
            old_address, old_port = row["addr"].rsplit(":", 1)
            row["addr"] = f"{match[3]}:{match[4]}"
            address = (
                "no need to change the addr"
                if old_address == match[3]
                else f"IP changed from '{old_address}' to '{match[3]}'"
            )
            port = (
                "no need to change the port"
                if old_port == match[4]
                else f"port changed from '{old_port}' to '{match[4]}'"
            )
            return f"{address}, {port} by 'stats socket command'\n\n"
        return "Unknown command. Please enter one of the following commands only :\n"
