"""Health of what the app depends on, for GET /healthz (everything), /healthz/ready (what a
web node needs to serve requests: the database and the file store; the broker may be down,
reports then wait in the outbox) and /healthz/live (the process answers, nothing checked, so
a platform does not restart healthy nodes while the database is down).

psp checks what it owns (the database, the broker, the file store); the apps add theirs with
register_check() from their AppConfig.ready() (apprentices: the antivirus)."""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from psp.storage import storage_status

logger = logging.getLogger(__name__)

Check = Callable[[], dict[str, object]]  # {"ok": bool, ...what a monitor needs to know}

_checks: dict[str, Check] = {}


def register_check(name: str, check: Check) -> None:
    """Add a check to GET /healthz (not to readiness: a node serves requests without it)."""
    _checks[name] = check


@dataclass
class Health:
    checks: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check["ok"] for check in self.checks.values())

    def as_dict(self) -> dict[str, object]:
        return {"status": "ok" if self.ok else "unavailable", "checks": self.checks}


def check_health() -> Health:
    return Health(
        checks={
            "database": _check_database(),
            "broker": _check_broker(),
            **{name: check() for name, check in _checks.items()},
            "storage": storage_status(),
        }
    )


def check_readiness() -> Health:
    return Health(checks={"database": _check_database(), "storage": storage_status()})


def _check_database() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unreachable")
        return {"ok": False, "vendor": connection.vendor, "error": "database unreachable"}
    return {"ok": True, "vendor": connection.vendor}


def _check_broker() -> dict[str, object]:
    url: str = settings.CELERY_BROKER_URL
    if url == "filesystem://":
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        ok = folder.is_dir() and os.access(folder, os.W_OK)
        result: dict[str, object] = {"ok": ok, "transport": "filesystem"}
        if not ok:
            result["error"] = "broker folder missing or not writable"
        return result

    from psp.celery import app

    transport = url.split(":", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception:
        logger.exception("Health check: broker unreachable")
        return {"ok": False, "transport": transport, "error": "broker unreachable"}
    return {"ok": True, "transport": transport}
