"""Gateway: the checklist, freezing the portfolio into a pack, and the EPAO's decision."""

from __future__ import annotations

import calendar
import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from apprentices.models import Apprentice, Evidence, EvidenceFile
from epa import notices
from epa.models import (
    Epa,
    EpaEvent,
    EpaStateError,
    GatewayAttempt,
    GatewayItem,
    MethodAssessment,
    MethodSubmission,
)
from progress.training import long_date
from standards.models import GatewayRequirement

if TYPE_CHECKING:
    from psp.models import User

_REQUIREMENT_KINDS: dict[str, str] = {
    GatewayRequirement.Kind.ENGLISH_MATHS: GatewayItem.Kind.ENGLISH_MATHS,
    GatewayRequirement.Kind.PORTFOLIO: GatewayItem.Kind.PORTFOLIO,
    GatewayRequirement.Kind.OTHER: GatewayItem.Kind.OTHER,
}


def gateway_blockers(apprentice: Apprentice) -> list[str]:
    """Why this apprentice cannot start gateway now, in words for the user; empty if they can."""
    version = apprentice.standard_version
    plan = getattr(version, "epa_plan", None)
    name = f"{version.standard.reference} version {version.version}"
    if plan is None:
        return [
            f"The end-point assessment plan of {name} is not yet imported, so apprentices on it "
            "cannot enter gateway. An administrator must import the EPA plan (its gateway "
            "requirements and assessment methods) first."
        ]
    problems = []
    if not plan.gateway_imported:
        problems.append(f"The gateway requirements of {name} are not yet imported.")
    if not plan.methods_imported:
        problems.append(f"The assessment methods of {name} are not yet imported.")
    if not plan.epa_period_months:
        problems.append(f"The EPA period of {name} is not yet imported.")
    if problems:
        problems.append("An administrator must import them before apprentices can enter gateway.")
    if apprentice.status in (Apprentice.Status.WITHDRAWN, Apprentice.Status.COMPLETED):
        problems.append(f"The apprentice is {apprentice.get_status_display().lower()}.")
    if apprentice.status == Apprentice.Status.BREAK_IN_LEARNING:
        problems.append("The apprentice is on a break in learning.")
    return problems


def _event(apprentice: Apprentice, by: User, title: str, description: str = "") -> None:
    EpaEvent.objects.create(apprentice=apprentice, actor=by, title=title, description=description)


@transaction.atomic
def start_gateway(apprentice: Apprentice, *, by: User) -> GatewayAttempt:
    Apprentice.objects.select_for_update().get(pk=apprentice.pk)
    problems = gateway_blockers(apprentice)
    if problems:
        raise EpaStateError(" ".join(problems))
    if apprentice.gateway_attempts.exclude(status=GatewayAttempt.Status.REJECTED).exists():
        raise EpaStateError("A gateway attempt is already open or accepted for this apprentice")
    number = (apprentice.gateway_attempts.aggregate(n=Max("number"))["n"] or 0) + 1
    attempt = GatewayAttempt.objects.create(apprentice=apprentice, number=number, created_by=by)
    plan = apprentice.standard_version.epa_plan
    items = [
        GatewayItem(
            attempt=attempt,
            kind=_REQUIREMENT_KINDS.get(requirement.kind, GatewayItem.Kind.OTHER),
            requirement=requirement,
            text=requirement.text[:1].upper() + requirement.text[1:],
        )
        for requirement in plan.gateway_requirements.all()
    ]
    items += [
        GatewayItem(attempt=attempt, kind=kind, text=str(kind.label))
        for kind in (GatewayItem.Kind.EMPLOYER, GatewayItem.Kind.PROVIDER)
    ]
    GatewayItem.objects.bulk_create(items)
    _event(apprentice, by, f"Gateway attempt {number} started")
    return attempt


@transaction.atomic
def confirm_item(
    item: GatewayItem, *, by: User, english_maths: str = "", details: str = ""
) -> None:
    attempt = GatewayAttempt.objects.select_for_update().get(pk=item.attempt_id)
    if attempt.status != GatewayAttempt.Status.PREPARING:
        raise EpaStateError("This gateway has been submitted, so its checklist cannot change")
    if item.kind == GatewayItem.Kind.ENGLISH_MATHS and not english_maths:
        raise EpaStateError("Choose how the English and maths requirement is met")
    item.english_maths = english_maths
    item.details = details
    item.confirmed_by = by
    item.confirmed_at = timezone.now()
    item.save()


def build_pack(apprentice: Apprentice) -> dict[str, Any]:
    """The portfolio as it is now: accepted evidence, its KSB mapping and every file's hash."""
    evidence = (
        apprentice.evidence.filter(status=Evidence.Status.ACCEPTED)
        .prefetch_related(
            Prefetch("files", queryset=EvidenceFile.objects.filter(removed_at__isnull=True)),
            "mappings__ksb",
        )
        .order_by("activity_date", "id")
    )
    version = apprentice.standard_version
    return {
        "apprentice": {"name": apprentice.name, "uln": apprentice.uln},
        "standard": {"reference": version.standard.reference, "version": version.version},
        "evidence": [
            {
                "id": item.pk,
                "title": item.title,
                "type": item.get_evidence_type_display(),
                "activity_date": item.activity_date.isoformat(),
                "reflection": item.reflection,
                "accepted_at": item.reviewed_at.isoformat() if item.reviewed_at else None,
                "ksbs": sorted(
                    ({"code": m.ksb.code, "note": m.note} for m in item.mappings.all()),
                    key=lambda m: ("KSB".index(m["code"][0]), int(m["code"][1:])),
                ),
                "files": [
                    {"id": f.pk, "name": f.original_name, "size": f.size, "sha256": f.sha256}
                    for f in item.files.all()
                ],
            }
            for item in evidence
        ],
    }


def pack_hash(pack: dict[str, Any]) -> str:
    canonical = json.dumps(pack, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# The supplement: material handed in for the methods after gateway (MethodSubmission) joins
# the pack without changing the frozen pack or its hash. Each hand-in stores a link of a hash
# chain that starts at the pack hash: SHA-256 of the previous link and this hand-in's entry
# (its file's SHA-256, name, size, method, kind, deadline and time handed in). The latest link
# stands for the pack and everything handed in since; recomputing the chain shows whether any
# of it was changed afterwards.


def supplement_entry(submission: MethodSubmission) -> dict[str, Any]:
    return {
        "assessment": submission.assessment_id,
        "kind": submission.kind,
        "name": submission.original_name,
        "size": submission.size,
        "sha256": submission.sha256,
        "handed_in": submission.uploaded_at.astimezone(datetime.UTC).isoformat(),
        "due_on": submission.due_on.isoformat(),
    }


def supplement_link(previous: str, entry: dict[str, Any]) -> str:
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class SupplementEntry:
    submission: MethodSubmission
    verified: bool


@dataclass(frozen=True)
class Supplement:
    """The hand-ins of a gateway attempt's EPA, in the order they joined the pack."""

    entries: list[SupplementEntry]

    @property
    def hash(self) -> str:
        return self.entries[-1].submission.supplement_hash if self.entries else ""

    @property
    def verified(self) -> bool:
        return all(entry.verified for entry in self.entries)


def supplement(attempt: GatewayAttempt) -> Supplement:
    """The supplement with each link recomputed from the pack hash on."""
    submissions = MethodSubmission.objects.filter(assessment__epa__gateway=attempt).select_related(
        "assessment__method", "uploaded_by"
    )
    entries, link = [], attempt.pack_hash
    for submission in submissions.order_by("id"):
        link = supplement_link(link, supplement_entry(submission))
        entries.append(SupplementEntry(submission, submission.supplement_hash == link))
    return Supplement(entries)


def add_to_supplement(submission: MethodSubmission, attempt: GatewayAttempt) -> None:
    """Set the new hand-in's link, under a lock on the attempt so links never fork."""
    GatewayAttempt.objects.select_for_update().get(pk=attempt.pk)
    last = (
        MethodSubmission.objects.filter(assessment__epa__gateway=attempt)
        .order_by("-id")
        .values_list("supplement_hash", flat=True)
        .first()
    )
    submission.supplement_hash = supplement_link(
        last or attempt.pack_hash, supplement_entry(submission)
    )


def submission_problems(attempt: GatewayAttempt) -> list[str]:
    problems = [
        f"{item.text}: not yet confirmed" for item in attempt.items.all() if not item.is_confirmed
    ]
    if not attempt.apprentice.evidence.filter(status=Evidence.Status.ACCEPTED).exists():
        problems.append("The portfolio has no accepted evidence")
    return problems


@transaction.atomic
def submit_gateway(attempt: GatewayAttempt, *, by: User) -> None:
    locked = GatewayAttempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.status != GatewayAttempt.Status.PREPARING:
        raise EpaStateError("This gateway has already been submitted")
    problems = submission_problems(attempt)
    if problems:
        raise EpaStateError("; ".join(problems))
    attempt.pack = build_pack(attempt.apprentice)
    attempt.pack_hash = pack_hash(attempt.pack)
    attempt.status = GatewayAttempt.Status.SUBMITTED
    attempt.submitted_by = by
    attempt.submitted_at = timezone.now()
    attempt.save()
    Apprentice.objects.filter(pk=attempt.apprentice_id).update(status=Apprentice.Status.AT_GATEWAY)
    _event(
        attempt.apprentice,
        by,
        f"Gateway attempt {attempt.number} submitted to the EPAO",
        f"Gateway pack {attempt.pack_hash} with {len(attempt.pack['evidence'])} evidence items",
    )


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def decide_gateway(
    attempt: GatewayAttempt,
    decisions: dict[int, tuple[str, str]],
    *,
    by: User,
    gateway_date: datetime.date | None = None,
) -> Epa | None:
    """Record the EPAO's decision on every item (id → (decision, reason)).

    All accepted: the gateway is accepted, the EPA period starts and each method gets its
    first assessment. Any rejected: the attempt is rejected and a new one can be started.
    """
    locked = GatewayAttempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.status != GatewayAttempt.Status.SUBMITTED:
        raise EpaStateError(
            f"This gateway is {locked.get_status_display().lower()}, so it cannot be decided now"
        )
    items = list(attempt.items.all())
    missing = [item.text for item in items if item.pk not in decisions]
    if missing:
        raise EpaStateError(f"Decide every item: {'; '.join(missing)}")
    now = timezone.now()
    for item in items:
        decision, reason = decisions[item.pk]
        if decision == GatewayItem.Decision.REJECTED and not reason.strip():
            raise EpaStateError(f"Give a reason for rejecting: {item.text}")
        item.decision, item.reason, item.decided_by, item.decided_at = decision, reason, by, now
        item.save()
    attempt.decided_by, attempt.decided_at = by, now
    transaction.on_commit(lambda: notices.gateway_decided(attempt), robust=True)
    apprentice = attempt.apprentice
    if any(item.decision == GatewayItem.Decision.REJECTED for item in items):
        attempt.status = GatewayAttempt.Status.REJECTED
        attempt.save()
        Apprentice.objects.filter(pk=apprentice.pk).update(status=Apprentice.Status.ON_PROGRAMME)
        _event(apprentice, by, f"Gateway attempt {attempt.number} rejected")
        return None
    attempt.status = GatewayAttempt.Status.ACCEPTED
    attempt.gateway_date = gateway_date or timezone.localdate()
    attempt.save()
    plan = apprentice.standard_version.epa_plan
    try:
        epa = Epa.objects.create(
            apprentice=apprentice,
            gateway=attempt,
            period_start=attempt.gateway_date,
            period_end=add_months(attempt.gateway_date, plan.epa_period_months or 0),
        )
    except IntegrityError:
        raise EpaStateError("This apprentice already has an EPA") from None
    MethodAssessment.objects.bulk_create(
        MethodAssessment(epa=epa, method=method) for method in plan.methods.all()
    )
    Apprentice.objects.filter(pk=apprentice.pk).update(status=Apprentice.Status.IN_EPA)
    _event(
        apprentice,
        by,
        "Gateway accepted: EPA period started",
        f"EPA period {long_date(epa.period_start)} to {long_date(epa.period_end)}",
    )
    return epa
