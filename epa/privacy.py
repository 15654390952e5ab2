"""The personal data epa holds about an apprentice, for apprentices.privacy (registered from
EpaConfig.ready()): the gateway and its frozen pack and hand-ins with the portfolio; the EPA
record, kept with the result, with the identity. See apprentices.privacy for the stages, the
retention schedule and what each field of a Holding means."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Max

from apprentices.models import Apprentice
from apprentices.privacy import IDENTITY, PORTFOLIO, Holding, next_month, to_month
from epa.models import (
    Amendment,
    ConflictOfInterest,
    CriterionDecision,
    Epa,
    EpaEvent,
    EpaResult,
    GatewayAttempt,
    GatewayItem,
    MethodAssessment,
    MethodModeration,
    MethodSubmission,
    Question,
)


def _epa_identity(epa: Epa) -> dict[str, Any]:
    start = to_month(epa.period_start)
    end = to_month(epa.period_end)
    if end <= start:
        end = next_month(start)
    return {"period_start": start, "period_end": end}


HOLDINGS = [
    Holding(GatewayAttempt, "apprentice", PORTFOLIO, text=("pack",)),
    Holding(GatewayItem, "attempt__apprentice", PORTFOLIO, text=("details", "reason")),
    Holding(
        MethodSubmission,
        "assessment__epa__apprentice",
        PORTFOLIO,
        text=("original_name",),
        files=("file",),
    ),
    Holding(
        Epa,
        "apprentice",
        IDENTITY,
        text=("moderation_comment", "independence_declaration"),
        months=("submitted_at",),
        provisional_fields=("moderation_comment",),
        identity_changes=_epa_identity,
    ),
    Holding(ConflictOfInterest, "apprentice", IDENTITY, delete=True),
    Holding(
        MethodAssessment,
        "epa__apprentice",
        IDENTITY,
        text=("location", "adjustments", "evidence_referred", "judgement", "grade_justification"),
        months=("scheduled_for", "assessed_on", "recorded_at"),
        withheld_until_final=True,
    ),
    Holding(
        Question, "assessment__epa__apprentice", IDENTITY, delete=True, withheld_until_final=True
    ),
    Holding(CriterionDecision, "assessment__epa__apprentice", IDENTITY, withheld_until_final=True),
    Holding(
        MethodModeration,
        "assessment__epa__apprentice",
        IDENTITY,
        text=("comment",),
        months=("at",),
        withheld_until_final=True,
    ),
    Holding(EpaResult, "epa__apprentice", IDENTITY, months=("confirmed_at",)),
    Holding(Amendment, "result__epa__apprentice", IDENTITY, text=("reason",), months=("at",)),
    Holding(EpaEvent, "apprentice", IDENTITY, text=("description",), months=("at",)),
]

# How the audit trail's entries of epa's tables lead to an apprentice (parents first).
AUDIT_LINKS = {
    "epa_epaevent": ("apprentice_id", "apprentices_apprentice"),
    "epa_gatewayattempt": ("apprentice_id", "apprentices_apprentice"),
    "epa_gatewayitem": ("attempt_id", "epa_gatewayattempt"),
    "epa_epa": ("apprentice_id", "apprentices_apprentice"),
    "epa_methodassessment": ("epa_id", "epa_epa"),
    "epa_criteriondecision": ("assessment_id", "epa_methodassessment"),
    "epa_eparesult": ("epa_id", "epa_epa"),
    "epa_amendment": ("result_id", "epa_eparesult"),
    "epa_question": ("assessment_id", "epa_methodassessment"),
    "epa_conflictofinterest": ("apprentice_id", "apprentices_apprentice"),
}


def last_changed(apprentice: Apprentice) -> datetime.datetime | None:
    """The last thing the EPA recorded for the apprentice: an event, a result, an amendment."""
    moments = [
        EpaEvent.objects.filter(apprentice=apprentice).aggregate(m=Max("at"))["m"],
        EpaResult.objects.filter(epa__apprentice=apprentice).aggregate(m=Max("confirmed_at"))["m"],
        Amendment.objects.filter(result__epa__apprentice=apprentice).aggregate(m=Max("at"))["m"],
    ]
    return max((moment for moment in moments if moment is not None), default=None)


def result_kept(apprentice: Apprentice) -> bool:
    return EpaResult.objects.filter(epa__apprentice=apprentice).exists()


def result_final(apprentice: Apprentice) -> bool:
    epa = Epa.objects.filter(apprentice=apprentice).first()
    return epa is not None and epa.status == Epa.Status.FINAL
