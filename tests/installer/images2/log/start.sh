#!/bin/sh
# harbor-log of the TEST installer: the log directory belongs to uid 10000, rsyslogd runs as it.
set -e
chown -R 10000:10000 /var/log/docker
exec setpriv --reuid=10000 --regid=10000 --clear-groups rsyslogd -n -i /tmp/rsyslogd.pid
