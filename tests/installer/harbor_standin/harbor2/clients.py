"""Connections the 2.x stand-ins open, as Harbor's services open them (redis and PostgreSQL)."""

from __future__ import annotations

import redis

from harbor_standin.harbor2 import rules


def redis_client(url: str) -> redis.Redis:
    """go-redis from one of the URLs prepare writes; nothing is sent until it is used."""
    settings = rules.parse_redis_url(url)
    return redis.Redis(
        host=settings.host,
        port=settings.port,
        db=settings.db,
        password=settings.password or None,
        socket_timeout=5,
        decode_responses=True,
    )


def postgres_settings(env: dict[str, str], prefix: str, names: dict[str, str]) -> dict:
    """psycopg2 keywords from a service's env: <prefix><NAME> for each keyword's env name."""
    get = {key: env.get(prefix + name, "") for key, name in names.items()}
    return {
        "host": get["host"],
        "port": int(get["port"] or 5432),
        "user": get["user"],
        "password": get["password"],
        "dbname": get["dbname"],
        "sslmode": get["sslmode"] or "disable",
        "connect_timeout": 10,
    }


# The env names of core (POSTGRESQL_*) and of the exporter (HARBOR_DATABASE_*).
CORE_DATABASE = {
    "host": "HOST",
    "port": "PORT",
    "user": "USERNAME",
    "password": "PASSWORD",
    "dbname": "DATABASE",
    "sslmode": "SSLMODE",
}
EXPORTER_DATABASE = {**CORE_DATABASE, "dbname": "DBNAME"}
