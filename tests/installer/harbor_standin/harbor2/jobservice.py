"""STAND-IN for goharbor/harbor-jobservice (Harbor 2.x): the job API, its secret, its Redis queue.

Start-up follows src/jobservice: /etc/jobservice/config.yml (port, worker pool, the Redis of
redis_url) and the env (CORE_SECRET, JOBSERVICE_SECRET). The worker pool announces itself in
Redis as gocraft/work does ({namespace}:worker_pools and a heartbeat hash every 5 s), under
Harbor's namespace in braces. POST /api/v1/jobs needs `Authorization: Harbor-Secret <CORE_SECRET>`
(401 otherwise, like every route but /api/v1/stats) and queues the job in Redis
({namespace}:jobs:<name>, {namespace}:job_stats:<id>). The stand-in runs no job.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import ClassVar

import redis
import yaml

from harbor_standin.harbor2 import clients, rules
from harbor_standin.web import Handler, described, fatal, log, serve

CONFIG = Path("/etc/jobservice/config.yml")
HEARTBEAT_SECONDS = 5
DEAD_AFTER = 10  # workerPoolDeadTime
# The job types Harbor registers (src/jobservice/job: names the launch request must use).
KNOWN_JOBS = (
    "DEMO",
    "SAMPLE",
    "IMAGE_SCAN",
    "GARBAGE_COLLECTION",
    "REPLICATION",
    "RETENTION",
    "WEBHOOK",
    "SLACK",
    "TEAMS",
    "P2P_PREHEAT",
    "SCHEDULER",
    "PURGE_AUDIT_LOG",
    "EXECUTION_SWEEP",
    "SYSTEM_ARTIFACT_CLEANUP",
)
JOB_PATH = re.compile(r"^/api/v1/jobs/(?P<id>[A-Za-z0-9]+)$")


def key_prefix(namespace: str) -> str:
    """bootstrap.go wraps the namespace in braces; rds.KeyNamespacePrefix adds the colon."""
    return f"{{{namespace}}}:"


class Pool:
    """The worker pool's presence in Redis (gocraft/work heartbeater)."""

    def __init__(self, client: redis.Redis, namespace: str, concurrency: int):
        self.redis = client
        self.prefix = key_prefix(namespace)
        self.id = os.urandom(12).hex()
        self.started = int(time.time())
        self.concurrency = concurrency

    def heartbeat(self) -> None:
        self.redis.sadd(self.prefix + "worker_pools", self.id)
        self.redis.hset(
            f"{self.prefix}worker_pools:{self.id}",
            mapping={
                "heartbeat_at": int(time.time()),
                "started_at": self.started,
                "job_names": ",".join(sorted(KNOWN_JOBS)),
                "concurrency": self.concurrency,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "worker_ids": "",
            },
        )

    def beat_forever(self) -> None:
        while True:
            try:
                self.heartbeat()
            except redis.RedisError as exc:
                log("ERROR", f"heartbeat of worker pool {self.id} failed: {exc}")
            time.sleep(HEARTBEAT_SECONDS)

    def stats(self) -> list[dict]:
        pools = []
        for pool_id in sorted(self.redis.smembers(self.prefix + "worker_pools")):
            beat = self.redis.hgetall(f"{self.prefix}worker_pools:{pool_id}")
            if not beat or not int(beat.get("heartbeat_at", 0)):
                continue
            alive = int(beat["heartbeat_at"]) + DEAD_AFTER >= time.time()
            pools.append(
                {
                    "worker_pool_id": pool_id,
                    "started_at": int(beat["started_at"]),
                    "heartbeat_at": int(beat["heartbeat_at"]),
                    "job_names": beat["job_names"].split(","),
                    "concurrency": int(beat["concurrency"]),
                    "status": "Healthy" if alive else "Dead",
                }
            )
        return pools

    def enqueue(self, name: str, parameters: dict, kind: str, unique: bool) -> dict:
        job_id = rules.random_string(24).lower()
        now = int(time.time())
        self.redis.sadd(self.prefix + "known_jobs", name)
        self.redis.lpush(
            f"{self.prefix}jobs:{name}",
            json.dumps({"name": name, "id": job_id, "t": now, "args": parameters}),
        )
        info = {
            "id": job_id,
            "status": "Pending",
            "name": name,
            "kind": kind,
            "unique": unique,
            "enqueue_time": now,
            "update_time": now,
        }
        self.redis.hset(
            f"{self.prefix}job_stats:{job_id}", mapping={k: json.dumps(v) for k, v in info.items()}
        )
        return info

    def job(self, job_id: str) -> dict | None:
        stored = self.redis.hgetall(f"{self.prefix}job_stats:{job_id}")
        return {k: json.loads(v) for k, v in stored.items()} if stored else None


def main() -> None:
    env = dict(os.environ)
    core_secret = env.get("CORE_SECRET", "")
    log("INFO", "STAND-IN harbor-jobservice (tests only)")
    log(
        "INFO",
        f"env: {described('CORE_SECRET', core_secret)}, "
        f"{described('JOBSERVICE_SECRET', env.get('JOBSERVICE_SECRET', ''))}",
    )
    try:
        config = yaml.safe_load(CONFIG.read_text())
        pool_cfg = config["worker_pool"]["redis_pool"]
        log(
            "INFO",
            f"worker pool: redis {rules.redacted(pool_cfg['redis_url'])}, namespace {pool_cfg['namespace']}",
        )
        client = clients.redis_client(pool_cfg["redis_url"])
        client.ping()
        pool = Pool(client, pool_cfg["namespace"], int(config["worker_pool"]["workers"]))
        pool.heartbeat()
        port = int(config.get("port", 8080))
    except (OSError, KeyError, ValueError, redis.RedisError) as exc:
        fatal(f"failed to initialize: {exc}")
    threading.Thread(target=pool.beat_forever, daemon=True).start()

    class JobserviceHandler(Handler):
        routes: ClassVar = {
            ("GET", "/api/v1/stats"): "stats",
            ("POST", "/api/v1/jobs"): "launch",
        }

        def authorized(self) -> bool:
            """SecretAuthenticator: every route but /api/v1/stats wants CORE_SECRET."""
            if self.path == "/api/v1/stats":
                return True
            header = self.headers.get("Authorization", "").strip()
            if not header:
                reason = "header 'Authorization' missing"
            elif not header.startswith("Harbor-Secret"):
                reason = "'Authorization' should start with 'Harbor-Secret'"
            else:
                secret = header.removeprefix("Harbor-Secret").strip()
                if secret and hmac.compare_digest(secret.encode(), core_secret.encode()):
                    return True
                reason = "empty secret is not allowed" if not secret else "unauthorized"
            log("ERROR", f"Serve http request '{self.command} {self.path}' failed with error: {reason}")
            self.send_json({"code": 401, "message": "unauthorized", "details": reason}, 401)
            return False

        def route(self, path: str) -> str | None:
            if self.command == "GET" and JOB_PATH.match(path):
                return "get_job"
            return super().route(path)

        def stats(self) -> None:
            pools = pool.stats()
            if not pools:
                self.send_json({"code": 500, "message": "failed to get stats of worker pools"}, 500)
                return
            self.send_json({"worker_pools": pools})

        def launch(self) -> None:
            request = json.loads(self.body() or b"{}").get("job") or {}
            name = request.get("name", "")
            if name not in KNOWN_JOBS:
                self.send_json({"code": 400, "message": f"job with name '{name}' is unknown"}, 400)
                return
            metadata = request.get("metadata") or {}
            info = pool.enqueue(
                name,
                request.get("parameters") or {},
                metadata.get("kind", "Generic"),
                bool(metadata.get("unique")),
            )
            log("INFO", f"Job '{name}' is enqueued with ID {info['id']} (stand-in: it is not run)")
            self.send_json({"job": info}, 202)

        def get_job(self) -> None:
            info = pool.job(JOB_PATH.match(self.path).group("id"))
            if info is None:
                self.send_json({"code": 404, "message": "object is not found"}, 404)
                return
            self.send_json({"job": info})

    serve(port, JobserviceHandler)


if __name__ == "__main__":
    main()
