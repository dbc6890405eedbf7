#!/bin/sh
# install.sh of the TEST installer (harbor_ha.cluster tests/installer): load the images and start
# the services. Harbor 1.1's install.sh runs ./prepare first; this installer has no working
# prepare (see that file), so common/config must already be rendered.
set -eu
cd "$(dirname "$0")"
if [ ! -f common/config/adminserver/env ]; then
    echo "install.sh: common/config is missing; render it with harbor_ha.cluster.harbor_prepare" >&2
    exit 1
fi
docker load -i ./harbor.v*.tar.gz
docker-compose down
docker-compose up -d
