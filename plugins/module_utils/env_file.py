# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Edit KEY=VALUE files (docker env_file, Harbor's common/config/*/env) line by line.

Pure functions, shared by the env_file module and its unit tests. Lines that are not touched
(comments, blank lines, other keys) are kept byte for byte, so an edit shows as a small diff.
"""

from __future__ import annotations

import re

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class EnvFileError(ValueError):
    """The requested edit cannot be expressed in a KEY=VALUE file."""


def _key_of(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or "=" not in stripped:
        return None
    return stripped.split("=", 1)[0].strip()


def parse(text: str) -> dict[str, str]:
    """The KEY=VALUE pairs of `text`; a key set twice keeps its last value, as docker does."""
    values = {}
    for line in text.splitlines():
        key = _key_of(line)
        if key is not None:
            values[key] = line.split("=", 1)[1]
    return values


def validate(values: dict[str, str]) -> None:
    for key, value in values.items():
        if not KEY.match(key):
            raise EnvFileError(f"{key!r} is not a valid environment variable name")
        if "\n" in str(value) or "\r" in str(value):
            raise EnvFileError(f"the value of {key} has a line break, which an env file cannot hold")


def update(text: str, values: dict[str, str], absent: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """Return (new text, sorted keys that changed).

    Each key of `values` is set on its first line, later duplicates are dropped (docker would
    let them win), and a missing key is appended. Keys in `absent` are removed.
    """
    validate(values)
    wanted = {k: str(v) for k, v in values.items()}
    seen: set[str] = set()
    changed: set[str] = set()
    lines = []
    for line in text.splitlines():
        key = _key_of(line)
        if key in absent:
            changed.add(key)
            continue
        if key in wanted:
            if key in seen:
                changed.add(key)
                continue
            seen.add(key)
            new_line = f"{key}={wanted[key]}"
            if line != new_line:
                changed.add(key)
            lines.append(new_line)
            continue
        lines.append(line)
    for key, value in wanted.items():
        if key not in seen:
            changed.add(key)
            lines.append(f"{key}={value}")
    new_text = "\n".join(lines) + "\n" if lines else ""
    if new_text == text:
        return text, []
    return new_text, sorted(changed)


# --------------------------------------------------------------------------- what compose reads
# A value docker compose passes to a container unchanged, from an env_file line KEY=<value>:
# docker-compose 1.29 (python-dotenv 0.21) and Compose v2.20+ (compose-go 1.16+) read a bare value
# of plain characters as it is, and both read a single-quoted value literally, \' as a quote, with
# its spaces and any "#" kept. A bare value loses a " #..." comment and trailing spaces, and
# Compose v2 expands its $NAME. They disagree on a backslash (python-dotenv unescapes \\,
# compose-go keeps it), and python-dotenv expands ${NAME} even inside single quotes: such
# values are refused. Plain values stay bare, as docker's own --env-file reads them too.
_PLAIN = re.compile(r"[A-Za-z0-9_.,:/@+=%-]*")
_EXPANDED = re.compile(r"\$\{[^}]*\}")


def compose_problem(value: str) -> str | None:
    """Why compose would change `value` on its way into a container, or None."""
    if "\n" in value or "\r" in value:
        return "a line break (an env file holds one value a line)"
    if "\0" in value:
        return "a NUL character"
    if "\\" in value:
        return "a backslash (docker-compose 1.29 and Compose v2 unescape it differently)"
    if _EXPANDED.search(value):
        return "${...} (docker-compose 1.29 expands it, even in quotes)"
    return None


def compose_value(value: str) -> str:
    """`value` written so that docker compose reads back exactly `value` from KEY=<this>."""
    problem = compose_problem(value)
    if problem:
        raise EnvFileError(f"the value contains {problem}")
    if _PLAIN.fullmatch(value):
        return value
    return "'" + value.replace("'", "\\'") + "'"


MASK = "********"


def mask(text: str, keys: tuple[str, ...]) -> str:
    """`text` with the values of `keys` replaced by a mask (for a diff that must not show them)."""
    lines = []
    for line in text.splitlines():
        key = _key_of(line)
        lines.append(f"{key}={MASK}" if key in keys else line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")
