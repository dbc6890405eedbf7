#!/bin/bash
# Entrypoint of the TEST installer's harbor-db, shaped like Harbor 2.x's: on the first start of an
# empty volume, initdb in $PGDATA/pg15 (Harbor 2.15's image uses PostgreSQL 18; Debian 12 has 15),
# the postgres account with POSTGRES_PASSWORD (scram-sha-256 from anywhere), the files of
# /docker-entrypoint-initdb.d; then the server with POSTGRES_MAX_CONNECTIONS (1024).
set -e
data="$PGDATA/pg15"
if [ -s "$PGDATA/PG_VERSION" ]; then
    echo "Upgrading from PostgreSQL 9.6 is not supported in the current Harbor release." >&2
    exit 1
fi
if [ ! -s "$data/PG_VERSION" ]; then
    echo "init DB, DB version:15"
    initdb -D "$data" -U postgres -E UTF-8 --locale=C.UTF-8 >/dev/null
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then method=scram-sha-256; else method=trust; fi
    echo "host all all all $method" >> "$data/pg_hba.conf"
    pg_ctl -D "$data" -o "-c listen_addresses=''" -w start >/dev/null
    psql=(psql -v ON_ERROR_STOP=1 --username postgres --quiet)
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        password=${POSTGRES_PASSWORD//\'/\'\'}
        "${psql[@]}" -c "ALTER USER postgres WITH SUPERUSER PASSWORD '$password'"
    fi
    for f in /docker-entrypoint-initdb.d/*.sql; do
        echo "$0: running $f"
        "${psql[@]}" -f "$f"
    done
    pg_ctl -D "$data" -m fast -w stop >/dev/null
    echo 'PostgreSQL init process complete; ready for start up.'
fi
max=${POSTGRES_MAX_CONNECTIONS:-1024}
if [ "$max" -le 0 ] || [ "$max" -gt 262143 ]; then max=262143; fi
exec postgres -D "$data" -c listen_addresses='*' -c max_connections="$max"
