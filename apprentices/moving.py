"""Moving an apprentice to another version of their standard, carrying evidence mappings
across the KSB crosswalk. What has no equivalent is left unmapped and flagged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from apprentices.models import (
    Apprentice,
    EmployerMove,
    Evidence,
    EvidenceEvent,
    EvidenceKSB,
    EvidenceStateError,
    VersionMove,
    option_problem,
)
from standards.crosswalk import crosswalk_for
from standards.models import KSB, Option, StandardVersion

if TYPE_CHECKING:
    from psp.models import Organisation, User


@dataclass
class EvidenceMove:
    evidence: Evidence
    carried: list[tuple[KSB, KSB]] = field(default_factory=list)
    unmapped: list[KSB] = field(default_factory=list)


@dataclass(frozen=True)
class MovePlan:
    apprentice: Apprentice
    to_version: StandardVersion
    evidence: list[EvidenceMove]
    problems: list[str]

    @property
    def unmapped_count(self) -> int:
        return sum(len(move.unmapped) for move in self.evidence)


def move_problems(apprentice: Apprentice, to_version: StandardVersion) -> list[str]:
    current = apprentice.standard_version
    problems = []
    if to_version.standard_id != current.standard_id:
        problems.append("An apprentice can only move to another version of the same standard")
    if to_version.pk == current.pk:
        problems.append(f"The apprentice is already on version {current.version}")
    if not to_version.ksbs_imported:
        problems.append(
            f"The KSBs of version {to_version.version} are not yet imported, so mappings cannot "
            "be carried across. An administrator must import them first"
        )
    if apprentice.gateway_attempts.filter(status__in=["submitted", "accepted"]).exists():
        problems.append("The gateway pack is frozen, so the apprentice can no longer move version")
    return problems


def plan_move(apprentice: Apprentice, to_version: StandardVersion) -> MovePlan:
    """What would happen to each mapped piece of evidence."""
    problems = move_problems(apprentice, to_version)
    if problems:
        return MovePlan(apprentice, to_version, [], problems)
    crosswalk = crosswalk_for(apprentice.standard_version, to_version)
    moves: dict[int, EvidenceMove] = {}
    mappings = (
        EvidenceKSB.objects.filter(evidence__apprentice=apprentice)
        .exclude(evidence__status="withdrawn")
        .select_related("evidence", "ksb")
        .order_by("evidence__activity_date", "evidence_id", "ksb__kind", "ksb__number")
    )
    for mapping in mappings:
        move = moves.setdefault(mapping.evidence_id, EvidenceMove(mapping.evidence))
        target = crosswalk.get(mapping.ksb)
        if target is None:
            move.unmapped.append(mapping.ksb)
        else:
            move.carried.append((mapping.ksb, target))
    return MovePlan(apprentice, to_version, list(moves.values()), [])


@transaction.atomic
def move_apprentice(
    apprentice: Apprentice,
    to_version: StandardVersion,
    *,
    by: User,
    reason: str,
    option: Option | None = None,
) -> VersionMove:
    """Move to `to_version`; on a core-and-options version `option` is the apprentice's
    option there (required), on any other it must be None (the old option is cleared)."""
    Apprentice.objects.select_for_update().get(pk=apprentice.pk)
    if not reason.strip():
        raise EvidenceStateError("Say why the apprentice is moving version")
    plan = plan_move(apprentice, to_version)
    if plan.problems:
        raise EvidenceStateError("; ".join(plan.problems))
    if problem := option_problem(to_version, option):
        raise EvidenceStateError(problem)
    from_version = apprentice.standard_version
    from_option_id = apprentice.option_id
    old = EvidenceKSB.objects.filter(evidence__apprentice=apprentice).select_related("ksb")
    old_mappings: dict[str, dict[str, str]] = {}
    notes: dict[tuple[int, int], str] = {}
    for mapping in old:
        old_mappings.setdefault(str(mapping.evidence_id), {})[mapping.ksb.code] = mapping.note
        notes[(mapping.evidence_id, mapping.ksb_id)] = mapping.note
    carried: dict[str, dict[str, str]] = {}
    unmapped: dict[str, list[str]] = {}
    for move in plan.evidence:
        evidence = move.evidence
        new_mappings: dict[int, str] = {}
        new_codes: dict[int, str] = {}
        for old_ksb, new_ksb in move.carried:
            new_codes[new_ksb.pk] = new_ksb.code
            note = notes.get((evidence.pk, old_ksb.pk), "")
            merged = "; ".join(n for n in (new_mappings.get(new_ksb.pk, ""), note) if n)
            new_mappings[new_ksb.pk] = merged
            carried.setdefault(str(evidence.pk), {})[old_ksb.code] = new_ksb.code
        if move.unmapped:
            unmapped[str(evidence.pk)] = [ksb.code for ksb in move.unmapped]
        evidence.mappings.all().delete()
        EvidenceKSB.objects.bulk_create(
            EvidenceKSB(evidence=evidence, ksb_id=ksb_id, note=note)
            for ksb_id, note in new_mappings.items()
        )
        lost = (
            f" Not carried over (no equivalent): {', '.join(k.code for k in move.unmapped)}."
            if move.unmapped
            else ""
        )
        EvidenceEvent.objects.create(
            evidence=evidence,
            actor=by,
            action=EvidenceEvent.Action.MAPPING_CHANGED,
            comment=(
                f"Apprentice moved from version {from_version.version} "
                f"to {to_version.version}.{lost}"
            ),
            changes={
                "ksbs": [
                    old_mappings.get(str(evidence.pk), {}),
                    {new_codes[pk]: note for pk, note in new_mappings.items()},
                ]
            },
        )
    record = VersionMove.objects.create(
        apprentice=apprentice,
        from_version=from_version,
        to_version=to_version,
        from_option_id=from_option_id,
        to_option=option,
        by=by,
        reason=reason,
        old_mappings=old_mappings,
        carried=carried,
        unmapped=unmapped,
    )
    Apprentice.objects.filter(pk=apprentice.pk).update(standard_version=to_version, option=option)
    apprentice.standard_version = to_version
    apprentice.option = option
    return record


def request_employer_move(
    apprentice: Apprentice, *, to_employer: Organisation, reason: str, by: User
) -> EmployerMove:
    """Ask `to_employer` to take `apprentice` on; until its staff accept, the employer stays."""
    return EmployerMove.objects.create(
        apprentice=apprentice,
        from_employer_id=apprentice.employer_id,
        to_employer=to_employer,
        reason=reason,
        requested_by=by,
    )
