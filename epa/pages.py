"""What the EPA's pages show: the context of each page that shows more than one object and
its form, built from the gateway and grading modules and the user's object permissions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Model, Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils.functional import SimpleLazyObject

from apprentices.coverage import coverage_for
from apprentices.models import Apprentice
from epa import gateway as gateway_flow
from epa import grading, revision
from epa.models import Epa, GatewayAttempt, GatewayItem, MethodAssessment
from progress import revision as progress_revision
from psp import audit, triggers
from psp.models import User
from standards import revision as standards_revision
from standards.models import AssessmentMethod, EpaPlan

# GatewayItem's own order (attempt, id) with the attempt's id: ordering by the attempt
# itself orders by its apprentice's name, which joined three more tables to the query.
ATTEMPT_ITEMS = Prefetch(
    "items",
    queryset=GatewayItem.objects.select_related("confirmed_by", "decided_by").order_by(
        "attempt_id", "id"
    ),
)


def current_attempt(apprentice: Apprentice) -> GatewayAttempt | None:
    return apprentice.gateway_attempts.prefetch_related(ATTEMPT_ITEMS).order_by("-number").first()


# The gateway page's items: who confirmed and decided each is shown by name only, so only
# the names of those users are read (and kept in the cache: no password hashes there).
_NAMES = ("first_name", "last_name", "username")
PAGE_ITEMS = Prefetch(
    "items",
    queryset=GatewayItem.objects.select_related("confirmed_by", "decided_by")
    .only(
        *(field.attname for field in GatewayItem._meta.concrete_fields),
        *(f"{user}__{name}" for user in ("confirmed_by", "decided_by") for name in _NAMES),
    )
    .order_by("attempt_id", "id"),
)


class Revisions(NamedTuple):
    """The numbers the gateway page's cached parts are kept under, read in one query."""

    epa: int  # attempts, items, EPAs, apprentices, users' names (epa.revision)
    standards: int  # the reference data: versions, standards, EPA plans (standards.revision)
    progress: int  # KSB tallies, apprentices, versions, KSBs (progress.revision)


def revisions() -> Revisions:
    return Revisions(
        *triggers.numbers(
            revision.REVISION, standards_revision.REVISION, progress_revision.REVISION
        )
    )


# What the gateway page and a report's status page read of an apprentice: the apprentice's
# own columns, their user's names (no password hash in the cache), their version's number
# and KSB flag, the standard's reference and the version's EPA plan.
_HEADING = (
    *(field.attname for field in Apprentice._meta.concrete_fields),
    *(f"user__{name}" for name in _NAMES),
    "standard_version__version",
    "standard_version__standard_id",
    "standard_version__ksbs_imported",
    "standard_version__standard__reference",
    *(f"standard_version__epa_plan__{f.attname}" for f in EpaPlan._meta.concrete_fields),
)


def gateway_cached(pk: int, numbers: Revisions) -> dict[str, Any]:
    """The gateway page's two cache entries, its apprentice's and their attempts', in one
    read of the cache (visible_apprentice and gateway_attempts take what it found)."""
    return cache.get_many([_apprentice_key(pk, numbers), _attempts_key(pk, numbers.epa)])


def _apprentice_key(pk: int, numbers: Revisions) -> str:
    return f"epa:gateway-apprentice:{pk}:{numbers.epa}:{numbers.standards}"


def _attempts_key(pk: int, epa_revision: int) -> str:
    return f"epa:gateway-attempts:{pk}:{epa_revision}"


def visible_apprentice(
    pk: int, user: User, numbers: Revisions, cached: Mapping[str, Any]
) -> Apprentice:
    """The apprentice `pk` with their name, standard and EPA plan, or 404 if `user` does
    not see them (Apprentice.is_visible_to: the same rows as Apprentice.objects.visible_to).
    Kept in the cache under the EPA revision (raised by every write to apprentices and by
    changes of users' names: all the row's columns, so whom it is visible to, and the name)
    and the reference data's (the version, the standard and the plan), for the apprentice:
    one cache read where a select of five tables took 0.8 ms to build (`cached`: what
    gateway_cached found). An id that matches no apprentice is not kept."""
    key = _apprentice_key(pk, numbers)
    apprentice: Apprentice | None = cached.get(key)
    if apprentice is None:
        apprentice = (
            Apprentice.objects.select_related(
                "user", "standard_version__standard", "standard_version__epa_plan"
            )
            .only(*_HEADING)
            .filter(pk=pk)
            .first()
        )
        if apprentice is None:
            raise Http404("No apprentice matches the given query.")
        cache.set(key, apprentice, 86400)
    if not apprentice.is_visible_to(user):
        raise Http404("No apprentice matches the given query.")
    return apprentice


def gateway_attempts(
    apprentice: Apprentice, epa_revision: int, cached: Mapping[str, Any]
) -> list[GatewayAttempt]:
    """Every attempt, latest first, with its EPA, and the current one's items. Kept in the
    cache under the EPA revision (epa.revision: raised by every write to attempts, items,
    EPAs and apprentices, and by changes of users' names, which is all the attempts, their
    items and the names of who confirmed and decided them hold), for the apprentice; each
    attempt is given the apprentice of the request, which is not kept with them
    (`cached`: what gateway_cached found)."""
    key = _attempts_key(apprentice.pk, epa_revision)
    attempts: list[GatewayAttempt] | None = cached.get(key)
    if attempts is None:
        # Every attempt in one query (the page lists the earlier ones), the current one's items.
        attempts = list(
            GatewayAttempt.objects.filter(apprentice_id=apprentice.pk)
            .select_related("epa")
            .order_by("-number")
        )
        prefetch_related_objects(attempts[:1], PAGE_ITEMS)
        cache.set(key, attempts, 86400)
    for attempt in attempts:
        attempt.apprentice = apprentice
    return attempts


def gateway_page(
    apprentice: Apprentice, user: User, numbers: Revisions, cached: Mapping[str, Any]
) -> dict[str, Any]:
    """The apprentice's gateway: every attempt, the current one's checklist, what blocks it
    (`cached`: what gateway_cached found)."""
    attempts = gateway_attempts(apprentice, numbers.epa, cached)
    attempt = attempts[0] if attempts else None
    return {
        "apprentice": apprentice,
        "attempt": attempt,
        "attempts": attempts,
        "blockers": gateway_flow.gateway_blockers(apprentice),
        "problems": gateway_flow.submission_problems(attempt)
        if attempt and attempt.is_open
        else [],
        "can_prepare": user.has_perm("epa.prepare_gateway", apprentice),
        "can_decide": attempt is not None and user.has_perm("epa.decide_gateway", attempt),
        # The checklist is a fragment kept under the EPA revision and the ids of the items
        # this viewer may confirm (in the items' order: the same ids make the same key).
        "revisions": numbers,
        "confirmable": tuple(
            item.pk
            for item in (attempt.items.all() if attempt else [])
            if user.has_perm("epa.confirm_gateway", item)
        ),
        # Before the pack is frozen, the staff preparing it see how far it covers the KSBs:
        # a fragment kept under the progress revision (the tallies, the apprentice's version
        # and option, the version's KSBs) and the reference data's (the plan's methods and
        # their KSBs, the options' duties), worked out only when the cache does not hold it.
        "show_coverage": (attempt is None or attempt.status in ("preparing", "rejected"))
        and user.has_perm("epa.view_gateway_coverage", apprentice),
        "coverage": SimpleLazyObject(lambda: coverage_for(apprentice)),
    }


def _columns(model: type[Model], relation: str = "") -> list[str]:
    return [f"{relation}{field.attname}" for field in model._meta.concrete_fields]


def grading_revisions() -> str:
    """The revisions what the grading form shows is kept under, read in one query: the EPA
    revision (the assessment, its questions, the EPA, its gateway attempt, the apprentice and
    their name: epa.revision) and the reference data's (the method, its grading criteria,
    the EPA plan: standards.revision)."""
    return "{}.{}".format(*triggers.numbers(revision.REVISION, standards_revision.REVISION))


def assessments_to_record(user: User) -> QuerySet[MethodAssessment]:
    """The assessments of the EPAs `user` sees, with what the grading form shows or asks of
    them: the method, the EPA, its plan and gateway attempt's number, and the apprentice's
    name (only their user's names, so no password hash goes into the cache)."""
    return (
        MethodAssessment.objects.filter(epa__in=Epa.objects.visible_to(user))
        .select_related(
            "method",
            "epa__apprentice__user",
            "epa__apprentice__standard_version__epa_plan",
            "epa__gateway",
        )
        .only(
            *_columns(MethodAssessment),
            *_columns(AssessmentMethod, "method__"),
            *_columns(Epa, "epa__"),
            *_columns(Apprentice, "epa__apprentice__"),
            *(f"epa__apprentice__user__{name}" for name in _NAMES),
            "epa__apprentice__standard_version__id",
            *_columns(EpaPlan, "epa__apprentice__standard_version__epa_plan__"),
            "epa__gateway__id",
            "epa__gateway__number",
        )
    )


def assessment_to_record(
    user: User, epa_pk: int, assessment_pk: int, *, revisions: str
) -> MethodAssessment | None:
    """The assessment of the grading form, if `user` sees its EPA. Kept in the cache under
    `revisions` (grading_revisions) for the user and what their visible EPAs depend on of
    them (their role and organisation: Epa.objects.visible_to), so it is exact: a write to
    any row it holds, or to what decides who sees it, is a new key. Only found assessments
    are kept (no one fills the cache by guessing)."""
    key = (
        f"epa:assessment:{user.pk}:{user.role}:{user.organisation_id}:"
        f"{epa_pk}:{assessment_pk}:{revisions}"
    )
    assessment: MethodAssessment | None = cache.get(key)
    if assessment is None:
        try:
            assessment = assessments_to_record(user).get(epa_id=epa_pk, pk=assessment_pk)
        except MethodAssessment.DoesNotExist:
            return None
        cache.set(key, assessment, 86400)
    return assessment


def epa_page(epa: Epa, user: User, *, audit_page: str | None) -> dict[str, Any]:
    """The EPA: its methods, results, events, what `user` may do, and its audit history."""
    assessments = list(
        epa.assessments.select_related("method", "recorded_by").prefetch_related(
            "questions", "criterion_decisions__criterion", "submissions"
        )
    )
    results = list(
        epa.results.select_related("assessor", "moderator").prefetch_related("amendments__by")
    )
    can_grade = user.has_perm("epa.grade_epa", epa)
    return {
        "epa": epa,
        "apprentice": epa.apprentice,
        "assessments": assessments,
        "results": results,
        "events": epa.apprentice.epa_events.select_related("actor"),
        "provisional": grading.current_overall(epa) if epa.status != Epa.Status.FINAL else None,
        "problems": grading.moderation_problems(epa) if can_grade else [],
        "can_grade": can_grade,
        "can_manage": user.has_perm("epa.manage_epa", epa),
        "can_moderate": user.has_perm("epa.moderate_epa", epa),
        "can_amend": bool(results) and user.has_perm("epa.amend_result", results[-1]),
        "resits": grading.resit_status(epa),
        "hand_in": {a.pk for a in assessments if user.has_perm("epa.submit_material", a)},
        "audit_entries": Paginator(
            audit.history_for(
                epa,
                ("epa_methodassessment", [a.pk for a in assessments]),
                ("epa_eparesult", [r.pk for r in results]),
                ("epa_gatewayattempt", [epa.gateway_id]),
            ),
            audit.PAGE_SIZE,
        ).get_page(audit_page)
        if user.has_perm("psp.view_audit_history", epa)
        else None,
        "show_grades": user.has_perm("epa.view_grades", epa),
    }


def moderation_page(epa: Epa) -> dict[str, Any]:
    """What the moderator reads beside the form: the latest assessment of each method and
    the overall grade they combine to."""
    assessments = list(
        epa.assessments.filter(pk__in=[a.pk for a in grading.latest_assessments(epa)])
        .select_related("method")
        .prefetch_related("questions", "criterion_decisions__criterion", "submissions")
    )
    return {
        "epa": epa,
        "assessments": assessments,
        "combination": grading.current_combination(epa),
    }
