#!/bin/bash
# install.sh of the TEST installer (harbor_ha.cluster tests/installer), as Harbor 2.x's: checks
# docker and compose, loads the images, runs ./prepare (new secrets every time), removes the
# running instance with its volumes and starts Harbor again.
set -e

DIR="$(cd "$(dirname "$0")" && pwd)"
source "$DIR/common.sh"

usage=$'Please set hostname and other necessary attributes in harbor.yml first. DO NOT use localhost or 127.0.0.1 for hostname, because Harbor needs to be accessed by external clients.
This test installer has no trivy-adapter image: --with-trivy is refused.'
DOCKER_COMPOSE=docker-compose

while [ $# -gt 0 ]; do
    case $1 in
        --help)
            note "$usage"
            exit 0;;
        --with-trivy)
            error "--with-trivy: this test installer carries no goharbor/trivy-adapter-photon image (tests/installer/README.md)"
            exit 1;;
        *)
            note "$usage"
            exit 1;;
    esac
done

cd "$DIR"
item=0
h2 "[Step $item]: checking if docker is installed ..."; item=$((item + 1))
check_docker
h2 "[Step $item]: checking docker-compose is installed ..."; item=$((item + 1))
check_dockercompose

shopt -s nullglob
images=(harbor*.tar.gz)
if [ ${#images[@]} -gt 0 ]; then
    h2 "[Step $item]: loading Harbor images ..."; item=$((item + 1))
    docker load -i "${images[0]}"
fi

h2 "[Step $item]: preparing environment ..."; item=$((item + 1))
h2 "[Step $item]: preparing harbor configs ..."; item=$((item + 1))
./prepare

note "stopping existing Harbor instance ..."
$DOCKER_COMPOSE down -v

h2 "[Step $item]: starting Harbor ..."
$DOCKER_COMPOSE up -d

success "----Harbor has been installed and started successfully.----"
