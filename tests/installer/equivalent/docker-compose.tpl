# docker-compose file of the TEST installer (harbor_ha.cluster tests/installer): the services,
# images, container names, volumes and wiring of Harbor 1.1's, written for the tests. The builder
# replaces __version__ and __registry_version__ as Harbor's release build replaces __version__.
version: '2'
services:
  log:
    image: vmware/harbor-log:__version__
    container_name: harbor-log
    restart: always
    volumes: ["/var/log/harbor/:/var/log/docker/:z"]
    ports: ["127.0.0.1:1514:514"]
    networks: [harbor]
  registry:
    image: vmware/registry:__registry_version__
    container_name: registry
    restart: always
    command: ["serve", "/etc/registry/config.yml"]
    environment: ["GODEBUG=netdns=cgo"]
    volumes:
      - /data/registry:/storage:z
      - ./common/config/registry/:/etc/registry/:z
    networks: [harbor]
    depends_on: [log]
    logging: {driver: syslog, options: {syslog-address: "tcp://127.0.0.1:1514", tag: registry}}
  mysql:
    image: vmware/harbor-db:__version__
    container_name: harbor-db
    restart: always
    env_file: [./common/config/db/env]
    volumes: ["/data/database:/var/lib/mysql:z"]
    networks: [harbor]
    depends_on: [log]
    logging: {driver: syslog, options: {syslog-address: "tcp://127.0.0.1:1514", tag: mysql}}
  adminserver:
    image: vmware/harbor-adminserver:__version__
    container_name: harbor-adminserver
    restart: always
    env_file: [./common/config/adminserver/env]
    volumes:
      - /data/config/:/etc/adminserver/config/:z
      - /data/secretkey:/etc/adminserver/key:z
      - /data/:/data/:z
    networks: [harbor]
    depends_on: [log]
    logging: {driver: syslog, options: {syslog-address: "tcp://127.0.0.1:1514", tag: adminserver}}
  ui:
    image: vmware/harbor-ui:__version__
    container_name: harbor-ui
    restart: always
    env_file: [./common/config/ui/env]
    volumes:
      - ./common/config/ui/app.conf:/etc/ui/app.conf:z
      - ./common/config/ui/private_key.pem:/etc/ui/private_key.pem:z
      - /data/secretkey:/etc/ui/key:z
      - /data/ca_download/:/etc/ui/ca/:z
    networks: [harbor]
    depends_on: [log, adminserver, registry]
    logging: {driver: syslog, options: {syslog-address: "tcp://127.0.0.1:1514", tag: ui}}
  jobservice:
    image: vmware/harbor-jobservice:__version__
    container_name: harbor-jobservice
    restart: always
    env_file: [./common/config/jobservice/env]
    volumes:
      - /data/job_logs:/var/log/jobs:z
      - ./common/config/jobservice/app.conf:/etc/jobservice/app.conf:z
      - /data/secretkey:/etc/jobservice/key:z
    networks: [harbor]
    depends_on: [ui, adminserver]
    logging: {driver: syslog, options: {syslog-address: "tcp://127.0.0.1:1514", tag: jobservice}}
  proxy:
    image: vmware/nginx:1.11.5-patched
    container_name: nginx
    restart: always
    volumes: ["./common/config/nginx:/etc/nginx:z"]
    ports: ["80:80", "443:443", "4443:4443"]
    networks: [harbor]
    depends_on: [mysql, registry, ui, log]
    logging: {driver: syslog, options: {syslog-address: "tcp://127.0.0.1:1514", tag: proxy}}
networks:
  harbor:
    external: false
