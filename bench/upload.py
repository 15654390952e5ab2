"""Memory and time of a 100 MB evidence upload through a real HTTP request to gunicorn.

One sync worker serves it, so its pid is known. The client streams the multipart body
from a file on disk, and the worker's resident memory is read from /proc before, during
and after: its peak (VmHWM, reset first through clear_refs) minus its size before the
upload is the growth. The evidence the upload creates is removed afterwards, so repeated
runs measure the same database.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import config

config.setup_django()

from django.core.files.storage import default_storage  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from apprentices.models import Evidence, EvidenceEvent, EvidenceFile, EvidenceKSB  # noqa: E402
from bench.client import Cookies, csrf_token, request, sign_in  # noqa: E402
from bench.server import gunicorn, server_times, worker_pids  # noqa: E402

UPLOAD_BYTES = 100 * 1024 * 1024  # the default EVIDENCE_MAX_UPLOAD_MB
UPLOAD_PATH = config.BENCH_DIR / "upload-100mb.txt"
GROWTH_LIMIT_MB = 10.0
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class UploadResult:
    size_bytes: int
    rss_before_mb: float
    peak_mb: float
    rss_after_mb: float
    growth_mb: float
    peak_source: str  # how the peak was read
    wall_seconds: float
    server_seconds: float
    stored_sha256_matches: bool
    ok: bool

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "limit_mb": GROWTH_LIMIT_MB}


def upload_file() -> tuple[Path, str]:
    """A plain-text file of exactly UPLOAD_BYTES (made once), and its SHA-256."""
    if not UPLOAD_PATH.exists() or UPLOAD_PATH.stat().st_size != UPLOAD_BYTES:
        line = b"Anonymised supervision notes, line %08d: the session covered risk and goals.\n"
        with UPLOAD_PATH.open("wb") as stream:
            written, number = 0, 0
            while written < UPLOAD_BYTES:
                block = b"".join(line % (number + i) for i in range(10_000))
                block = block[: UPLOAD_BYTES - written]
                stream.write(block)
                written += len(block)
                number += 10_000
    digest = hashlib.sha256()
    with UPLOAD_PATH.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return UPLOAD_PATH, digest.hexdigest()


def _multipart(
    fields: dict[str, str], filename: str, path: Path
) -> tuple[str, int, Iterator[bytes]]:
    """Content type, length and a streamed body for the form with one file from disk."""
    boundary = f"bench{uuid.uuid4().hex}"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="uploads"; '
        f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
        yield tail

    length = len(head) + path.stat().st_size + len(tail)
    return f"multipart/form-data; boundary={boundary}", length, body()


def _post_evidence(port: int, cookies: Cookies, form_path: str, path: Path) -> tuple[int, float]:
    """Upload the file as a new evidence item; returns the item's id and the wall time."""
    form = request(port, "GET", form_path, cookies=cookies)
    day = timezone.localdate() - datetime.timedelta(days=1)
    fields = {
        "csrfmiddlewaretoken": csrf_token(form.body),
        "title": "Supervision notes (bench upload)",
        "activity_date_0": str(day.day),
        "activity_date_1": str(day.month),
        "activity_date_2": str(day.year),
        "evidence_type": "reflective_account",
        "reflection": "What I learned from supervision about planning my caseload.",
        "personal_data_removed": "on",
    }
    content_type, length, body = _multipart(fields, path.name, path)
    response = request(
        port,
        "POST",
        form_path,
        cookies=cookies,
        body=body,
        headers={"Content-Type": content_type, "Content-Length": str(length)},
        label=f"upload:{path.name}",
        timeout=300,
    )
    created = re.search(r"/evidence/(\d+)/", response.headers.get("Location", ""))
    if response.status != 302 or not created:
        errors = re.findall(rb'<a href="#[^"]*">([^<]+)</a>', response.body)
        raise RuntimeError(f"Upload refused (HTTP {response.status}): {errors}")
    return int(created.group(1)), response.seconds


def _memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"No {field} for process {pid}")


def _reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current size (Linux clear_refs, value 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _sample_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(0.02):
        try:
            peak[0] = max(peak[0], _memory_kb(pid, "VmRSS"))
        except (OSError, RuntimeError):
            return


def measure_upload(apprentice_pk: int, password: str) -> UploadResult:
    path, sha256 = upload_file()
    warm_up = config.BENCH_DIR / "warm-up.txt"
    warm_up.write_text("Anonymised notes for the warm-up upload.\n" * 100)
    form_path = f"/apprentices/{apprentice_pk}/evidence/add/"
    created = []
    try:
        with gunicorn(workers=1, name="upload", timeout=300) as server:
            cookies = sign_in(server.port, "apprentice", password)
            (worker,) = worker_pids(server)
            # The same code path once with a small file, so imports and first-use caches
            # are in place before the measured upload.
            created.append(_post_evidence(server.port, cookies, form_path, warm_up)[0])
            rss_before = _memory_kb(worker, "VmRSS")
            peak_reset = _reset_peak(worker)
            sampled = [rss_before]
            stop = threading.Event()
            sampler = threading.Thread(target=_sample_rss, args=(worker, stop, sampled))
            sampler.start()
            try:
                evidence_id, wall = _post_evidence(server.port, cookies, form_path, path)
                created.append(evidence_id)
            finally:
                stop.set()
                sampler.join()
            time.sleep(0.1)
            hwm = _memory_kb(worker, "VmHWM")
            rss_after = _memory_kb(worker, "VmRSS")
            server_ms = server_times(server).get(f"upload:{path.name}", [0.0])
        stored = EvidenceFile.objects.get(evidence_id=evidence_id)
        matches = stored.sha256 == sha256 and stored.size == UPLOAD_BYTES
    finally:
        _remove_evidence(created)
    peak = max(hwm, sampled[0]) if peak_reset else sampled[0]
    growth_mb = (peak - rss_before) / 1024
    return UploadResult(
        size_bytes=UPLOAD_BYTES,
        rss_before_mb=round(rss_before / 1024, 1),
        peak_mb=round(peak / 1024, 1),
        rss_after_mb=round(rss_after / 1024, 1),
        growth_mb=round(growth_mb, 1),
        peak_source="VmHWM after clear_refs" if peak_reset else "VmRSS sampled every 20 ms",
        wall_seconds=round(wall, 2),
        server_seconds=round(server_ms[-1] / 1000, 2),
        stored_sha256_matches=matches,
        ok=matches and growth_mb <= GROWTH_LIMIT_MB,
    )


def _remove_evidence(ids: list[int]) -> None:
    """Take the benchmark's own uploads out of the bench database and storage again."""
    if not ids:
        return
    names = list(EvidenceFile.objects.filter(evidence_id__in=ids).values_list("file", flat=True))
    with transaction.atomic():
        EvidenceEvent.objects.filter(evidence_id__in=ids).delete()
        EvidenceFile.objects.filter(evidence_id__in=ids).delete()
        EvidenceKSB.objects.filter(evidence_id__in=ids).delete()
        Evidence.objects.filter(pk__in=ids).delete()
    for name in names:
        default_storage.delete(name)
