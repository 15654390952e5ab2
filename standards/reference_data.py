"""Loading the reference data shipped in fixtures/ (the published ST0494 versions).

Loading never overwrites: a version already in the database keeps what it holds, so that
what an admin imported or corrected later survives every restart and redeploy. What a
version in the database does not hold yet is filled in from the fixture: its duties and
KSBs when it has none ("not yet imported", as v1.1 was before its official record was
found), an empty field, and the official GUID of a KSB or duty whose words are the same.
Loading again then finds nothing to fill and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import serializers
from django.db import transaction

from standards.importing import field_label
from standards.models import KSB, Duty, StandardVersion

# Fields of a held version that loading fills in when they are empty.
FILLABLE_FIELDS = (
    "english_and_maths",
    "occupation_summary",
    "employers_involved",
    "off_the_job_minimum_hours",
    "epa_length_months",
    "keywords",
)


def reference_fixture_paths() -> list[Path]:
    return sorted((Path(settings.BASE_DIR) / "fixtures" / "standards").glob("*.json"))


@dataclass(frozen=True)
class LoadResult:
    path: Path
    version_key: tuple[str, str]
    loaded: bool
    filled: list[str] = field(default_factory=list)


def fixture_version_key(path: Path) -> tuple[str, str]:
    """The (reference, version) that a reference fixture file holds."""
    records = json.loads(path.read_text(encoding="utf-8"))
    keys = {
        (*r["fields"]["standard"], r["fields"]["version"])
        for r in records
        if r["model"] == "standards.standardversion"
    }
    if len(keys) != 1:
        raise ValueError(f"{path.name} must hold exactly one standard version, found {len(keys)}")
    reference, version = keys.pop()
    return reference, version


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _fill(held: StandardVersion, objects: Iterator[Any]) -> list[str]:
    """Fill what `held` lacks from the fixture's objects; say what was filled.

    The objects are deserialized one at a time, in the file's order, so a duty's KSBs are
    in the database by the time its mapping is read."""
    filled: list[str] = []
    add_ksbs = not held.ksbs_imported and not held.ksbs.exists()
    add_duties = not held.duties_imported and not held.duties.exists()
    added = {KSB: 0, Duty: 0}
    guids = {KSB: 0, Duty: 0}
    held_rows: dict[type, dict[Any, Any]] = {
        KSB: {row.natural_key(): row for row in KSB.objects.filter(version=held)},
        Duty: {row.natural_key(): row for row in Duty.objects.filter(version=held)},
    }
    provenance = held.provenance
    for obj in objects:
        model, row = type(obj.object), obj.object
        if model is StandardVersion:
            provenance = row.provenance
            for name in FILLABLE_FIELDS:
                value = getattr(row, name)
                if _is_empty(getattr(held, name)) and not _is_empty(value):
                    setattr(held, name, value)
                    filled.append(field_label(name).lower())
        elif model in added and (add_ksbs if model is KSB else add_duties):
            row.pk, row.version = None, held
            obj.save()  # a duty's KSB mapping too, resolved by natural key
            added[model] += 1
        elif model in added:
            mine = held_rows[model].get(row.natural_key())
            if mine is not None and mine.guid is None and row.guid and mine.text == row.text:
                model._default_manager.filter(pk=mine.pk).update(guid=row.guid)
                guids[model] += 1
    for model, what in ((KSB, "KSBs"), (Duty, "duties")):
        if added[model]:
            filled.append(f"{added[model]} {what}")
        if guids[model]:
            filled.append(f"official GUIDs of {guids[model]} {what}")
    held.ksbs_imported = held.ksbs_imported or bool(added[KSB])
    held.duties_imported = held.duties_imported or bool(added[Duty])
    if added[KSB] or added[Duty]:
        held.provenance = provenance  # the held one says they are not yet imported
    if filled:
        held.save()
    return filled


@transaction.atomic
def load_reference_fixture(path: Path) -> LoadResult:
    reference, version = fixture_version_key(path)
    held = (
        StandardVersion.objects.select_related("standard")
        .filter(standard__reference=reference, version=version)
        .first()
    )
    with path.open(encoding="utf-8") as stream:
        objects = serializers.deserialize("json", stream, handle_forward_references=True)
        if held is not None:
            filled = _fill(held, objects)
            return LoadResult(path, (reference, version), loaded=False, filled=filled)
        for obj in objects:
            obj.save()
    return LoadResult(path, (reference, version), loaded=True)


def load_reference_data() -> list[LoadResult]:
    return [load_reference_fixture(path) for path in reference_fixture_paths()]
