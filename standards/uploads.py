"""Files an administrator uploads to import: validated and kept (StandardImport) for the
preview, then applied exactly as previewed when they confirm, or discarded."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from typing import IO, TYPE_CHECKING, Any, cast

from django.core.files import File
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from standards.importing import (
    BulkResult,
    ImportResult,
    check_standard,
    import_all,
    import_standard,
    parse_official,
    read_json_object,
    read_official,
)
from standards.models import BulkImport, StandardImport
from standards.plan_importing import check_epa_plan, import_epa_plan, parse_epa_plan
from standards.validation import InvalidImport, Problem

if TYPE_CHECKING:
    from psp.models import User

# Sent inside the transaction that keeps an uploaded list, with bulk_import: the row.
bulk_import_started = Signal()


def payload_sha256(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stage_import(
    stream: IO[bytes],
    *,
    kind: str,
    filename: str,
    by: User,
    reference: str | None = None,
    version: str | None = None,
) -> tuple[StandardImport, str]:
    """Validate an uploaded file and keep what it would import for the preview; nothing
    else is written. Returns the upload and a note on how a version was picked from it."""
    note = ""
    if kind == StandardImport.Kind.STANDARD:
        selection = read_official(stream, reference=reference, version=version)
        payload, note = selection.payload, selection.note
        data = parse_official(payload)
        check_standard(data)
        key = (data.reference, data.version)
    else:
        payload = read_json_object(stream)
        plan = parse_epa_plan(payload, reference=reference, version=version)
        check_epa_plan(plan)
        key = (plan["reference"], plan["version"])
    staged = StandardImport.objects.create(
        kind=kind,
        filename=filename[-255:],
        reference=key[0],
        version=key[1],
        payload=payload,
        sha256=payload_sha256(payload),
        uploaded_by=by,
    )
    return staged, note


def apply_payload(
    kind: str, payload: Any, *, dry_run: bool = False, source: str = "", by: User | None = None
) -> ImportResult:
    if kind == StandardImport.Kind.STANDARD:
        return import_standard(parse_official(payload), dry_run=dry_run, source=source, by=by)
    return import_epa_plan(parse_epa_plan(payload), dry_run=dry_run)


@transaction.atomic
def apply_import(standard_import: StandardImport, *, by: User) -> ImportResult:
    """Import exactly the payload that was previewed, and record who did it and what
    changed. Checked again first: psp may have changed since the preview."""
    staged = StandardImport.objects.select_for_update().get(pk=standard_import.pk)
    if not staged.is_pending:
        raise InvalidImport(
            [Problem("$", f"this upload was already {staged.get_status_display().lower()}")]
        )
    if payload_sha256(staged.payload) != staged.sha256:
        raise InvalidImport([Problem("$", "the stored upload has changed since it was checked")])
    source = f"upload {staged.filename} (import {staged.pk})"
    result = apply_payload(staged.kind, staged.payload, source=source, by=by)
    staged.status = StandardImport.Status.APPLIED
    staged.decided_by = by
    staged.decided_at = timezone.now()
    staged.result = result.summary
    staged.save(update_fields=["status", "decided_by", "decided_at", "result"])
    return result


def discard_import(standard_import: StandardImport, *, by: User) -> None:
    updated = (
        StandardImport.objects.pending()
        .filter(pk=standard_import.pk)
        .update(
            status=StandardImport.Status.DISCARDED,
            decided_by=by,
            decided_at=timezone.now(),
            result="Discarded without importing.",
        )
    )
    if not updated:
        raise InvalidImport([Problem("$", "this upload is no longer waiting for confirmation")])


# --- the API's whole list: imported in the worker, version by version ----------------------

logger = logging.getLogger(__name__)
GZIP_MAGIC = b"\x1f\x8b"


def open_upload(upload: IO[bytes]) -> IO[bytes]:
    """The uploaded file to read: uncompressed on the fly when it is gzip (the API's whole
    download comes as .json.gz)."""
    is_gzip = upload.read(2) == GZIP_MAGIC
    upload.seek(0)
    return cast(IO[bytes], gzip.GzipFile(fileobj=upload, mode="rb")) if is_gzip else upload


def holds_a_list(stream: IO[bytes]) -> bool:
    """Whether the file's JSON is a list (the API's whole download), not one object.
    Reads its first bytes and rewinds; an unreadable file is left to the importer's errors."""
    try:
        head = stream.read(4096)
    except (OSError, EOFError):  # gzip that is not: the importer says what is wrong
        head = b""
    stream.seek(0)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["


@transaction.atomic
def start_bulk_import(upload: IO[bytes], *, filename: str, by: User) -> BulkImport:
    """Keep the uploaded list and have the worker import every version in it (as
    `import_standard FILE --all` does). Nothing is imported here."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    bulk = BulkImport.objects.create(
        filename=filename[-255:], sha256=digest.hexdigest(), uploaded_by=by
    )
    bulk.file.save(f"{bulk.pk}-{digest.hexdigest()[:12]}", File(upload), save=True)
    # Queued after the commit by psp.outbox, which sits above this app (psp.tasks).
    bulk_import_started.send(sender=BulkImport, bulk_import=bulk)
    return bulk


def run_bulk_import(bulk_id: int) -> None:
    """Import every version of a kept list, each on its own (a refused version writes
    nothing and does not stop the others), saving the counts so far every hundred
    versions for the status page. The file is deleted when the import ends, however."""
    if not BulkImport.objects.filter(pk=bulk_id, status=BulkImport.Status.QUEUED).update(
        status=BulkImport.Status.RUNNING
    ):
        return  # already taken by another worker, or finished
    bulk = BulkImport.objects.get(pk=bulk_id)
    result = BulkResult()

    def save_progress(count: int) -> None:
        BulkImport.objects.filter(pk=bulk_id).update(
            read=count,
            imported=len(result.imported),
            unchanged=len(result.unchanged),
            revised=len(result.revised),
            warnings=result.warnings,
            refusals=[list(pair) for pair in result.refused],
        )

    status, error = BulkImport.Status.DONE, ""
    try:
        with bulk.file.open("rb") as raw:
            import_all(
                open_upload(raw),
                progress=save_progress,
                source=f"upload {bulk.filename} (bulk import {bulk.pk})",
                result=result,
            )
    except InvalidImport as refused:
        status, error = BulkImport.Status.FAILED, "; ".join(str(p) for p in refused.problems)
    except Exception:
        logger.exception("bulk import %s stopped", bulk_id)
        status = BulkImport.Status.FAILED
        error = (
            "The import stopped before the end of the file. The versions counted here are "
            "imported (each on its own); upload the file again to import the rest: what is "
            "already imported comes out unchanged"
        )
    save_progress(result.total)
    bulk.file.delete(save=False)
    BulkImport.objects.filter(pk=bulk_id).update(
        status=status, error=error, file="", finished_at=timezone.now()
    )
