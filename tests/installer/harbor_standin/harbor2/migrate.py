"""Schema migrations as harbor-core applies them at start: golang-migrate v4.19.1 on pgx v5.

migration.Migrate (src/migration) opens a migrator, which makes sure `schema_migrations` exists
under the advisory lock (waiting as long as it takes), reads the version, then UpgradeSchema
opens another and runs m.Up(): the advisory lock again, waited for 15 s at most, the version
(dirty: refuse), then every newer NNNN_*.up.sql file, each between a dirty and a clean version
row. Two cores that start together thus migrate once: the second waits on the lock and finds
nothing to do ("No change in schema, skip.").
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg2
import psycopg2.errors

from harbor_standin.harbor2 import rules
from harbor_standin.web import log


class MigrationError(Exception):
    """Why the schema could not be upgraded; core stops on it (log.Fatalf)."""


class Migrator:
    """One database session, as golang-migrate keeps one connection for its lock."""

    def __init__(self, connect, path: Path):
        self.conn = connect()
        self.conn.autocommit = True
        self.path = path
        with self.conn.cursor() as cur:
            cur.execute("SELECT current_database(), current_schema()")
            self.database, self.schema = cur.fetchone()
        self.lock_id = rules.advisory_lock_id(self.database, self.schema)
        self.table = f'"{self.schema}"."{rules.MIGRATIONS_TABLE}"'
        self._ensure_version_table()

    def close(self) -> None:
        self.conn.close()

    def _execute(self, sql: str, *args):
        with self.conn.cursor() as cur:
            cur.execute(sql, args or None)
            return cur.fetchall() if cur.description else None

    def _lock(self, timeout: int | None = None) -> None:
        if timeout is None:
            self._execute("SELECT pg_advisory_lock(%s)", self.lock_id)
            return
        # m.lock(): give up after LockTimeout with ErrLockTimeout.
        self._execute(f"SET statement_timeout = {timeout * 1000}")
        try:
            self._execute("SELECT pg_advisory_lock(%s)", self.lock_id)
        except psycopg2.errors.QueryCanceled as exc:
            raise MigrationError("timeout: can't acquire database lock") from exc
        finally:
            self._execute("SET statement_timeout = 0")

    def _unlock(self) -> None:
        self._execute("SELECT pg_advisory_unlock(%s)", self.lock_id)

    def _ensure_version_table(self) -> None:
        self._lock()
        try:
            found = self._execute(
                "SELECT COUNT(1) FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
                self.schema,
                rules.MIGRATIONS_TABLE,
            )[0][0]
            if found != 1:
                self._execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table} (version bigint not null primary key, "
                    "dirty boolean not null)"
                )
        finally:
            self._unlock()

    def version(self) -> tuple[int | None, bool]:
        rows = self._execute(f"SELECT version, dirty FROM {self.table} LIMIT 1")
        return (rows[0][0], rows[0][1]) if rows else (None, False)

    def _set_version(self, version: int, dirty: bool) -> None:
        with self.conn.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(f"TRUNCATE {self.table}")
            cur.execute(f"INSERT INTO {self.table} (version, dirty) VALUES (%s, %s)", (version, dirty))
            cur.execute("COMMIT")

    def up(self) -> int:
        """m.Up(): the number of migrations applied (0 is ErrNoChange)."""
        self._lock(rules.LOCK_TIMEOUT)
        try:
            current, dirty = self.version()
            if dirty:
                raise MigrationError(f"Dirty database version {current}. Fix and force version.")
            pending = [
                m
                for m in rules.up_migrations(p.name for p in self.path.iterdir())
                if current is None or m[0] > current
            ]
            for version, identifier, name in pending:
                start = time.monotonic()
                self._set_version(version, True)
                body = (self.path / name).read_text()
                if body.strip():
                    try:
                        self._execute(body)
                    except psycopg2.Error as exc:
                        raise MigrationError(f"migration failed: {exc.pgerror or exc} in {name}") from exc
                self._set_version(version, False)
                log("INFO", f"{version}/u {identifier} ({(time.monotonic() - start) * 1000:.3f}ms)")
            return len(pending)
        finally:
            self._unlock()


def migrate(connect, path: Path) -> None:
    """migration.Migrate: the version check, then UpgradeSchema with its own migrator."""
    checker = Migrator(connect, path)
    try:
        current, _ = checker.version()
        log("DEBUG", f"current database schema version: {current}")
    finally:
        checker.close()
    migrator = Migrator(connect, path)
    try:
        log("INFO", "Upgrading schema for pgsql ...")
        if migrator.up() == 0:
            log("INFO", "No change in schema, skip.")
    finally:
        migrator.close()
