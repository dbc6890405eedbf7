"""STAND-IN for vmware/harbor-adminserver (Harbor 1.1): the configuration the other services read.

At start it builds its configuration from its environment when RESET=true or when it has none
stored yet, otherwise it keeps the stored one and reloads a few keys (systemcfg.Init). The store
is /etc/adminserver/config/config.json with passwords encrypted by /etc/adminserver/key, the same
file format as Harbor's, so nodes that share /data/config must share /data/secretkey too.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import ClassVar

from harbor_standin.core import ENCRYPTED, ENVIRONMENT, config_from_env, seal, startup_config, unseal
from harbor_standin.web import Handler, fatal, log, serve

SHOWN = ("ext_endpoint", "auth_mode", "database_type", "mysql_host", "mysql_port", "mysql_username")
SHOWN += ("mysql_database", "registry_url", "token_expiration", "cfg_expiration")


class ConfigStore:
    """The JSON store behind the encrypting driver (systemcfg/store/json and store/encrypt)."""

    def __init__(self, path: Path, key_path: Path):
        self.path = path
        self.key_path = key_path
        self._lock = threading.Lock()
        if not path.exists():
            log("INFO", f"the configuration file {path} does not exist, creating it...")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)

    def _key(self) -> str:
        return self.key_path.read_text()

    def _raw(self) -> dict | None:
        text = self.path.read_text()
        return json.loads(text) if text else None

    def read(self) -> dict | None:
        with self._lock:
            raw = self._raw()
            return None if raw is None else unseal(raw, self._key())

    def write(self, cfg: dict) -> None:
        with self._lock:
            merged = self._raw() or {}
            merged.update(seal(cfg, self._key()))
            self.path.write_text(json.dumps(merged, indent=2))
            self.path.chmod(0o600)


def main() -> None:
    env = dict(os.environ)
    store_path = Path(env.get("JSON_CFG_STORE_PATH") or "/etc/adminserver/config/config.json")
    key_path = Path(env.get("KEY_PATH") or "/etc/adminserver/key")
    log("INFO", "STAND-IN adminserver (tests only), initializing system configurations...")
    log("INFO", f"the path of json configuration storage: {store_path}")
    log("INFO", f"the path of key used by key provider: {key_path}")
    try:
        store = ConfigStore(store_path, key_path)
        cfg, why = startup_config(store.read(), env)
        store.write(cfg)
    except (OSError, ValueError) as exc:
        fatal(f"failed to initialize the system: {exc}")
    log("INFO", why)
    log("INFO", "configuration: " + ", ".join(f"{k}={cfg.get(k)!r}" for k in SHOWN))
    log("INFO", "secrets: " + ", ".join(f"{k} {'set' if cfg.get(k) else 'EMPTY'}" for k in ENCRYPTED))

    # Requests must carry one of these in the `secret` cookie (adminserver/auth).
    accepted = {env.get("UI_SECRET", ""), env.get("JOBSERVICE_SECRET", "")}
    capacity_path = env.get("IMAGE_STORE_PATH") or "/data"

    class AdminserverHandler(Handler):
        routes: ClassVar = {
            ("GET", "/api/configurations"): "list_configurations",
            ("PUT", "/api/configurations"): "update_configurations",
            ("POST", "/api/configurations/reset"): "reset_configurations",
            ("GET", "/api/systeminfo/capacity"): "capacity",
        }

        def authorized(self) -> bool:
            if self.cookie("secret") in accepted:
                return True
            self.send_text(401, "Unauthorized")
            return False

        def list_configurations(self) -> None:
            self.send_json(store.read() or {})

        def update_configurations(self) -> None:
            update = json.loads(self.body() or b"{}")
            if not isinstance(update, dict):
                self.send_text(400, "a JSON object is expected")
                return
            store.write(update)
            self.send_text(200, "")

        def reset_configurations(self) -> None:
            store.write(config_from_env(env, ENVIRONMENT))
            self.send_text(200, "")

        def capacity(self) -> None:
            stat = os.statvfs(capacity_path)
            self.send_json({"total": stat.f_blocks * stat.f_frsize, "free": stat.f_bavail * stat.f_frsize})

    serve(int(env.get("PORT") or 80), AdminserverHandler)


if __name__ == "__main__":
    main()
