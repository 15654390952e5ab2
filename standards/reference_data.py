"""Loading the reference data shipped in fixtures/ (the published ST0494 versions).

Loading never overwrites: a version already in the database is left as it is, so that
what an admin imported or corrected later survives every restart and redeploy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.db import transaction

from standards.models import StandardVersion


def reference_fixture_paths() -> list[Path]:
    return sorted((Path(settings.BASE_DIR) / "fixtures" / "standards").glob("*.json"))


@dataclass(frozen=True)
class LoadResult:
    path: Path
    version_key: tuple[str, str]
    loaded: bool


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


@transaction.atomic
def load_reference_fixture(path: Path) -> LoadResult:
    reference, version = fixture_version_key(path)
    exists = StandardVersion.objects.filter(standard__reference=reference, version=version).exists()
    if exists:
        return LoadResult(path, (reference, version), loaded=False)
    with path.open(encoding="utf-8") as stream:
        for obj in serializers.deserialize("json", stream, handle_forward_references=True):
            obj.save()
    return LoadResult(path, (reference, version), loaded=True)


def load_reference_data() -> list[LoadResult]:
    return [load_reference_fixture(path) for path in reference_fixture_paths()]
