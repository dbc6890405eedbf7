"""compose_env_problems names the variables whose values compose would change, never the values."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.compose_env_problems import compose_env_problems


def test_names_each_refused_variable_and_the_reason_only():
    problems = compose_env_problems(
        {
            "cluster_db_password": "Secret\\Pass1",
            "cluster_redis_password": "quote' hash # dollar $HOME",
            "harbor_cfg_extra.email_password": "x${HOME}y",
            "harbor_cfg_extra.token_expiration": 30,
        }
    )
    assert problems == [
        "cluster_db_password contains a backslash"
        " (docker-compose 1.29 and Compose v2 unescape it differently)",
        "harbor_cfg_extra.email_password contains ${...} (docker-compose 1.29 expands it, even in quotes)",
    ]
    assert not [line for line in problems if "Secret" in line or "HOME" in line]


def test_refuses_what_is_not_a_mapping():
    with pytest.raises(AnsibleFilterError, match="expects a mapping"):
        compose_env_problems(["x"])
