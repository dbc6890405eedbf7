"""The readiness check's login to PostgreSQL (module backend_login, Harbor 2.x): from the node with
the right password, and each refusal with the reason the harbor role words after its variable."""

import json

import pytest
from conftest import DATABASE, DB_ADDRESS, HARBOR, HARBOR_PASSWORD, PORT


def login(host, password: str = HARBOR_PASSWORD, database: str = DATABASE) -> dict:
    args = {
        "database": {
            "type": "postgresql",
            "host": DB_ADDRESS,
            "port": PORT,
            "user": HARBOR,
            "password": password,
            "name": database,
        }
    }
    result = host.ansible("harbor_ha.cluster.backend_login", json.dumps(args), check=False)
    assert result.get("changed") is False, result
    return result["database"]


def test_the_node_logs_in(node):
    assert login(node) == {"ok": True, "reason": None, "error": None}


@pytest.mark.parametrize(
    ("host", "password", "database", "reason"),
    [
        ("node", "not-the-password", DATABASE, "wrong_password"),
        ("node", HARBOR_PASSWORD, "nowhere", "host_not_allowed"),
        ("outsider", HARBOR_PASSWORD, DATABASE, "host_not_allowed"),
    ],
    ids=["wrong password", "another database", "not a node"],
)
def test_refusals_and_their_reasons(request, host, password, database, reason):
    result = login(request.getfixturevalue(host), password, database)
    assert (result["ok"], result["reason"]) == (False, reason), result
    assert HARBOR_PASSWORD not in result["error"]
