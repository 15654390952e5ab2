"""psp on more than one machine: two gunicorn web nodes and a Celery worker, each with its own
empty MEDIA_ROOT, sharing only PostgreSQL, Redis and an S3-compatible object store (moto's
server from PyPI, a test stand-in for a real store, on 127.0.0.1).

An apprentice uploads through node A; the provider reviews and downloads it through node B;
a report asked for through B is built by the worker and downloaded through A; every file
comes back byte for byte. Then the object store stops for PSP_MULTINODE_OUTAGE_SECONDS
(30 by default): uploads are refused with a clear message and nothing is recorded, the
nodes say they are not ready, and all works again when the store is back.

Runs in `make test` when DATABASE_URL is PostgreSQL and CELERY_BROKER_URL is Redis (CI's
second pass); skipped with the reason otherwise.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from apprentices.models import Evidence, EvidenceFile
from psp.roles import Role
from psp.storage import StorageUnavailable
from reports.models import Report
from tests.apprentices import samples
from tests.factories import make_apprentice, make_staff

# serialized_rollback: the role groups (from a data migration) are put back for later tests.
pytestmark = [
    pytest.mark.multinode,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "multinode-test-password-0"
BUCKET = "psp-multinode"
OUTAGE_SECONDS = float(os.environ.get("PSP_MULTINODE_OUTAGE_SECONDS", "30"))
START_TIMEOUT = 90
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _skip_reason() -> str:
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return "needs PostgreSQL (DATABASE_URL), shared by the nodes"
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs Redis (CELERY_BROKER_URL), shared by the nodes"
    try:
        import moto.server  # noqa: F401
        import requests  # noqa: F401
    except ImportError:
        return "needs moto[server] (pip install -e '.[dev]')"
    return ""


@pytest.fixture(autouse=True)
def _needs_shared_services() -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ObjectStore:
    """moto's S3 server in a thread of this process: stopping it closes the port
    (connections are refused), starting it again on the same port finds the same
    buckets and objects, as a real store's outage would."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server._server.server_close()  # close the port, not only the loop
            self.server = None

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="eu-west-2",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def object_names(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=BUCKET)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@dataclass
class Node:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    def tail(self) -> str:
        return f"--- {self.name} ---\n" + self.log.read_text(errors="replace")[-3000:]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def node_environment(store: ObjectStore, folder: Path) -> dict[str, str]:
    folder.mkdir()
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "psp.settings",
        "DEBUG": "0",
        "SECRET_KEY": "multinode-test-only-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS_ONLY": "0",
        "PSP_STATIC_MANIFEST": "0",
        "PSP_REQUIRE_STAFF_2FA": "0",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PSP_STORAGE": "s3",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": store.url,
        "S3_REGION": "eu-west-2",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
        "S3_PATH_STYLE": "1",
        "S3_CONNECT_TIMEOUT": "2",
        "S3_READ_TIMEOUT": "10",
        # Each node's own, empty folders: nothing may be shared through them.
        "MEDIA_ROOT": str(folder / "media"),
        "PSP_VAR_DIR": str(folder / "var"),
        "PYTHONUNBUFFERED": "1",
    }


def start(name: str, command: list[str], env: dict[str, str], log: Path) -> Node:
    stream = log.open("wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Node(name, process, log)


def stop(nodes: list[Node]) -> None:
    """Quick shutdown, all at once: SIGINT (gunicorn) and SIGQUIT (Celery) stop at once."""
    for node in nodes:
        if node.process.poll() is None:
            os.killpg(node.process.pid, signal.SIGQUIT if node.name == "worker" else signal.SIGINT)
    for node in nodes:
        try:
            node.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(node.process.pid, signal.SIGKILL)
            node.process.wait()


def web_node(name: str, store: ObjectStore, folder: Path) -> Node:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "psp.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "4",
        "--timeout",
        "120",
    ]
    node = start(name, command, node_environment(store, folder), folder.parent / f"{name}.log")
    node.url = f"http://127.0.0.1:{port}"
    return node


def worker_node(store: ObjectStore, folder: Path) -> Node:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "psp",
        "worker",
        "--pool=solo",
        "--purge",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
        "--hostname",
        f"multinode-{os.getpid()}@%h",
    ]
    return start("worker", command, node_environment(store, folder), folder.parent / "worker.log")


def wait_until_live(nodes: list[Node]) -> None:
    import requests

    deadline = time.monotonic() + START_TIMEOUT
    for node in nodes:
        while True:
            assert node.process.poll() is None, node.tail()
            try:
                if requests.get(f"{node.url}/healthz/live", timeout=10).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert time.monotonic() < deadline, f"{node.name} did not start\n{node.tail()}"
            time.sleep(0.5)


@pytest.fixture
def store() -> Iterator[ObjectStore]:
    store = ObjectStore()
    store.start()
    store.client().create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    yield store
    store.stop()


@pytest.fixture
def nodes(store, tmp_path) -> Iterator[tuple[Node, Node, Node]]:
    a = web_node("node-a", store, tmp_path / "a")
    b = web_node("node-b", store, tmp_path / "b")
    worker = worker_node(store, tmp_path / "w")
    try:
        wait_until_live([a, b])
        yield a, b, worker
    finally:
        stop([a, b, worker])
        for folder in ("a", "b", "w"):  # no node kept a stored file on its own disk
            media = tmp_path / folder / "media"
            assert not media.exists() or not any(media.rglob("*")), list(media.rglob("*"))


class Browser:
    """One person's session; the cookie works on every node (sessions are in PostgreSQL)."""

    def __init__(self) -> None:
        import requests

        self.http = requests.Session()

    def get(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.http.get(url, allow_redirects=False, timeout=60, **kwargs)

    def post(self, page: str, url: str, data: dict, files=None):  # type: ignore[no-untyped-def]
        form = self.http.get(page, timeout=60)
        assert form.status_code == 200, (page, form.status_code)
        token = CSRF_FIELD.search(form.text)
        assert token, f"no CSRF token on {page}"
        return self.http.post(
            url,
            data={**data, "csrfmiddlewaretoken": token.group(1)},
            files=files,
            allow_redirects=False,
            timeout=120,
        )

    def sign_in(self, node: Node, username: str) -> None:
        login = f"{node.url}{reverse('login')}"
        response = self.post(login, login, {"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.text[-2000:]


def evidence_form(files: list[tuple[str, bytes, str]]) -> tuple[dict, list]:
    data = {
        "title": "Supervision notes, anonymised",
        "activity_date_0": "14",
        "activity_date_1": "5",
        "activity_date_2": "2025",
        "evidence_type": "work_product",
        "reflection": "What I learned about planning a supervision session.",
        "personal_data_removed": "on",
    }
    return data, [("uploads", (name, content, kind)) for name, content, kind in files]


def big_text(megabytes: int) -> bytes:
    line = b"Anonymised supervision notes, line %08d: the session covered risk and goals.\n"
    lines, size, number = [], 0, 0
    while size < megabytes * 1024 * 1024:
        lines.append(line % number)
        size += len(lines[-1])
        number += 1
    return b"".join(lines)


def test_two_web_nodes_and_a_worker_share_nothing_but_the_database_broker_and_store(
    store, nodes, settings
):
    a, b, worker = nodes
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    apprentice = make_apprentice()
    apprentice.user.set_password(PASSWORD)
    apprentice.user.save()
    provider = make_staff(
        role=Role.PROVIDER, organisation=apprentice.training_provider, password=PASSWORD
    )
    ksb = apprentice.standard_version.ksbs.order_by("pk").first()
    notes = big_text(12)  # over 8 MB: goes up to the store in parts
    uploaded = {"notes.txt": notes, "plan.pdf": samples.PDF}

    # The apprentice uploads through A, maps and submits.
    learner = Browser()
    learner.sign_in(a, apprentice.user.username)
    add = f"{a.url}{reverse('apprentices:evidence_create', args=[apprentice.pk])}"
    data, files = evidence_form(
        [("notes.txt", notes, "text/plain"), ("plan.pdf", samples.PDF, "application/pdf")]
    )
    response = learner.post(add, add, data, files)
    assert response.status_code == 302, response.text[-3000:]
    evidence = Evidence.objects.get()
    mapping = f"{a.url}{reverse('apprentices:evidence_map', args=[evidence.pk])}"
    response = learner.post(mapping, mapping, {f"ksb_{ksb.pk}": "on", f"note_{ksb.pk}": ""})
    assert response.status_code == 302, response.text[-3000:]
    detail = f"{a.url}{reverse('apprentices:evidence_detail', args=[evidence.pk])}"
    submit = f"{a.url}{reverse('apprentices:evidence_submit', args=[evidence.pk])}"
    assert learner.post(detail, submit, {}).status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == "submitted"

    # The files are in the object store, under the names recorded, and nowhere else.
    records = {f.original_name: f for f in EvidenceFile.objects.all()}
    assert set(records) == set(uploaded)
    assert store.object_names() == sorted(f.file.name for f in records.values())
    for name, content in uploaded.items():
        assert records[name].sha256 == hashlib.sha256(content).hexdigest()

    # The provider reviews and downloads through B.
    staff = Browser()
    staff.sign_in(b, provider.username)
    review = f"{b.url}{reverse('apprentices:evidence_review', args=[evidence.pk])}"
    assert staff.post(review, review, {"decision": "accept", "comment": ""}).status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == "accepted"
    for name, content in uploaded.items():
        url = reverse("apprentices:evidence_file_download", args=[evidence.pk, records[name].pk])
        download = staff.get(f"{b.url}{url}")
        assert download.status_code == 200, download.text[-2000:]
        assert download.content == content, name
        assert download.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"

    # A report asked for through B is built by the worker and downloaded through A.
    ask = f"{b.url}{reverse('reports:report_request_portfolio', args=[apprentice.pk])}"
    home = f"{b.url}{reverse('apprentices:apprentice_detail', args=[apprentice.pk])}"
    assert staff.post(home, ask, {}).status_code == 302
    report = Report.objects.get()
    deadline = time.monotonic() + 60
    while report.status in ("queued", "running"):
        assert time.monotonic() < deadline, worker.tail()
        time.sleep(0.5)
        report.refresh_from_db()
    assert report.status == "ready", (report.failure_reason, worker.tail())
    pdf = staff.get(f"{a.url}{reverse('reports:report_download', args=[report.pk])}")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    assert hashlib.sha256(pdf.content).hexdigest() == report.sha256
    assert report.file.name in store.object_names()

    # The object store goes away.
    stored_before = store.object_names()
    evidence_before = list(Evidence.objects.values_list("pk", flat=True))
    files_before = EvidenceFile.objects.count()
    down_at = time.monotonic()
    store.stop()
    data, files = evidence_form([("later.pdf", samples.PDF, "application/pdf")])
    refused = learner.post(add, add, data, files)
    assert refused.status_code == 503
    assert str(StorageUnavailable()) in refused.text.replace("&#x27;", "'")
    assert 'value="Supervision notes, anonymised"' in refused.text  # what was typed is kept
    assert list(Evidence.objects.values_list("pk", flat=True)) == evidence_before
    assert EvidenceFile.objects.count() == files_before
    for node in (a, b):
        ready = staff.get(f"{node.url}/healthz/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["storage"]["ok"] is False
        assert staff.get(f"{node.url}/healthz/live").status_code == 200
    url = reverse("apprentices:evidence_file_download", args=[evidence.pk, records["plan.pdf"].pk])
    assert staff.get(f"{b.url}{url}").status_code == 503
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))

    # It comes back: everything works again, and nothing half-written was kept.
    store.start()
    assert store.object_names() == stored_before
    for node in (a, b):
        assert staff.get(f"{node.url}/healthz/ready").status_code == 200
    accepted = learner.post(add, add, data, files)
    assert accepted.status_code == 302, accepted.text[-3000:]
    later = EvidenceFile.objects.get(original_name="later.pdf")
    later_url = reverse("apprentices:evidence_file_download", args=[later.evidence_id, later.pk])
    assert learner.get(f"{b.url}{later_url}").content == samples.PDF
    assert store.object_names() == sorted([*stored_before, later.file.name])
    for name, content in uploaded.items():
        url = reverse("apprentices:evidence_file_download", args=[evidence.pk, records[name].pk])
        assert staff.get(f"{a.url}{url}").content == content
