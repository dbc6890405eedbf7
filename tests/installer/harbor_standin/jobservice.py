"""STAND-IN for vmware/harbor-jobservice (Harbor 1.1): configuration, MySQL and job resumption.

Start-up follows src/jobservice/main.go: configuration from adminserver, the MySQL it names, then
every job marked running is set back to pending and resumed (resumeJobs; Harbor issue #3747 is
about what that does in a cluster). The stand-in runs no replication: it logs the jobs it would
resume. Its API checks the UI secret like Harbor's; GET /api/jobs/health exists only here.
"""

from __future__ import annotations

import os
from typing import ClassVar

from harbor_standin.service import Database, adminserver_client, app_port, log_environment
from harbor_standin.web import Handler, fatal, log, serve


def resume_jobs(db: Database) -> None:
    db.execute("UPDATE replication_job SET status = 'pending', update_time = NOW() WHERE status = 'running'")
    for job in db.query("SELECT id FROM replication_job WHERE status IN ('pending', 'retrying') ORDER BY id"):
        log("INFO", f"Resuming job: {job['id']} (stand-in: replication is not run)")


def main() -> None:
    env = dict(os.environ)
    ui_secret = env.get("UI_SECRET", "")
    log("INFO", "STAND-IN jobservice (tests only), initializing configurations...")
    log_environment(env)
    try:
        db = Database(adminserver_client(env).configurations())
        resume_jobs(db)
        port = app_port(env)
    except (OSError, ValueError, RuntimeError) as exc:
        fatal(f"failed to initialize: {exc}")

    class JobserviceHandler(Handler):
        routes: ClassVar = {
            ("GET", "/api/jobs/health"): "health",
            ("POST", "/api/jobs/replication"): "not_implemented",
            ("POST", "/api/jobs/replication/actions"): "not_implemented",
        }

        def authorized(self) -> bool:
            """ReplicationJob.authenticate: 401 without the secret cookie, 403 with another one."""
            secret = self.cookie("secret")
            if secret == ui_secret:
                return True
            self.send_text(401 if secret is None else 403, "")
            return False

        def health(self) -> None:
            jobs = db.query("SELECT COUNT(*) AS n FROM replication_job")[0]["n"]
            self.send_json({"database": f"{db.host}:{db.port}/{db.name}", "replication_jobs": jobs})

        def not_implemented(self) -> None:
            self.send_text(501, "the jobservice stand-in runs no replication")

    serve(port, JobserviceHandler)


if __name__ == "__main__":
    main()
