"""module_utils.env_file edits KEY=VALUE files without touching other lines."""

import pytest

from ansible_collections.harbor_ha.cluster.plugins.module_utils.env_file import (
    EnvFileError,
    compose_problem,
    compose_value,
    mask,
    parse,
    update,
)

HARBOR_ENV = """LOG_LEVEL=debug
# the external database
MYSQL_HOST=mysql
MYSQL_PORT=3306
MYSQL_PWD=$db_password
RESET=false
"""


def test_parse_reads_pairs_and_skips_comments():
    assert parse(HARBOR_ENV) == {
        "LOG_LEVEL": "debug",
        "MYSQL_HOST": "mysql",
        "MYSQL_PORT": "3306",
        "MYSQL_PWD": "$db_password",
        "RESET": "false",
    }


def test_parse_keeps_everything_after_the_first_equal_sign():
    assert parse("_REDIS_URL=10.0.0.1:6379,100,pa=ss,0\n") == {"_REDIS_URL": "10.0.0.1:6379,100,pa=ss,0"}


def test_update_sets_in_place_and_appends_missing_keys():
    text, changed = update(
        HARBOR_ENV, {"MYSQL_HOST": "10.0.0.5", "RESET": "true", "_REDIS_URL": "r:6379,100,p,0"}
    )
    assert changed == ["MYSQL_HOST", "RESET", "_REDIS_URL"]
    assert text.splitlines() == [
        "LOG_LEVEL=debug",
        "# the external database",
        "MYSQL_HOST=10.0.0.5",
        "MYSQL_PORT=3306",
        "MYSQL_PWD=$db_password",
        "RESET=true",
        "_REDIS_URL=r:6379,100,p,0",
    ]


def test_update_without_difference_returns_the_same_text():
    text, changed = update(HARBOR_ENV, {"MYSQL_PORT": "3306", "LOG_LEVEL": "debug"})
    assert (text, changed) == (HARBOR_ENV, [])


def test_second_update_is_a_no_op():
    once, _ = update(HARBOR_ENV, {"MYSQL_HOST": "db", "NEW": "1"})
    twice, changed = update(once, {"MYSQL_HOST": "db", "NEW": "1"})
    assert (twice, changed) == (once, [])


def test_duplicate_keys_collapse_onto_the_first_line():
    text, changed = update("A=1\nB=2\nA=3\n", {"A": "4"})
    assert (text, changed) == ("A=4\nB=2\n", ["A"])


def test_absent_keys_are_removed():
    text, changed = update(HARBOR_ENV, {}, absent=("MYSQL_PWD", "NOT_THERE"))
    assert "MYSQL_PWD" not in parse(text)
    assert changed == ["MYSQL_PWD"]


def test_non_string_values_are_written_as_text():
    text, _ = update("", {"MYSQL_PORT": 3306})
    assert text == "MYSQL_PORT=3306\n"


@pytest.mark.parametrize(
    ("values", "message"), [({"BAD KEY": "x"}, "not a valid"), ({"A": "x\ny"}, "line break")]
)
def test_values_an_env_file_cannot_hold_are_refused(values, message):
    with pytest.raises(EnvFileError, match=message):
        update(HARBOR_ENV, values)


def test_mask_hides_only_the_given_keys():
    assert mask(HARBOR_ENV, ("MYSQL_PWD",)) == HARBOR_ENV.replace(
        "MYSQL_PWD=$db_password", "MYSQL_PWD=********"
    )
    assert mask("A=1", ()) == "A=1"


# Compose reads these back as written: docker-compose 1.29 (python-dotenv 0.21) and Compose v2.20+
# (compose-go) both take a plain value bare and a single-quoted one literally, with \' for a
# quote. The harbor scenario checks the values as the containers see them.
@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain", "plain"),
        ("10.0.0.1:6379,100,Pass-1_x.y/z@w+=%,0", "10.0.0.1:6379,100,Pass-1_x.y/z@w+=%,0"),
        ("", ""),
        ("with #hash and spaces ", "'with #hash and spaces '"),
        ('it\'s "quoted"', "'it\\'s \"quoted\"'"),
        ("$HOME and $", "'$HOME and $'"),
        ("a${b", "'a${b'"),
        ("admin <a@b>", "'admin <a@b>'"),
    ],
)
def test_compose_value_quotes_what_is_not_plain(value, written):
    assert compose_problem(value) is None
    assert compose_value(value) == written


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("two\nlines", "a line break"),
        ("cr\rhere", "a line break"),
        ("nul\0", "a NUL character"),
        ("back\\slash", "a backslash"),
        ("a${HOME}b", "${...}"),
    ],
)
def test_compose_value_refuses_what_compose_would_change(value, problem):
    assert problem in compose_problem(value)
    with pytest.raises(EnvFileError, match="the value contains"):
        compose_value(value)
