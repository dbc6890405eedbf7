# Copyright (c) harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)

"""The tables Harbor's registry.sql creates: what a complete import leaves in the database."""

from __future__ import annotations

DOCUMENTATION = r"""
name: harbor_schema_tables
short_description: The tables a Harbor schema creates
version_added: 0.2.0
author: harbor_ha.cluster contributors (@harbor-ha)
description:
  - Reads the statements of a MySQL schema such as Harbor's C(registry.sql) (comments, quotes and
    identifiers as the server reads them, with the parser of P(harbor_ha.cluster.harbor_schema_body#filter))
    and returns the names of the tables its C(CREATE TABLE) statements create, sorted, without
    duplicates. A database into which that schema was imported completely holds at least these.
  - A schema that creates no table is refused with an error.
options:
  _input:
    description: The SQL text of the schema.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Name the tables an import stopped before
  ansible.builtin.debug:
    msg: "{{ schema_sql | harbor_ha.cluster.harbor_schema_tables | difference(tables_present) }}"
"""

RETURN = r"""
_value:
  description: The table names, sorted.
  type: list
  elements: str
  sample: [access, access_log, alembic_version, project]
"""

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.harbor_schema_body import (
    IDENT,
    _identifier,
    _Refused,
    split_statements,
)

# A temporary table is not created: it does not match. A name qualified by its database keeps
# its last part (Harbor's schemas never qualify one).
CREATE_TABLE = re.compile(rf"create\s+table\s+(?:if\s+not\s+exists\s+)?(?:{IDENT}\.)?{IDENT}", re.I)


def harbor_schema_tables(sql) -> list[str]:
    """The tables `sql` creates, or raise AnsibleFilterError."""
    if not isinstance(sql, str):
        raise AnsibleFilterError(f"harbor_schema_tables: expected the SQL text, got {type(sql).__name__}")
    try:
        statements = split_statements(sql)
    except _Refused as exc:
        raise AnsibleFilterError(f"harbor_schema_tables: cannot read this schema: {exc}") from None
    tables = set()
    for statement in statements:
        match = CREATE_TABLE.match(statement.code)
        if match:
            tables.add(_identifier(match.group(2)))
    if not tables:
        raise AnsibleFilterError("harbor_schema_tables: the schema creates no table: this is not a schema")
    return sorted(tables)


class FilterModule:
    def filters(self):
        return {"harbor_schema_tables": harbor_schema_tables}
