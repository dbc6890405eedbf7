#!/bin/sh
# STAND-IN for Harbor 1.1's harbor-db entrypoint (tests only): at the first start, initialise the
# data directory, set root's password from MYSQL_ROOT_PASSWORD and load /tmp/r.sql, as upstream's
# does. The fixture password must not contain a single quote.
set -eu
if [ ! -d /var/lib/mysql/mysql ] && [ "$1" = mariadbd ]; then
    : "${MYSQL_ROOT_PASSWORD:?database is uninitialized and MYSQL_ROOT_PASSWORD is not set}"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
    mariadbd --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
    init=$!
    until mariadb-admin --socket=/run/mysqld/init.sock --silent ping >/dev/null 2>&1; do sleep 0.2; done
    {
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';"
        echo "CREATE USER 'root'@'%' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';"
        echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
        cat /tmp/r.sql
    } | mariadb --socket=/run/mysqld/init.sock --user=root
    kill "$init"
    wait "$init"
fi
exec "$@"
