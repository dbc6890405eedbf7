# Copyright (c) harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)

"""Harbor's registry.sql without its database-level prologue, safe to import into any database."""

from __future__ import annotations

DOCUMENTATION = r"""
name: harbor_schema_body
short_description: Strip the drop/create/use prologue of Harbor's schema, refuse other database-level SQL
version_added: 0.1.0
author: harbor_ha.cluster contributors (@harbor-ha)
description:
  - Harbor's C(registry.sql) begins with C(drop database if exists registry; create database registry ...;
    use registry;). Fed to a server as is, it wipes an existing registry. This filter returns the text
    after that prologue, unchanged, so that it can be imported into a database chosen by the caller.
  - The prologue is at most one C(DROP DATABASE), then one C(CREATE DATABASE), then one C(USE), in that
    order, all naming the same database, before any other statement. Comments between them are dropped.
  - Any other database-level statement anywhere (C(CREATE|DROP|ALTER DATABASE|SCHEMA), C(USE)), a mysql
    client command (C(DELIMITER), C(SOURCE), C(CONNECT), C(SYSTEM), a backslash command), an executable
    comment (C(/*! ... */)), an unterminated quote or comment, or a script with no statement after the
    prologue is refused with an error that names the statement and its line.
options:
  _input:
    description: The SQL text of the schema.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Import Harbor's schema into the configured database, whatever the file's prologue names
  community.mysql.mysql_db:
    name: "{{ mysql_harbor_database }}"
    state: import
    target: /var/tmp/harbor-schema.sql
  # after writing "{{ schema_sql | harbor_ha.cluster.harbor_schema_body }}" to that file
"""

RETURN = r"""
_value:
  description: The schema after its prologue (leading whitespace removed, everything else as it was).
  type: str
"""

import re
from dataclasses import dataclass

from ansible.errors import AnsibleFilterError

IDENT = r"(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)"
PROLOGUE = (
    ("drop", re.compile(rf"drop\s+(?:database|schema)\s+(?:if\s+exists\s+)?{IDENT}$", re.I)),
    (
        "create",
        re.compile(rf"create\s+(?:database|schema)\s+(?:if\s+not\s+exists\s+)?{IDENT}(?:\s.*)?$", re.I),
    ),
    ("use", re.compile(rf"use\s+{IDENT}$", re.I)),
)
DATABASE_LEVEL = re.compile(
    r"^(?:(?:create|drop|alter)\s+(?:database|schema)\b|use\b|delimiter\b|source\b|connect\b|system\b)", re.I
)


@dataclass(frozen=True)
class Statement:
    start: int  # offset just after the previous statement's semicolon
    end: int  # offset just after this statement's semicolon
    code: str  # the statement with comments blanked and whitespace collapsed
    line: int  # line of its first character of code


class _Refused(Exception):
    pass


def _quoted_end(sql: str, i: int) -> int:
    """Offset just past the quoted string or identifier that starts at sql[i]."""
    quote = sql[i]
    j = i + 1
    while j < len(sql):
        c = sql[j]
        if c == "\\" and quote != "`":
            j += 2
            continue
        if c == quote:
            if sql.startswith(quote * 2, j):
                j += 2
                continue
            return j + 1
        j += 1
    raise _Refused(f"unterminated {quote} quote starting at line {_line(sql, i)}")


def _line(sql: str, offset: int) -> int:
    return sql.count("\n", 0, offset) + 1


def _comment_end(sql: str, i: int) -> int | None:
    """Offset just past the comment that starts at sql[i], or None when none starts there."""
    if sql.startswith("/*", i):
        if sql.startswith(("/*!", "/*M!"), i):
            raise _Refused(f"executable comment /*! ... */ at line {_line(sql, i)}")
        end = sql.find("*/", i + 2)
        if end < 0:
            raise _Refused(f"unterminated /* comment at line {_line(sql, i)}")
        return end + 2
    # MySQL needs whitespace (or the end) after "--" for it to start a comment.
    if sql[i] == "#" or (sql.startswith("--", i) and (i + 2 == len(sql) or sql[i + 2] in " \t\r\n")):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end
    return None


def split_statements(sql: str) -> list[Statement]:
    """The statements of a MySQL script, with their offsets; empty statements are left out."""
    statements: list[Statement] = []
    code: list[str] = []
    start = 0
    first_code: int | None = None
    i = 0

    def close(end: int) -> None:
        text = " ".join("".join(code).split())
        if text:
            statements.append(Statement(start, end, text, _line(sql, first_code)))

    while i < len(sql):
        c = sql[i]
        comment_end = _comment_end(sql, i)
        if comment_end is not None:
            code.append(" ")
            i = comment_end
            continue
        if c in "'\"`":
            end = _quoted_end(sql, i)
        elif c == "\\":
            raise _Refused(f"mysql client command {sql[i : i + 2]!r} at line {_line(sql, i)}")
        elif c == ";":
            close(i + 1)
            code, start, first_code = [], i + 1, None
            i += 1
            continue
        else:
            end = i + 1
        if first_code is None and not c.isspace():
            first_code = i
        code.append(sql[i:end])
        i = end
    close(len(sql))
    return statements


def _identifier(raw: str) -> str:
    return raw[1:-1].replace("``", "`") if raw.startswith("`") else raw


def _shorten(code: str) -> str:
    return code if len(code) <= 60 else code[:57] + "..."


def _prologue_length(statements: list[Statement]) -> int:
    """How many leading statements form the drop/create/use prologue (0 to 3)."""
    count, name, position = 0, None, 0
    for statement in statements:
        for index in range(position, len(PROLOGUE)):
            kind, pattern = PROLOGUE[index]
            match = pattern.match(statement.code)
            if match:
                break
        else:
            return count
        found = _identifier(match.group(1))
        if name is not None and found != name:
            raise _Refused(
                f"line {statement.line}: {kind} names database {found!r} but the prologue before it "
                f"names {name!r}"
            )
        name, position, count = found, index + 1, count + 1
    return count


def harbor_schema_body(sql) -> str:
    """Return the schema after its prologue, or raise AnsibleFilterError."""
    if not isinstance(sql, str):
        raise AnsibleFilterError(f"harbor_schema_body: expected the SQL text, got {type(sql).__name__}")
    try:
        statements = split_statements(sql)
        skip = _prologue_length(statements)
        body = statements[skip:]
        for statement in body:
            if DATABASE_LEVEL.match(statement.code):
                raise _Refused(
                    f"line {statement.line}: database-level statement {_shorten(statement.code)!r} outside "
                    "the drop/create/use prologue"
                )
        if not body:
            raise _Refused("no statement after the database prologue: this is not a schema")
    except _Refused as exc:
        raise AnsibleFilterError(
            f"harbor_schema_body: refusing this schema: {exc}. Only a leading drop/create/use of one "
            "database can be removed safely; import such a file by hand after reviewing it."
        ) from None
    return sql[statements[skip - 1].end :].lstrip() if skip else sql.lstrip()


class FilterModule:
    def filters(self):
        return {"harbor_schema_body": harbor_schema_body}
