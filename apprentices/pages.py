"""What the apprentices' pages show, when that is more than the object and its form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet

from apprentices import onboarding
from apprentices.coverage import Cohort, cached_cohort, cohort_for, progress_revision
from apprentices.listing import ApprenticeListQuery, CohortQuery
from apprentices.models import Apprentice, Evidence, EvidenceKSB, OnboardingBatch
from psp import audit
from psp.roles import Role
from standards.models import ksb_kind_order

if TYPE_CHECKING:
    from psp.models import User


def mappings_in_standard_order(evidence: Evidence) -> QuerySet[EvidenceKSB]:
    return (
        evidence.mappings.select_related("ksb")
        .alias(kind_order=ksb_kind_order("ksb__kind"))
        .order_by("kind_order", "ksb__number")
    )


def evidence_page(evidence: Evidence, user: User, *, audit_page: str | None) -> dict[str, Any]:
    """A piece of evidence: its files, mappings, events, what `user` may do, its history."""
    return {
        "evidence": evidence,
        "files": evidence.files.select_related("uploaded_by", "removed_by"),
        "mappings": mappings_in_standard_order(evidence),
        "events": evidence.events.select_related("actor").order_by("-at", "-id"),
        "problems": evidence.submission_problems() if evidence.is_editable else [],
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


def review_page(evidence: Evidence) -> dict[str, Any]:
    """What the reviewer reads beside the form: the files kept and the mappings."""
    return {
        "evidence": evidence,
        "files": evidence.files.filter(removed_at__isnull=True),
        "mappings": mappings_in_standard_order(evidence),
    }


def cohort_page(visible: QuerySet[Apprentice], query: CohortQuery, user: User) -> Cohort:
    """The cohort `query` chooses among the apprentices `user` sees: cached for the roles
    that see whole organisations, worked out afresh for the others."""
    chosen = query.filter(visible)
    sort, descending, gaps_only = query.sort_key, query.descending, query.gaps_only
    role = user.role
    if role in (Role.ADMIN, Role.PROVIDER, Role.EMPLOYER, Role.EPAO_ADMIN):
        # Who sees which apprentices: columns of the apprentice's row (see cached_cohort).
        chosen_by = f"{role}:{user.organisation_id}:{query.employer}:{query.status}"
        return cached_cohort(
            chosen,
            query.version,
            chosen_by=chosen_by,
            sort=sort,
            descending=descending,
            gaps_only=gaps_only,
        )
    return cohort_for(chosen, query.version, sort=sort, descending=descending, gaps_only=gaps_only)


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
