"""Harbor 1.1's MySQL account: which servers allow it, its hash, its state and the statements
that set it. Fixtures are what Debian 12's MariaDB 10.11 answered (greeting, global_priv)."""

import json
import socket
import threading

import pytest

from ansible_collections.harbor_ha.cluster.plugins.module_utils import mysql_account as acc

# PASSWORD('old') and PASSWORD('new') on MariaDB 10.11.
OLD = "*CD02AC33DE7D3D2AFEDF5F2BAB51B07CDB499E79"
NEW = "*6FE2B845E049CDA9EFED8CFAF265CD29622FD852"
# The greeting of Debian 12's MariaDB 10.11.18, as it came over TCP (header included).
MARIADB_GREETING = bytes.fromhex(
    "640000000a352e352e352d31302e31312e31382d4d6172696144422d302b64656231327531000d0000004d4a6b5d"
    "703e7e2500fef72d0200ff81150000000000001d000000382c737d3d577d2f716c4a6d006d7973716c5f6e61746976"
    "655f70617373776f726400"
)
# mysql.global_priv's Priv of harbor@... after
#   ALTER USER ... IDENTIFIED VIA mysql_native_password USING '<new>' OR mysql_native_password USING '<old>'
TWO_PASSWORDS = {
    "access": 0,
    "version_id": 101118,
    "plugin": "mysql_native_password",
    "authentication_string": NEW,
    "password_last_changed": 1796049551,
    "auth_or": [{}, {"plugin": "mysql_native_password", "authentication_string": OLD}],
}
ONE_PASSWORD = {"access": 0, "plugin": "mysql_native_password", "authentication_string": OLD}

MARIADB = acc.parse_version("10.11.18-MariaDB-0+deb12u1")
MARIADB_103 = acc.parse_version("10.3.39-MariaDB-0+deb10u2")
MYSQL_56 = acc.parse_version("5.6.51")
MYSQL_80 = acc.parse_version("8.0.36-0ubuntu0.22.04.1")


@pytest.mark.parametrize(
    ("text", "flavor", "version"),
    [
        ("5.6.51", "mysql", (5, 6, 51)),
        ("5.6.51-log", "mysql", (5, 6, 51)),
        ("5.7.44-log", "mysql", (5, 7, 44)),
        ("8.0.36-0ubuntu0.22.04.1", "mysql", (8, 0, 36)),
        ("8.4.0", "mysql", (8, 4, 0)),
        ("9.1.0-commercial", "mysql", (9, 1, 0)),
        ("5.5.5-10.11.18-MariaDB-0+deb12u1", "mariadb", (10, 11, 18)),
        ("10.3.39-MariaDB-0+deb10u2", "mariadb", (10, 3, 39)),
        ("11.4.2-MariaDB-ubu2404", "mariadb", (11, 4, 2)),
        ("5.5.5-11.8.1-MariaDB", "mariadb", (11, 8, 1)),
    ],
)
def test_version_strings_of_mysql_and_mariadb(text, flavor, version):
    server = acc.parse_version(text)
    assert (server.flavor, server.version, server.text) == (flavor, version, text)


def test_a_version_string_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="not a MySQL or MariaDB version"):
        acc.parse_version("PostgreSQL 15.4")


@pytest.mark.parametrize(
    ("text", "plugin", "allowed", "reason"),
    [
        ("5.5.62", None, False, "older than MySQL 5.6"),
        ("5.6.51", None, True, "MySQL 5.6.51 has mysql_native_password"),
        ("5.7.44-log", None, True, "has mysql_native_password"),
        ("8.0.36", None, True, "has mysql_native_password"),
        ("8.0.40-0ubuntu0.24.04.1", None, True, "has mysql_native_password"),
        ("8.4.3", None, None, "known only once the role logs in"),
        ("8.4.3", "ACTIVE", True, "mysql_native_password=ON"),
        ("8.4.3", "DISABLED", False, "its plugin is DISABLED"),
        ("8.4.3", "", False, "its plugin is not loaded"),
        ("9.0.1", None, False, "removed mysql_native_password"),
        ("9.1.0", "ACTIVE", False, "removed mysql_native_password"),
        ("5.5.5-10.11.18-MariaDB-0+deb12u1", None, True, "MariaDB 10.11.18 always has"),
        ("10.3.39-MariaDB", None, True, "always has"),
        ("11.4.2-MariaDB-ubu2404", None, True, "always has"),
    ],
)
def test_which_servers_allow_harbor_11s_account(text, plugin, allowed, reason):
    verdict = acc.native_password(acc.parse_version(text), plugin)
    assert verdict.allowed is allowed
    assert reason in verdict.reason


def test_a_refusal_says_what_to_do():
    reason = acc.native_password(acc.parse_version("8.4.0"), "DISABLED").reason
    assert "caching_sha2_password" in reason
    assert "mysql_native_password=ON" in reason
    assert "MySQL 8.0 or MariaDB" in reason


@pytest.mark.parametrize(
    ("text", "dual"),
    [("10.11.18-MariaDB", True), ("10.4.0-MariaDB", True), ("10.3.39-MariaDB", False), ("8.0.36", False)],
)
def test_only_mariadb_104_and_later_keep_two_passwords(text, dual):
    assert acc.dual_passwords(acc.parse_version(text)) is dual


def test_native_hash_is_what_the_server_computes():
    assert acc.native_hash("old") == OLD
    assert acc.native_hash("new") == NEW
    assert acc.is_native_hash(OLD)
    assert not acc.is_native_hash("old")
    assert not acc.is_native_hash("")


def test_authentications_of_a_mariadb_account_with_two_passwords():
    row = {"Priv": json.dumps(TWO_PASSWORDS)}
    assert acc.authentications(MARIADB, row) == [(acc.NATIVE, NEW), (acc.NATIVE, OLD)]
    assert acc.authentications(MARIADB, {"Priv": json.dumps(ONE_PASSWORD)}) == [(acc.NATIVE, OLD)]
    assert acc.authentications(MARIADB, None) is None


def test_authentications_from_mysql_user_rows():
    assert acc.authentications(MYSQL_80, {"plugin": acc.NATIVE, "authentication_string": OLD}) == [
        (acc.NATIVE, OLD)
    ]
    # MySQL 5.6 and MariaDB before 10.4: the hash in Password, the plugin possibly empty.
    assert acc.authentications(MYSQL_56, {"plugin": "", "authentication_string": "", "Password": OLD}) == [
        (acc.NATIVE, OLD)
    ]
    sha2 = {"plugin": "caching_sha2_password", "authentication_string": "$A$005$x"}
    assert acc.authentications(MYSQL_80, sha2) == [("caching_sha2_password", "$A$005$x")]


def test_a_rotation_keeps_the_previous_hash_on_mariadb_and_drops_it_at_its_end():
    one = [(acc.NATIVE, OLD)]
    started = acc.wanted_hashes(one, NEW, keep_previous=True, server=MARIADB)
    assert started == [NEW, OLD]
    assert acc.needs_change(one, started)
    two = [(acc.NATIVE, NEW), (acc.NATIVE, OLD)]
    # Nothing more to do while it is under way, in whatever order the server lists them.
    assert not acc.needs_change(two, acc.wanted_hashes(two, NEW, True, MARIADB))
    assert not acc.needs_change(
        list(reversed(two)), acc.wanted_hashes(list(reversed(two)), NEW, True, MARIADB)
    )
    ended = acc.wanted_hashes(two, NEW, keep_previous=False, server=MARIADB)
    assert ended == [NEW]
    assert acc.needs_change(two, ended)
    assert not acc.needs_change(
        [(acc.NATIVE, NEW)], acc.wanted_hashes([(acc.NATIVE, NEW)], NEW, False, MARIADB)
    )


def test_no_rotation_is_kept_where_the_server_holds_one_password():
    for server in (MYSQL_80, MARIADB_103):
        assert acc.wanted_hashes([(acc.NATIVE, OLD)], NEW, keep_previous=True, server=server) == [NEW]


def test_an_account_with_another_plugin_is_changed_to_native():
    sha2 = [("caching_sha2_password", "$A$005$x")]
    wanted = acc.wanted_hashes(sha2, NEW, True, MYSQL_80)
    assert wanted == [NEW]
    assert acc.needs_change(sha2, wanted)
    assert acc.needs_change(None, wanted)


@pytest.mark.parametrize(
    ("server", "create", "hashes", "sql"),
    [
        (MARIADB, True, [NEW], "CREATE USER %s@%s IDENTIFIED VIA mysql_native_password USING %s"),
        (
            MARIADB,
            False,
            [NEW, OLD],
            "ALTER USER %s@%s IDENTIFIED VIA mysql_native_password USING %s"
            " OR mysql_native_password USING %s",
        ),
        (MYSQL_80, True, [NEW], "CREATE USER %s@%s IDENTIFIED WITH mysql_native_password AS %s"),
        (MYSQL_80, False, [NEW], "ALTER USER %s@%s IDENTIFIED WITH mysql_native_password AS %s"),
        (
            acc.parse_version("5.7.6"),
            False,
            [NEW],
            "ALTER USER %s@%s IDENTIFIED WITH mysql_native_password AS %s",
        ),
        (acc.parse_version("5.7.5"), False, [NEW], "SET PASSWORD FOR %s@%s = %s"),
        (MYSQL_56, True, [NEW], "CREATE USER %s@%s IDENTIFIED BY PASSWORD %s"),
        (MARIADB_103, False, [NEW], "SET PASSWORD FOR %s@%s = %s"),
    ],
)
def test_statements_set_the_hash_never_the_password(server, create, hashes, sql):
    assert acc.statement(server, create, hashes) == (sql, hashes)


def test_two_passwords_on_a_server_that_holds_one_is_a_bug():
    with pytest.raises(ValueError, match="one password per account"):
        acc.statement(MYSQL_80, False, [NEW, OLD])


def test_state_query_per_server():
    assert "mysql.global_priv" in acc.state_query(MARIADB)
    assert "mysql.user" in acc.state_query(MYSQL_80)
    assert "mysql.user" in acc.state_query(MARIADB_103)


def test_greeting_of_mariadb():
    assert acc.parse_greeting(MARIADB_GREETING[4:]) == "5.5.5-10.11.18-MariaDB-0+deb12u1"


def test_greeting_that_is_an_error():
    message = b"Host '10.201.3.13' is not allowed to connect to this MariaDB server"
    with pytest.raises(ValueError, match=r"error 1130\): Host '10\.201\.3\.13' is not allowed"):
        acc.parse_greeting(b"\xff\x6a\x04" + message)
    with pytest.raises(ValueError, match="not a MySQL protocol 10 greeting"):
        acc.parse_greeting(b"\x09" + b"4.0.27\x00")
    with pytest.raises(ValueError, match="empty"):
        acc.parse_greeting(b"")


@pytest.fixture
def greeting_server():
    """A TCP server that sends MariaDB's greeting in two pieces to each client."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(MARIADB_GREETING[:7])
            conn.sendall(MARIADB_GREETING[7:])
            conn.recv(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


def test_read_greeting_over_tcp(greeting_server):
    assert acc.read_greeting("127.0.0.1", greeting_server) == "5.5.5-10.11.18-MariaDB-0+deb12u1"


def test_read_greeting_from_nothing_listening():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        acc.read_greeting("127.0.0.1", port, timeout=2)


# Privileges, from SHOW GRANTS as MariaDB 10.11 and MySQL 8 print it.
ROWS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
HASH = "*" + "0123456789ABCDEF" * 2 + "01234567"
USAGE_LINE = f"GRANT USAGE ON *.* TO `harbor`@`10.0.0.21` IDENTIFIED BY PASSWORD '{HASH}'"
ROWS_LINE = "GRANT SELECT, INSERT, UPDATE, DELETE ON `registry`.* TO `harbor`@`10.0.0.21`"


def test_privilege_names_as_show_grants_prints_them():
    assert acc.privilege_names(["select", " insert ", "ALL", "grant", "create  temporary tables", ""]) == {
        "SELECT",
        "INSERT",
        "ALL PRIVILEGES",
        "GRANT OPTION",
        "CREATE TEMPORARY TABLES",
    }


@pytest.mark.parametrize(
    ("database", "printed"),
    [
        ("registry", "`registry`.*"),
        ("harbor_db", "`harbor\\_db`.*"),
        ("a%b", "`a\\%b`.*"),
        ("we`ird", "`we``ird`.*"),
    ],
)
def test_a_database_is_named_with_its_wildcards_escaped(database, printed):
    assert acc.database_object(database) == printed


def test_grants_are_read_by_object_with_the_grant_option():
    grants = acc.parse_grants(
        [USAGE_LINE, "GRANT SELECT, INSERT ON 'harbor\\_db'.* TO 'harbor'@'10.0.0.21' WITH GRANT OPTION"]
    )
    assert grants == {"*.*": {"USAGE"}, "'harbor\\_db'.*": {"SELECT", "INSERT", "GRANT OPTION"}}


def test_a_line_it_cannot_read_counts_as_a_privilege_beyond_the_wanted_ones():
    column = "GRANT SELECT (id, name) ON `registry`.`user` TO `harbor`@`10.0.0.21`"
    grants = acc.parse_grants([USAGE_LINE, ROWS_LINE, column])
    assert grants[column] == frozenset()
    assert acc.grant_statements(grants, "registry", ROWS) == [
        "REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s",
        "GRANT DELETE, INSERT, SELECT, UPDATE ON `registry`.* TO %s@%s",
    ]


def test_the_wanted_privileges_held_need_no_statement():
    assert acc.grant_statements(acc.parse_grants([USAGE_LINE, ROWS_LINE]), "registry", ROWS) == []


def test_a_new_account_is_granted_the_wanted_privileges():
    assert acc.grant_statements(acc.parse_grants([USAGE_LINE]), "harbor_db", ROWS) == [
        "GRANT DELETE, INSERT, SELECT, UPDATE ON `harbor\\_db`.* TO %s@%s"
    ]


def test_missing_privileges_are_granted_before_surplus_ones_are_revoked():
    grants = acc.parse_grants([USAGE_LINE, "GRANT SELECT, DROP ON `registry`.* TO `harbor`@`10.0.0.21`"])
    assert acc.grant_statements(grants, "registry", ROWS) == [
        "GRANT DELETE, INSERT, SELECT, UPDATE ON `registry`.* TO %s@%s",
        "REVOKE DROP ON `registry`.* FROM %s@%s",
    ]


def test_privileges_anywhere_else_are_revoked():
    grants = acc.parse_grants(
        [
            "GRANT RELOAD, PROCESS ON *.* TO `harbor`@`10.0.0.21` IDENTIFIED BY PASSWORD '*00'",
            ROWS_LINE,
            "GRANT ALL PRIVILEGES ON `mysql`.* TO `harbor`@`10.0.0.21` WITH GRANT OPTION",
            "GRANT SELECT ON `registry`.`user` TO `harbor`@`10.0.0.21`",
        ]
    )
    assert acc.grant_statements(grants, "registry", ROWS) == [
        "REVOKE PROCESS, RELOAD ON *.* FROM %s@%s",
        "REVOKE ALL PRIVILEGES ON `mysql`.* FROM %s@%s",
        "REVOKE GRANT OPTION ON `mysql`.* FROM %s@%s",
        "REVOKE SELECT ON `registry`.`user` FROM %s@%s",
    ]


def test_all_privileges_held_where_rows_are_wanted_is_narrowed():
    grants = acc.parse_grants([USAGE_LINE, "GRANT ALL PRIVILEGES ON `registry`.* TO `harbor`@`10.0.0.21`"])
    assert acc.grant_statements(grants, "registry", ROWS) == [
        "GRANT DELETE, INSERT, SELECT, UPDATE ON `registry`.* TO %s@%s",
        "REVOKE ALL PRIVILEGES ON `registry`.* FROM %s@%s",
        "GRANT DELETE, INSERT, SELECT, UPDATE ON `registry`.* TO %s@%s",
    ]


def test_all_privileges_wanted_and_held_needs_no_statement():
    grants = acc.parse_grants([USAGE_LINE, "GRANT ALL PRIVILEGES ON `registry`.* TO `harbor`@`10.0.0.21`"])
    assert acc.grant_statements(grants, "registry", acc.privilege_names(["ALL"])) == []


def test_the_grant_option_is_given_and_taken_on_its_own():
    held = acc.parse_grants([USAGE_LINE, ROWS_LINE])
    assert acc.grant_statements(held, "registry", ROWS | {"GRANT OPTION"}) == [
        "GRANT DELETE, INSERT, SELECT, UPDATE ON `registry`.* TO %s@%s WITH GRANT OPTION"
    ]
    with_option = acc.parse_grants([USAGE_LINE, ROWS_LINE + " WITH GRANT OPTION"])
    assert acc.grant_statements(with_option, "registry", ROWS) == [
        "REVOKE GRANT OPTION ON `registry`.* FROM %s@%s"
    ]


def test_a_percent_sign_reaches_the_server_once():
    statements = acc.grant_statements({}, "a%b", frozenset({"SELECT"}))
    assert statements == ["GRANT SELECT ON `a\\%%b`.* TO %s@%s"]
    assert statements[0] % ("'harbor'", "'h'") == "GRANT SELECT ON `a\\%b`.* TO 'harbor'@'h'"
