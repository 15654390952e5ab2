"""What the apprentices' pages show, when that is more than the object and its form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject

from apprentices import moving, onboarding, revision
from apprentices.coverage import (
    Cohort,
    CohortTable,
    cached_cohort,
    cohort_for,
    progress_revision,
)
from apprentices.forms import ConfirmMoveForm, MoveVersionForm
from apprentices.listing import (
    ApprenticeListQuery,
    CohortQuery,
    EvidenceListQuery,
    ReviewQueueQuery,
)
from apprentices.models import Apprentice, Evidence, EvidenceKSB, OnboardingBatch, seen_by_key
from psp import audit
from psp.roles import Role
from psp.snapshots import restore, snapshot
from standards.models import ksb_kind_order

PAGE_SIZE = 25

if TYPE_CHECKING:
    from psp.models import User


def mappings_in_standard_order(evidence: Evidence) -> QuerySet[EvidenceKSB]:
    return (
        evidence.mappings.select_related("ksb")
        .alias(kind_order=ksb_kind_order("ksb__kind"))
        .order_by("kind_order", "ksb__number")
    )


# How long a row or a fragment kept under the evidence revision stays in the cache at most.
KEPT_FOR = 86400


def _heading_key(page: str, user: User, pk: int, evidence_revision: int) -> str | None:
    """The key a page's heading row is kept under: the page, the apprentices `user` sees
    (seen_by_key: who sees the row is part of it, so another user's row is still a 404),
    the row and the evidence revision. None when not kept (a user who sees no one)."""
    seen_by = seen_by_key(user)
    if seen_by is None:
        return None
    return f"apprentices:{page}:{seen_by}:{pk}:{evidence_revision}"


def portfolio_apprentice(user: User, pk: int, *, evidence_revision: int) -> Apprentice:
    """The portfolio's apprentice as `for_portfolio` reads it, if `user` sees them (else 404).
    Kept in the cache as plain values (psp.snapshots) under the evidence revision, which
    every write to what it holds raises: the apprentice's row, their user's names, the
    version and standard, the organisations' names, the option and the EPA."""
    key = _heading_key("portfolio", user, pk, evidence_revision)
    kept = cache.get(key) if key else None
    if kept is not None:
        return restore(Apprentice, kept)
    found = Apprentice.objects.visible_to(user).for_portfolio()
    apprentice = get_object_or_404(found, pk=pk)
    if key:
        cache.set(key, snapshot(apprentice, found.query.annotations), KEPT_FOR)
    return apprentice


def evidence_item(user: User, pk: int, *, evidence_revision: int) -> tuple[Evidence, list[str]]:
    """The item as `for_item` reads it, if `user` sees it (else 404), and what stops it being
    submitted. Both kept in the cache as plain values under the evidence revision, which
    every write to what they hold raises: the item, its files and mappings, its apprentice's
    row, the apprentice's and the reviewer's names, the version."""
    key = _heading_key("evidence", user, pk, evidence_revision)
    kept = cache.get(key) if key else None
    if kept is not None:
        return restore(Evidence, kept[0]), kept[1]
    evidence = get_object_or_404(Evidence.objects.visible_to(user).for_item(), pk=pk)
    problems = evidence.submission_problems() if evidence.is_editable else []
    if key:
        cache.set(key, (snapshot(evidence), problems), KEPT_FOR)
    return evidence, problems


def evidence_page(
    evidence: Evidence,
    user: User,
    *,
    problems: list[str],
    evidence_revision: int,
    audit_page: str | None,
) -> dict[str, Any]:
    """A piece of evidence: its files, mappings, events, what `user` may do, its history.
    Its details, files, mappings and events are a fragment cached under the evidence
    revision (apprentices.revision), so they are lazy: a cached fragment makes none of
    their queries."""
    return {
        "evidence": evidence,
        "evidence_revision": evidence_revision,
        "files": SimpleLazyObject(
            lambda: list(evidence.files.select_related("uploaded_by", "removed_by"))
        ),
        "mappings": SimpleLazyObject(lambda: list(mappings_in_standard_order(evidence))),
        "events": SimpleLazyObject(
            lambda: list(evidence.events.select_related("actor").order_by("-at", "-id"))
        ),
        "problems": problems,
        "can_edit": user.has_perm("apprentices.change_evidence", evidence),
        "can_review": user.has_perm("apprentices.review_evidence", evidence),
        "can_withdraw": user.has_perm("apprentices.withdraw_evidence", evidence),
        "audit_entries": Paginator(
            audit.history_for(
                evidence, ("apprentices_evidencefile", [f.pk for f in evidence.files.all()])
            ),
            audit.PAGE_SIZE,
        ).get_page(audit_page)
        if user.has_perm("psp.view_audit_history", evidence)
        else None,
    }


def evidence_form_page(evidence: Evidence) -> dict[str, Any]:
    """What the form changing the evidence shows beside its fields: the files kept."""
    return {
        "evidence": evidence,
        "apprentice": evidence.apprentice,
        "files": evidence.files.filter(removed_at__isnull=True),
    }


def review_page(evidence: Evidence) -> dict[str, Any]:
    """What the reviewer reads beside the form: the files kept and the mappings."""
    return {
        "evidence": evidence,
        "files": evidence.files.filter(removed_at__isnull=True),
        "mappings": mappings_in_standard_order(evidence),
    }


def cohort_page(visible: QuerySet[Apprentice], query: CohortQuery, user: User) -> CohortTable:
    """The cohort `query` chooses among the apprentices `user` sees, with its table in
    HTML: cached for the roles that see whole organisations, worked out afresh for the
    others."""
    chosen = query.filter(visible)
    sort, descending, gaps_only = query.sort_key, query.descending, query.gaps_only

    def render(cohort: Cohort) -> str:
        context = {"cohort": cohort, "query": query}
        return render_to_string("apprentices/_cohort_table.html", context)

    if user.role in _ORGANISATION_ROLES:
        # Who sees which apprentices: columns of the apprentice's row (see cached_cohort).
        chosen_by = f"{user.role}:{user.organisation_id}:{query.employer}:{query.status}"
        return cached_cohort(
            chosen,
            query.version,
            chosen_by=chosen_by,
            render=render,
            sort=sort,
            descending=descending,
            gaps_only=gaps_only,
        )
    return CohortTable.of(
        cohort_for(chosen, query.version, sort=sort, descending=descending, gaps_only=gaps_only),
        render,
    )


# The roles that see whole organisations' apprentices, chosen by columns of the apprentice's
# own row (Apprentice.objects.visible_to); an assessor's are chosen through their EPAs.
_ORGANISATION_ROLES = (Role.ADMIN, Role.PROVIDER, Role.EMPLOYER, Role.EPAO_ADMIN)


def apprentice_list_key(user: User, query: ApprenticeListQuery, page: str | None) -> str | None:
    """The key the apprentice list's table is cached under ({% cache %} in the template), or
    None to render it afresh. Everything the table shows (the apprentice's row, its user's
    name, its employer's name, its standard and version) and who is in it (columns of the
    apprentice's row, for these roles) are writes that raise the progress revision, which
    the key holds. Not cached: a search (free text would make a key per keystroke), a page
    number that is not a short number, an assessor's list."""
    if user.role not in _ORGANISATION_ROLES or query.q:
        return None
    if page is not None and not (page.isdigit() and len(page) <= 6):
        return None
    return (
        f"{user.role}:{user.organisation_id}:{progress_revision()}:"
        f"{query.status}:{query.sort}:{page or ''}"
    )


def move_page(apprentice: Apprentice, chosen: Any, data: Any) -> dict[str, Any]:
    """Moving the apprentice to another version: the form choosing it and, once `chosen`
    chooses one, what would happen to each mapping and the form confirming the move."""
    choose = MoveVersionForm(chosen, apprentice=apprentice)
    plan = confirm = None
    if choose.is_valid():
        plan = moving.plan_move(apprentice, choose.cleaned_data["to_version"])
        confirm = ConfirmMoveForm(data, to_version=plan.to_version)
    return {"apprentice": apprentice, "choose": choose, "plan": plan, "confirm": confirm}


def onboarding_page(batch: OnboardingBatch) -> dict[str, Any]:
    """An uploaded file of apprentices: what applying it would do, refused rows first."""
    plan = onboarding.Plan.from_json(batch.preview)
    rows = sorted(plan.rows, key=lambda row: (row.outcome != onboarding.Outcome.REFUSED, row.line))
    return {
        "batch": batch,
        "work": onboarding.status_of(batch),
        "plan": plan,
        "rows": rows,
        "counts": plan.counts,
    }


def evidence_counts(apprentice: Apprentice) -> dict[str, Any]:
    """How many pieces of the apprentice's evidence are in each status, and in all."""
    counts = dict(apprentice.evidence.values_list("status").annotate(n=Count("id")).order_by())
    status_counts = [
        (value, label, counts.get(value, 0)) for value, label in Evidence.Status.choices
    ]
    return {"status_counts": status_counts, "total": sum(counts.values())}


def portfolio_page(
    apprentice: Apprentice,
    query: EvidenceListQuery,
    page_number: str | None,
    *,
    evidence_revision: int,
) -> dict[str, Any]:
    """The portfolio: the apprentice, and their evidence as `query` lists it. The list is a
    fragment cached under the evidence revision (apprentices.revision), so its parts are
    lazy: a cached list makes none of their queries."""
    counts = SimpleLazyObject(lambda: evidence_counts(apprentice))
    return {
        "apprentice": apprentice,
        "query": query,
        "page_number": page_number or "",
        "evidence_revision": evidence_revision,
        "page": SimpleLazyObject(
            lambda: Paginator(query.apply(apprentice.evidence.for_list()), PAGE_SIZE).get_page(
                page_number
            )
        ),
        "status_counts": SimpleLazyObject(lambda: counts["status_counts"]),
        "total": SimpleLazyObject(lambda: counts["total"]),
    }


def review_queue_page(
    user: User, query: ReviewQueueQuery, page_number: str | None
) -> dict[str, Any]:
    """The evidence waiting for review that `user` sees, as `query` asks. For the roles that
    see apprentices by a column of the apprentice's row (`cached_by` says whose view it
    is), the list is a fragment cached under the evidence revision, so the page is lazy:
    a cached list makes none of its queries. An assessor's set is chosen
    through their EPAs: theirs is not cached."""
    role = user.role
    cached = role in _ORGANISATION_ROLES

    def page() -> Page[Evidence]:
        # Built only when the cache misses: building the query set costs as much CPU as
        # the rest of a cached page's view.
        evidence = (
            Evidence.objects.visible_to(user)
            .awaiting_review()
            .select_related("apprentice__user")
            .for_list(
                "submitted_at",
                "apprentice__user__username",
                "apprentice__user__first_name",
                "apprentice__user__last_name",
            )
        )
        return Paginator(query.apply(evidence), PAGE_SIZE).get_page(page_number)

    return {
        "query": query,
        "page_number": page_number or "",
        "cached_by": f"{role}:{user.organisation_id}" if cached else "",
        "evidence_revision": revision.current() if cached else None,
        "page": SimpleLazyObject(page),
    }
