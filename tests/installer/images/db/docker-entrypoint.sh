#!/bin/sh
# Entrypoint of the test installer's harbor-db, shaped like Harbor 1.1's: on the first start of an
# empty /var/lib/mysql it creates the server's tables, makes root@'%' the only account (password
# from MYSQL_ROOT_PASSWORD), loads Harbor's schema from /tmp/r.sql, then runs the server.
set -eu

datadir=/var/lib/mysql
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld

if [ ! -d "$datadir/mysql" ] && [ "${1%_safe}" = mysqld ]; then
    if [ -z "${MYSQL_ROOT_PASSWORD:-}" ]; then
        echo >&2 'error: database is uninitialized and MYSQL_ROOT_PASSWORD not set'
        exit 1
    fi
    chown -R mysql:mysql "$datadir"
    mysql_install_db --user=mysql --datadir="$datadir" --skip-test-db >/dev/null

    # The schema and the accounts go in through a server that only listens on a private socket,
    # so nothing can connect before root has its password.
    socket=/run/mysqld/first-start.sock
    mysqld --skip-networking --socket="$socket" &
    server=$!
    tries=60
    until mysqladmin --socket="$socket" ping >/dev/null 2>&1; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            echo >&2 'error: the database server did not start for its first-start set-up'
            exit 1
        fi
        sleep 1
    done
    quoted=$(printf '%s' "$MYSQL_ROOT_PASSWORD" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")
    {
        cat /tmp/r.sql
        # printf, not echo: dash's echo would eat the backslashes of the quoted password.
        printf "CREATE USER 'root'@'%%' IDENTIFIED BY '%s';\n" "$quoted"
        # Reproduces Harbor 1.1's own harbor-db entrypoint: the bundled database's root, from
        # anywhere, with every right. The collection's external database never grants this.
        printf "GRANT ALL ON *.* TO 'root'@'%%' WITH GRANT OPTION;\n"
        printf "DROP USER IF EXISTS 'root'@'localhost', 'mysql'@'localhost';\n"
        printf "FLUSH PRIVILEGES;\n"
    } | mysql --socket="$socket" --user=root
    MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqladmin --socket="$socket" --user=root shutdown
    wait "$server"
    echo 'harbor-db: initialised, Harbor schema loaded from /tmp/r.sql'
fi

chown -R mysql:mysql "$datadir"
exec "$@"
