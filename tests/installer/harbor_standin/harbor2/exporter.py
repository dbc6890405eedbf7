"""STAND-IN for goharbor/harbor-exporter (Harbor 2.x): Prometheus metrics from PostgreSQL and Redis.

src/pkg/exporter: on HARBOR_EXPORTER_PORT at HARBOR_EXPORTER_METRICS_PATH, from the database of
HARBOR_DATABASE_* (projects and their repositories), the jobservice Redis of HARBOR_REDIS_URL
(queues of the known jobs, under the namespace in braces) and core's health API. Only these
metric families are implemented: harbor_project_total, harbor_project_repo_total,
harbor_task_queue_size, harbor_task_scheduled_total, harbor_health and harbor_up.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import ClassVar

import psycopg2
import redis

from harbor_standin.harbor2 import clients
from harbor_standin.harbor2.jobservice import key_prefix
from harbor_standin.web import Handler, described, fatal, log, serve


def family(name: str, text: str, samples: list[tuple[dict, float]]) -> str:
    lines = [f"# HELP {name} {text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        label = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append(f"{name}{{{label}}} {value:g}" if label else f"{name} {value:g}")
    return "\n".join(lines)


def main() -> None:
    env = dict(os.environ)
    log("INFO", "STAND-IN harbor-exporter (tests only)")
    database = clients.postgres_settings(env, "HARBOR_DATABASE_", clients.EXPORTER_DATABASE)
    log(
        "INFO",
        f"database {database['host']}:{database['port']}/{database['dbname']}, "
        f"{described('password', database['password'])}",
    )
    try:
        queue = clients.redis_client(env["HARBOR_REDIS_URL"])
        prefix = key_prefix(env.get("HARBOR_REDIS_NAMESPACE", "harbor_job_service_namespace"))
        core = (
            f"{env.get('HARBOR_SERVICE_SCHEME', 'http')}://{env.get('HARBOR_SERVICE_HOST', 'core')}:"
            f"{env.get('HARBOR_SERVICE_PORT', '8080')}/api/v2.0/health"
        )
        port = int(env.get("HARBOR_EXPORTER_PORT") or 8080)
        path = env.get("HARBOR_EXPORTER_METRICS_PATH") or "/metrics"
    except (KeyError, ValueError) as exc:
        fatal(f"failed to initialize: {exc}")

    def metrics() -> str:
        with psycopg2.connect(**database) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT p.name, COALESCE(m.value, 'false'), "
                "(SELECT COUNT(*) FROM repository r WHERE r.project_id = p.project_id) FROM project p "
                "LEFT JOIN project_metadata m ON m.project_id = p.project_id AND m.name = 'public' "
                "WHERE p.deleted = false ORDER BY p.name"
            )
            projects = cur.fetchall()
        conn.close()
        totals = {"true": 0, "false": 0}
        for _, public, _ in projects:
            totals[public] = totals.get(public, 0) + 1
        jobs = sorted(queue.smembers(prefix + "known_jobs"))
        with urllib.request.urlopen(core, timeout=10) as response:
            health = json.load(response)
        parts = [
            family(
                "harbor_project_total",
                "Total projects number",
                [({"public": k}, v) for k, v in totals.items()],
            ),
            family(
                "harbor_project_repo_total",
                "Total project repos number",
                [({"project_name": name, "public": public}, repos) for name, public, repos in projects],
            ),
            family(
                "harbor_task_queue_size",
                "Total number of tasks",
                [({"type": job}, queue.llen(f"{prefix}jobs:{job}")) for job in jobs],
            ),
            family(
                "harbor_task_scheduled_total",
                "total number of scheduled job",
                [({}, queue.zcard(prefix + "scheduled"))],
            ),
            family(
                "harbor_health", "Running status of Harbor", [({}, 1 if health["status"] == "healthy" else 0)]
            ),
            family(
                "harbor_up",
                "Running status of harbor component",
                [
                    ({"component": c["name"]}, 1 if c["status"] == "healthy" else 0)
                    for c in health["components"]
                ],
            ),
        ]
        return "\n".join(parts) + "\n"

    class ExporterHandler(Handler):
        routes: ClassVar = {("GET", path): "metrics"}

        def metrics(self) -> None:
            try:
                body = metrics()
            except (OSError, ValueError, psycopg2.Error, redis.RedisError) as exc:
                log("ERROR", f"collecting metrics failed: {exc}")
                self.send_text(500, f"collecting metrics failed: {exc}")
                return
            self.send_body(200, body.encode(), "text/plain; version=0.0.4; charset=utf-8")

    serve(port, ExporterHandler)


if __name__ == "__main__":
    main()
