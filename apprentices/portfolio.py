"""Workflows over an apprentice's portfolio: evidence with its files, KSB mapping and history.

Every change writes an EvidenceEvent, so the history shows who changed what and when.
Files are checked before anything is written, and a failure leaves nothing half-saved.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from apprentices.models import (
    Apprentice,
    Evidence,
    EvidenceEvent,
    EvidenceFile,
    EvidenceKSB,
    EvidenceStateError,
)
from apprentices.uploads import CheckedUpload
from psp.storage import StorageUnavailable, delete_quietly, storage_errors
from standards.models import KSB

if TYPE_CHECKING:
    from psp.models import User

EDITABLE_FIELDS = (
    "title",
    "activity_date",
    "evidence_type",
    "reflection",
    "personal_data_removed",
    "identifiers_confirmed",
)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


def _store_files(evidence: Evidence, files: Sequence[CheckedUpload], *, by: User) -> list[str]:
    stored: list[str] = []
    try:
        for checked in files:
            record = EvidenceFile(
                evidence=evidence,
                original_name=checked.name,
                content_type=checked.file_type.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=by,
            )
            try:
                record.file.save(checked.sha256, checked.upload, save=False)
            except storage_errors() as error:
                raise StorageUnavailable() from error
            stored.append(str(record.file.name))
            record.save()
            EvidenceEvent.objects.create(
                evidence=evidence,
                actor=by,
                action=EvidenceEvent.Action.FILE_ADDED,
                changes={"file": [None, f"{checked.name} ({checked.sha256})"]},
            )
    except BaseException:
        _delete_stored(stored)
        raise
    return stored


def _delete_stored(names: Iterable[str]) -> None:
    delete_quietly(list(names))


def create_evidence(
    apprentice: Apprentice,
    *,
    by: User,
    files: Sequence[CheckedUpload],
    **fields: Any,
) -> Evidence:
    """A new draft evidence item with its files. Nothing is kept if any part fails;
    StorageUnavailable if the file store cannot be reached."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(apprentice=apprentice, **fields)
            EvidenceEvent.objects.create(
                evidence=evidence,
                actor=by,
                action=EvidenceEvent.Action.CREATED,
                changes={name: [None, _json_value(fields.get(name))] for name in fields},
            )
            stored = _store_files(evidence, files, by=by)
    except BaseException:
        _delete_stored(stored)
        raise
    return evidence


def update_evidence(
    evidence: Evidence,
    *,
    by: User,
    files: Sequence[CheckedUpload] = (),
    **fields: Any,
) -> None:
    """Edit a draft or returned item and add files; the history records before and after."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            current = Evidence.objects.select_for_update().get(pk=evidence.pk)
            if not current.is_editable:
                raise EvidenceStateError(
                    f"This evidence is {current.status_label.lower()} and can no longer be edited"
                )
            changes = {
                name: [_json_value(getattr(current, name)), _json_value(value)]
                for name, value in fields.items()
                if getattr(current, name) != value
            }
            for name, value in fields.items():
                setattr(evidence, name, value)
            evidence.save()
            if changes:
                EvidenceEvent.objects.create(
                    evidence=evidence, actor=by, action=EvidenceEvent.Action.EDITED, changes=changes
                )
            stored = _store_files(evidence, files, by=by)
    except BaseException:
        _delete_stored(stored)
        raise


@transaction.atomic
def remove_file(evidence_file: EvidenceFile, *, by: User) -> None:
    """Take a file out of an editable item. The stored file and its record are kept."""
    evidence = Evidence.objects.select_for_update().get(pk=evidence_file.evidence_id)
    if not evidence.is_editable:
        raise EvidenceStateError("Files can only be removed while the evidence is being edited")
    if evidence_file.removed_at is not None:
        return
    evidence_file.removed_at = timezone.now()
    evidence_file.removed_by = by
    evidence_file.save(update_fields=["removed_at", "removed_by"])
    EvidenceEvent.objects.create(
        evidence=evidence,
        actor=by,
        action=EvidenceEvent.Action.FILE_REMOVED,
        changes={"file": [f"{evidence_file.original_name} ({evidence_file.sha256})", None]},
    )


@transaction.atomic
def review(
    evidence: Evidence, *, by: User, decision: str, comment: str, personal_data: bool
) -> None:
    """A reviewer's decision on `evidence`: accept it (`decision` "accept") or ask for changes,
    saying whether it must lose personal data."""
    if decision == "accept":
        evidence.accept(by=by, comment=comment)
    else:
        evidence.request_changes(by=by, comment=comment, personal_data=personal_data)


@transaction.atomic
def set_mappings(evidence: Evidence, mappings: dict[KSB, str], *, by: User) -> None:
    """Replace the item's KSB mapping (KSB → note). KSBs must be of the apprentice's version."""
    current = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if not current.is_editable:
        raise EvidenceStateError(
            f"This evidence is {current.status_label.lower()}, so its KSB mapping cannot change"
        )
    version_id = evidence.apprentice.standard_version_id
    foreign = [ksb.code for ksb in mappings if ksb.version_id != version_id]
    if foreign:
        raise EvidenceStateError(
            f"{', '.join(foreign)} are not KSBs of the apprentice's standard version"
        )
    before = {m.ksb.code: m.note for m in evidence.mappings.select_related("ksb")}
    after = {ksb.code: note for ksb, note in mappings.items()}
    if before == after:
        return
    evidence.mappings.all().delete()
    EvidenceKSB.objects.bulk_create(
        EvidenceKSB(evidence=evidence, ksb=ksb, note=note) for ksb, note in mappings.items()
    )
    EvidenceEvent.objects.create(
        evidence=evidence,
        actor=by,
        action=EvidenceEvent.Action.MAPPING_CHANGED,
        changes={"ksbs": [before, after]},
    )
