"""The KSB crosswalk between two versions of a standard: which KSB of the new version each
KSB of the old one became (or none).

psp proposes it: first from matching official GUIDs, then from similar text (difflib ratio
over words of at least 0.6, the best match first, each new KSB used once). An administrator confirms
or corrects it, and what they confirmed (KsbCrosswalk rows) overrides the proposal.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.db import transaction
from django.utils import timezone

from standards.models import KSB, KsbCrosswalk, StandardVersion

if TYPE_CHECKING:
    from psp.models import User

SIMILARITY_THRESHOLD = 0.6


class Statement(Protocol):
    """A KSB, stored (standards.models.KSB) or read from a file being imported."""

    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def guid(self) -> uuid.UUID | None: ...

    @property
    def code(self) -> str: ...


Old = TypeVar("Old", bound=Statement)
New = TypeVar("New", bound=Statement)


@dataclass(frozen=True)
class Match:
    old: Any
    new: Any | None
    method: str | None  # KsbCrosswalk.Method.GUID or TEXT; None when nothing matched
    similarity: float


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def similarity(a: str, b: str) -> float:
    """difflib's ratio over the words of two statements (case and punctuation ignored)."""
    matcher = difflib.SequenceMatcher(None, _words(a), _words(b), autojunk=False)
    if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD:
        return 0.0
    if matcher.quick_ratio() < SIMILARITY_THRESHOLD:
        return 0.0
    return matcher.ratio()


def match_statements(old: Sequence[Old], new: Sequence[New]) -> list[Match]:
    """Pair each old statement with at most one new one, in the old statements' order."""
    matched: dict[int, Match] = {}
    used: set[int] = set()
    by_guid = {item.guid: index for index, item in enumerate(new) if item.guid}
    for index, item in enumerate(old):
        target = by_guid.get(item.guid) if item.guid else None
        if target is not None and target not in used:
            matched[index] = Match(item, new[target], KsbCrosswalk.Method.GUID, 1.0)
            used.add(target)
    candidates = sorted(
        (
            (-score, old_index, new_index)
            for old_index, old_item in enumerate(old)
            if old_index not in matched
            for new_index, new_item in enumerate(new)
            if new_index not in used and new_item.kind == old_item.kind
            if (score := similarity(old_item.text, new_item.text)) >= SIMILARITY_THRESHOLD
        )
    )
    for negative_score, old_index, new_index in candidates:
        if old_index in matched or new_index in used:
            continue
        matched[old_index] = Match(
            old[old_index], new[new_index], KsbCrosswalk.Method.TEXT, -negative_score
        )
        used.add(new_index)
    return [matched.get(index, Match(item, None, None, 0.0)) for index, item in enumerate(old)]


@dataclass(frozen=True)
class Proposal:
    old: KSB
    new: KSB | None
    method: str | None
    similarity: float

    @property
    def explanation(self) -> str:
        if self.new is None:
            return "No equivalent found"
        if self.method == KsbCrosswalk.Method.GUID:
            return f"{self.new.code}: same official GUID"
        return f"{self.new.code}: {round(self.similarity * 100)}% similar text"


def propose_crosswalk(old: StandardVersion, new: StandardVersion) -> list[Proposal]:
    old_ksbs = list(old.ksbs.in_standard_order())
    new_ksbs = list(new.ksbs.in_standard_order())
    return [
        Proposal(match.old, match.new, match.method, match.similarity)
        for match in match_statements(old_ksbs, new_ksbs)
    ]


def confirmed_crosswalk(old: StandardVersion, new: StandardVersion) -> dict[KSB, KsbCrosswalk]:
    rows = KsbCrosswalk.objects.filter(from_ksb__version=old, to_version=new).select_related(
        "from_ksb", "to_ksb", "confirmed_by"
    )
    return {row.from_ksb: row for row in rows}


def crosswalk_for(old: StandardVersion, new: StandardVersion) -> dict[KSB, KSB | None]:
    """Each KSB of `old`, in standard order, with its equivalent in `new` (None: none).
    Confirmed rows override the proposal."""
    confirmed = confirmed_crosswalk(old, new)
    return {
        proposal.old: (
            confirmed[proposal.old].to_ksb if proposal.old in confirmed else proposal.new
        )
        for proposal in propose_crosswalk(old, new)
    }


def has_confirmed_crosswalk(old: StandardVersion, new: StandardVersion) -> bool:
    return KsbCrosswalk.objects.filter(from_ksb__version=old, to_version=new).exists()


@transaction.atomic
def confirm_crosswalk(
    old: StandardVersion,
    new: StandardVersion,
    *,
    choices: Mapping[KSB, KSB | None],
    by: User,
) -> list[KsbCrosswalk]:
    """Record an administrator's crosswalk from `old` to `new`: one row for each KSB of
    `old` in `choices`, replacing any confirmed before."""
    if old.standard_id != new.standard_id or old.pk == new.pk:
        raise ValueError("A crosswalk joins two different versions of one standard.")
    proposals = {proposal.old: proposal for proposal in propose_crosswalk(old, new)}
    now = timezone.now()
    rows = []
    for from_ksb, to_ksb in choices.items():
        if from_ksb.version_id != old.pk or (to_ksb is not None and to_ksb.version_id != new.pk):
            raise ValueError(f"{from_ksb.code} → {to_ksb} does not join {old} to {new}.")
        proposal = proposals.get(from_ksb)
        method = (
            proposal.method
            if proposal and proposal.new == to_ksb and proposal.method
            else KsbCrosswalk.Method.MANUAL
        )
        rows.append(
            KsbCrosswalk(
                from_ksb=from_ksb,
                to_version=new,
                to_ksb=to_ksb,
                method=method,
                confirmed_by=by,
                confirmed_at=now,
            )
        )
    KsbCrosswalk.objects.filter(from_ksb__version=old, to_version=new).delete()
    return KsbCrosswalk.objects.bulk_create(rows)
