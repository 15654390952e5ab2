"""The real payloads of the official apprenticeship-standards API (shared/standards/official,
see its SOURCES.md), and a checker that compares what psp imported with them.

The checker is written apart from the importer: it decodes entities and drops tags with the
standard library and compares the words, so a statement the importer changed fails it.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson
from django.conf import settings

from standards.models import KSB, Duty, StandardVersion

OFFICIAL = Path(settings.BASE_DIR).parent / "shared" / "standards" / "official"
WHOLE_DOWNLOAD = OFFICIAL / "apprenticeshipstandards-2026-04-30.json.gz"
LISTS = (
    ("K", "knowledges", "knowledgeId", "mappedKnowledge"),
    ("S", "skills", "skillId", "mappedSkills"),
    ("B", "behaviours", "behaviourId", "mappedBehaviour"),
)
_TAG = re.compile(r"<[^<>]+>")


def payload(name: str) -> dict[str, Any]:
    return json.loads((OFFICIAL / name).read_text(encoding="utf-8"))


def whole_download() -> Iterator[dict[str, Any]]:
    with gzip.open(WHOLE_DOWNLOAD, "rb") as stream:
        yield from ijson.items(stream, "item", use_float=True)


def words(text: str) -> str:
    """Entities decoded (also when escaped twice), tags dropped, whitespace normalised."""
    decoded = html.unescape(html.unescape(text))
    return " ".join(_TAG.sub(" ", decoded).split())


def version_of(item: dict[str, Any]) -> str:
    version = str(item.get("version") or "")
    return f"{version}.0" if version.isdigit() else version


def differences(item: dict[str, Any]) -> list[str]:
    """Every way the version psp holds differs from the payload's statements and duties:
    each KSB's words, each duty's words, and which KSBs each duty is mapped to."""
    name = f"{item['referenceNumber']} v{version_of(item)}"
    held = StandardVersion.objects.get(
        standard__reference=item["referenceNumber"], version=version_of(item)
    )
    found: list[str] = []
    ksbs = {(k.kind, k.number): k for k in KSB.objects.filter(version=held)}
    first_code: dict[str, tuple[str, int]] = {}
    for kind, list_key, id_key, _ in LISTS:
        for number, statement in enumerate(item.get(list_key) or [], start=1):
            ksb = ksbs.pop((kind, number), None)
            if ksb is None:
                found.append(f"{name}: {kind}{number} is missing")
            elif words(ksb.text) != words(statement["detail"]):
                found.append(f"{name}: {kind}{number} reads {ksb.text!r}")
            first_code.setdefault(statement[id_key], (kind, number))
    found += [f"{name}: {kind}{number} is not in the payload" for kind, number in ksbs]
    duties = {d.number: d for d in Duty.objects.filter(version=held).prefetch_related("ksbs")}
    for number, duty_item in enumerate(item.get("duties") or [], start=1):
        duty = duties.pop(number, None)
        if duty is None:
            found.append(f"{name}: duty {number} is missing")
            continue
        if words(duty.text) != words(duty_item["dutyDetail"]):
            found.append(f"{name}: duty {number} reads {duty.text!r}")
        mapped = {
            first_code[guid]
            for kind, _, _, mapped_key in LISTS
            for guid in duty_item.get(mapped_key) or []
            if guid in first_code and first_code[guid][0] == kind
        }
        if {(k.kind, k.number) for k in duty.ksbs.all()} != mapped:
            found.append(f"{name}: duty {number} is mapped differently")
        if duty.guid != uuid.UUID(duty_item.get("dutyId") or duty_item["dutyID"]):
            found.append(f"{name}: duty {number} has another GUID")
    found += [f"{name}: duty {number} is not in the payload" for number in duties]
    return found
