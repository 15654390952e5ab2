"""Files an administrator uploads to import: validated and kept (StandardImport) for the
preview, then applied exactly as previewed when they confirm, or discarded."""

from __future__ import annotations

import hashlib
import json
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from standards.importing import (
    ImportResult,
    check_standard,
    import_standard,
    parse_official,
    read_json_object,
    read_official,
)
from standards.models import StandardImport
from standards.plan_importing import check_epa_plan, import_epa_plan, parse_epa_plan
from standards.validation import InvalidImport, Problem


def payload_sha256(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stage_import(
    stream: IO[bytes],
    *,
    kind: str,
    filename: str,
    by: Any,
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
    kind: str, payload: Any, *, dry_run: bool = False, source: str = "", by: Any = None
) -> ImportResult:
    if kind == StandardImport.Kind.STANDARD:
        return import_standard(parse_official(payload), dry_run=dry_run, source=source, by=by)
    return import_epa_plan(parse_epa_plan(payload), dry_run=dry_run)


@transaction.atomic
def apply_import(standard_import: StandardImport, *, by: Any) -> ImportResult:
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


def discard_import(standard_import: StandardImport, *, by: Any) -> None:
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
