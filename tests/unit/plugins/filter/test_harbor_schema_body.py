"""harbor_schema_body strips Harbor's drop/create/use prologue and refuses anything else database-level."""

import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.harbor_schema_body import (
    FilterModule,
    harbor_schema_body,
    split_statements,
)

PROLOGUE = "drop database if exists registry;\ncreate database registry charset = utf8;\n\nuse registry;\n"
BODY = "create table access (\n access_id int NOT NULL AUTO_INCREMENT,\n primary key (access_id)\n);\n"


def refused(sql: str, match: str) -> None:
    with pytest.raises(AnsibleFilterError, match=match):
        harbor_schema_body(sql)


def test_harbor_prologue_is_removed_and_the_rest_kept_verbatim():
    sql = PROLOGUE + "\n" + BODY
    assert harbor_schema_body(sql) == BODY


def test_quoted_and_commented_forms_of_the_prologue():
    sql = (
        "-- Harbor schema\n/* header */ DROP SCHEMA IF EXISTS `registry`;\n# comment\n"
        "CREATE DATABASE IF NOT EXISTS `registry` DEFAULT CHARACTER SET utf8;\nUSE `registry` ;\n" + BODY
    )
    assert harbor_schema_body(sql) == BODY


def test_partial_prologue_and_no_prologue():
    assert harbor_schema_body("use registry;\n" + BODY) == BODY
    assert harbor_schema_body("\n\n" + BODY) == BODY


@pytest.mark.parametrize(
    "sql",
    [
        BODY + "drop database registry;\n",
        BODY + "DROP   SCHEMA other;",
        BODY + "create database other;",
        BODY + "alter database registry charset utf8mb4;",
        BODY + "use mysql;\n",
        BODY + "insert into access values (1);\n  USE mysql",
        # A prologue out of order: the second drop is no longer part of it.
        "use registry;\ndrop database registry;\n" + BODY,
        "create database registry;\ncreate database registry;\n" + BODY,
    ],
)
def test_database_level_statement_outside_the_prologue_is_refused(sql):
    refused(sql, "database-level statement")


def test_error_names_the_line():
    refused(BODY + "\n\nDROP DATABASE registry;", "line 7: database-level statement 'DROP DATABASE registry'")


def test_prologue_naming_two_databases_is_refused():
    refused("drop database if exists registry;\ncreate database other;\n" + BODY, "names database 'other'")
    refused("create database registry;\nuse `other`;\n" + BODY, "names database 'other'")


@pytest.mark.parametrize(
    ("sql", "match"),
    [
        (BODY + "DELIMITER //\n", "database-level statement 'DELIMITER //'"),
        (BODY + "source /tmp/other.sql;\n", "database-level statement 'source"),
        (BODY + "\\u mysql\n", r"mysql client command '\\\\u'"),
        (BODY + "/*!40000 DROP DATABASE registry */;\n", "executable comment"),
        (BODY + "/*M!100100 USE mysql */;\n", "executable comment"),
        (BODY + "insert into access values ('x);\n", "unterminated ' quote"),
        (BODY + "/* never closed\n", "unterminated /\\* comment"),
        (PROLOGUE + "-- nothing\n", "no statement"),
        ("", "no statement"),
    ],
)
def test_what_cannot_be_reasoned_about_is_refused(sql, match):
    refused(sql, match)


def test_keywords_inside_strings_identifiers_and_comments_are_data():
    body = (
        'insert into access (comment) values (\'use mysql; drop database x;\'), ("it\\"s; use x");\n'
        "create table `use` (`drop database` int);\n"
        "-- drop database registry;\n# use mysql;\n/* create database x; */\n"
        "insert into access (comment) values ('it''s');\n"
    )
    assert harbor_schema_body("drop database if exists registry;\n" + body) == body


def test_double_dash_without_space_is_not_a_comment():
    # "1--1" is arithmetic in MySQL, so the statement after it must still be seen.
    refused(BODY + "select 1--1;\ndrop database registry;", "database-level statement")


def test_statements_carry_offsets_and_lines():
    sql = "use registry;\n\n/* c */ create table t (id int);\nselect 1"
    statements = split_statements(sql)
    assert [s.code for s in statements] == ["use registry", "create table t (id int)", "select 1"]
    assert [s.line for s in statements] == [1, 3, 4]
    assert sql[statements[0].end :].startswith("\n\n/* c */ create")
    assert statements[-1].end == len(sql)


def test_non_text_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="expected the SQL text"):
        harbor_schema_body(None)


# installer_tree (conftest.py): the test installer's equivalent schema always, Harbor's own
# registry.sql of each version too when this machine has them.
def test_schema_with_harbors_prologue(installer_tree):
    sql = (installer_tree / "common" / "db" / "registry.sql").read_text()
    assert re.match(r"drop database if exists registry;\s*create database registry", sql, re.I)
    body = harbor_schema_body(sql)
    statements = split_statements(body)
    assert re.search(r"^create table access\b", body, re.I | re.M)
    assert len(statements) == len(split_statements(sql)) - 3
    assert not re.search(r"\b(drop|create)\s+database\b|^use\b", body, re.I | re.M)


def test_registered_under_its_name():
    assert FilterModule().filters() == {"harbor_schema_body": harbor_schema_body}
