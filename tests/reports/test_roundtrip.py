"""A real round trip: a report asked for here is sent through the machine's Redis to a real
`celery worker` process, which builds the PDF into the same database and media folder.

Runs only when CELERY_BROKER_URL is redis:// (CI's second pass) and the database is
PostgreSQL, which the worker process can share (the test database test_psp).
"""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection
from pypdf import PdfReader

from psp.celery import app
from reports import building
from reports.models import Report

BROKER = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = pytest.mark.skipif(
    not BROKER.startswith("redis://"), reason="needs CELERY_BROKER_URL=redis://… (CI's Redis pass)"
)


def worker_database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    return f"postgres://{quote(db['USER'])}{password}@{host}/{db['NAME']}"


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


@pytest.fixture
def worker(tmp_path, monkeypatch):
    """A `celery -A psp worker` on a queue of its own, against the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a shared database (PostgreSQL)")
    queue = f"psp-test-reports-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    log = tmp_path / "worker.log"
    environment = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_POOL_MIN_SIZE": "1",
        "DATABASE_POOL_MAX_SIZE": "2",
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "psp", "worker"),
        *("--pool=solo", "--queues", queue, "--hostname", f"{queue}@%h", "--loglevel=INFO"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=Path(settings.BASE_DIR),
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        # The queue and kombu's bindings for it: every Redis key with its unique name.
        client = redis.Redis.from_url(BROKER)
        names = list(client.scan_iter(match=f"*{queue}*"))
        if names:
            client.delete(*names)
        client.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_builds_the_pdf_sent_through_redis(worker, apprentice, provider_user):
    process, log = worker
    report = building.request_report(apprentice, requested_by=provider_user)  # sent on commit
    assert Report.objects.get(pk=report.pk).dispatched_at is not None

    def finished():
        assert process.poll() is None, log.read_text()
        current = Report.objects.get(pk=report.pk)
        return current if current.status in ("ready", "failed") else None

    done = wait_for(finished, timeout=120, what="the worker to build the report")
    assert done.status == "ready", (done.failure_reason, log.read_text())
    assert done.attempts == 1
    with done.file.open("rb") as stored:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(stored.read())).pages)
    assert "Portfolio and KSB coverage" in text
    assert apprentice.name in text
    assert "KSB coverage matrix" in text
    assert "build_report" in log.read_text()
