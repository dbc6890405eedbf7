"""STAND-IN for goharbor/harbor-registryctl (Harbor 2.x): health and the secret-guarded deletes.

src/registryctl: GET /api/health answers "healthy" to anyone; every other route wants
`Authorization: Harbor-Secret <JOBSERVICE_SECRET>` (garbage collection runs in jobservice) and
answers 401 otherwise. DELETE /api/registry/blob/<digest> removes the blob from the registry's
storage (the /storage volume it shares with the registry), as the real one does through the
storage driver. Manifest deletion is not implemented.
"""

from __future__ import annotations

import hmac
import os
import re
import shutil
from pathlib import Path
from typing import ClassVar

import yaml

from harbor_standin.web import Handler, described, fatal, log, serve

CONFIG = Path("/etc/registryctl/config.yml")
REGISTRY_CONFIG = Path("/etc/registry/config.yml")
BLOB_PATH = re.compile(r"^/api/registry/blob/(?P<algorithm>[a-z0-9]+):(?P<hex>[a-f0-9]{32,})$")
SECRET_PREFIX = "Harbor-Secret "


def main() -> None:
    env = dict(os.environ)
    job_secret = env.get("JOBSERVICE_SECRET", "")
    log("INFO", "STAND-IN harbor-registryctl (tests only)")
    log(
        "INFO",
        f"env: {described('JOBSERVICE_SECRET', job_secret)}, "
        f"{described('CORE_SECRET', env.get('CORE_SECRET', ''))}",
    )
    try:
        port = int(yaml.safe_load(CONFIG.read_text()).get("port", 8080))
        storage = yaml.safe_load(REGISTRY_CONFIG.read_text())["storage"]["filesystem"]["rootdirectory"]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        fatal(f"failed to load the configuration: {exc}")
    blobs = Path(storage) / "docker" / "registry" / "v2" / "blobs"

    class RegistryctlHandler(Handler):
        routes: ClassVar = {("GET", "/api/health"): "health"}

        def authorized(self) -> bool:
            if self.path == "/api/health":
                return True
            header = self.headers.get("Authorization", "")
            secret = header.removeprefix(SECRET_PREFIX)
            if header.startswith(SECRET_PREFIX) and job_secret and hmac.compare_digest(secret, job_secret):
                return True
            log("ERROR", "failed to authenticate request: invalid credential")
            self.send_text(401, "Unauthorized")
            return False

        def route(self, path: str) -> str | None:
            if self.command == "DELETE" and BLOB_PATH.match(path):
                return "delete_blob"
            return super().route(path)

        def health(self) -> None:
            self.send_json("healthy")

        def delete_blob(self) -> None:
            match = BLOB_PATH.match(self.path)
            digest = match.group("hex")
            target = blobs / match.group("algorithm") / digest[:2] / digest
            if not target.is_dir():
                self.send_text(404, f"blob {match.group('algorithm')}:{digest} not found")
                return
            shutil.rmtree(target)
            log("INFO", f"deleted blob {match.group('algorithm')}:{digest}")
            self.send_body(200, b"", "text/plain")

    serve(port, RegistryctlHandler)


if __name__ == "__main__":
    main()
