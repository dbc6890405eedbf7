#!/bin/bash
# Shared by install.sh of the TEST installer (harbor_ha.cluster tests/installer), as Harbor
# 2.x's common.sh: coloured headings, and the docker and compose checks (docker 20.10.10+, the
# compose plugin or docker-compose 1.18+).

set +e
bold=$(tput bold 2>/dev/null)
underline=$(tput sgr 0 1 2>/dev/null)
reset=$(tput sgr0 2>/dev/null)
red=$(tput setaf 1 2>/dev/null)
green=$(tput setaf 76 2>/dev/null)
white=$(tput setaf 7 2>/dev/null)
blue=$(tput setaf 25 2>/dev/null)
set -e

h2() { printf "\n${underline}${bold}${white}%s${reset}\n" "$@"; }
error() { printf "${red}✖ %s${reset}\n" "$@"; }
success() { printf "${green}✔ %s${reset}\n" "$@"; }
note() { printf "\n${underline}${bold}${blue}Note:${reset} ${blue}%s${reset}\n" "$@"; }

function check_docker {
    if ! docker --version &>/dev/null; then
        error "Need to install docker(20.10.10+) first and run this script again."
        exit 1
    fi
    if [[ $(docker --version) =~ (([0-9]+)\.([0-9]+)([\.0-9]*)) ]]; then
        note "docker version: ${BASH_REMATCH[1]}"
        if [ "${BASH_REMATCH[2]}" -lt 17 ] || { [ "${BASH_REMATCH[2]}" -eq 17 ] && [ "${BASH_REMATCH[3]}" -lt 6 ]; }; then
            error "Need to upgrade docker package to 20.10.10+."
            exit 1
        fi
    else
        error "Failed to parse docker version."
        exit 1
    fi
}

function check_dockercompose {
    if docker compose version &>/dev/null; then
        note "$(docker compose version)"
        DOCKER_COMPOSE="docker compose"
    elif [[ $(docker-compose --version 2>/dev/null) =~ (([0-9]+)\.([0-9]+)([\.0-9]*)) ]]; then
        note "docker-compose version: ${BASH_REMATCH[1]}"
        if [ "${BASH_REMATCH[2]}" -lt 1 ] || { [ "${BASH_REMATCH[2]}" -eq 1 ] && [ "${BASH_REMATCH[3]}" -lt 18 ]; }; then
            error "Need to upgrade docker-compose package to 1.18.0+."
            exit 1
        fi
    else
        error "Need to install docker-compose(1.18.0+) or a docker-compose-plugin by yourself first and run this script again."
        exit 1
    fi
}
