"""harbor_schema_tables: the tables a complete import of Harbor's schema leaves in the database."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.harbor_schema_tables import (
    FilterModule,
    harbor_schema_tables,
)
from ansible_collections.harbor_ha.cluster.tests.unit.plugins.conftest import installer_trees

# Harbor 1.1's registry.sql creates these (the equivalent and Harbor's own files alike).
HARBOR_11_TABLES = [
    "access",
    "access_log",
    "alembic_version",
    "project",
    "project_member",
    "properties",
    "replication_job",
    "replication_policy",
    "replication_target",
    "repository",
    "role",
    "user",
]


@pytest.mark.parametrize("tree", installer_trees())
def test_tables_of_harbor_11s_schema(tree):
    assert harbor_schema_tables((tree / "common" / "db" / "registry.sql").read_text()) == HARBOR_11_TABLES


def test_forms_of_create_table():
    sql = (
        "drop database if exists registry; create database registry; use registry;\n"
        "create table access (id int);\n"
        "CREATE TABLE IF NOT EXISTS `alembic_version` (v varchar(32));\n"
        "create table `we``ird` (id int);\n"
        "create table registry.qualified (id int);\n"
        "CREATE TEMPORARY TABLE scratch (id int);\n"
        "-- create table commented (id int);\n"
        "insert into access values ('create table nothing (x int)');\n"
        "create table access (id int);\n"
    )
    assert harbor_schema_tables(sql) == ["access", "alembic_version", "qualified", "we`ird"]


def test_a_script_that_creates_no_table_is_refused():
    with pytest.raises(AnsibleFilterError, match="creates no table"):
        harbor_schema_tables("insert into access values (1);")
    with pytest.raises(AnsibleFilterError, match="cannot read this schema: unterminated"):
        harbor_schema_tables("create table a (b varchar(3) default 'x);")
    with pytest.raises(AnsibleFilterError, match="expected the SQL text"):
        harbor_schema_tables(None)


def test_filter_is_registered():
    assert FilterModule().filters()["harbor_schema_tables"] is harbor_schema_tables
