"""What each PDF report shows: the template context of the portfolio, gateway pack, EPA
result, cohort and signed progress review reports (templates/reports/pdf/<kind>.html)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q

from apprentices.coverage import Coverage, cohort_for, coverage_for
from apprentices.models import Apprentice, Evidence, EvidenceFile, EvidenceKSB
from epa import gateway as gateway_flow
from epa import grading
from epa.models import Epa, GatewayAttempt, GatewayItem
from progress.models import ProgressReview, ReviewSignature
from reports.models import Report, ReportError
from standards.models import KSB, AssessmentMethod, StandardVersion, ksb_kind_order


def _subject_id(value: int | None) -> int:
    if value is None:  # the report_has_its_subject constraint makes this impossible
        raise ReportError("The report has no subject")
    return value


def _apprentice(pk: int) -> Apprentice:
    return Apprentice.objects.select_related(
        "user",
        "standard_version__standard",
        "standard_version__epa_plan",
        "employer",
        "training_provider",
        "epao",
    ).get(pk=pk)


def _heading(version: StandardVersion) -> dict[str, Any]:
    return {
        "version": version,
        "standard_name": f"{version.standard.reference} {version.title}, version {version.version}",
    }


@dataclass(frozen=True)
class EvidenceEntry:
    number: int
    evidence: Evidence
    codes: str
    files: list[EvidenceFile]


def _evidence_index(apprentice: Apprentice) -> list[EvidenceEntry]:
    evidence = (
        apprentice.evidence.current()
        .order_by("activity_date", "id")
        .prefetch_related(
            Prefetch("files", queryset=EvidenceFile.objects.filter(removed_at__isnull=True)),
            Prefetch(
                "mappings",
                queryset=EvidenceKSB.objects.select_related("ksb").order_by(
                    ksb_kind_order("ksb__kind"), "ksb__number"
                ),
            ),
        )
    )
    return [
        EvidenceEntry(
            number,
            item,
            ", ".join(mapping.ksb.code for mapping in item.mappings.all()),
            list(item.files.all()),
        )
        for number, item in enumerate(evidence, start=1)
    ]


def _method_matrix(coverage: Coverage) -> list[tuple[Any, list[bool]]]:
    """Each KSB's coverage with, for each assessment method, whether the method assesses it."""
    methods = [m.method for m in coverage.methods]
    assessed = set(
        AssessmentMethod.ksbs.through.objects.filter(
            assessmentmethod__in=[m.pk for m in methods]
        ).values_list("assessmentmethod_id", "ksb_id")
    )
    return [
        (row, [(method.pk, row.ksb.pk) in assessed for method in methods]) for row in coverage.rows
    ]


def portfolio_context(report: Report) -> dict[str, Any]:
    apprentice = _apprentice(_subject_id(report.apprentice_id))
    coverage = coverage_for(apprentice)
    index = _evidence_index(apprentice)
    return {
        **_heading(apprentice.standard_version),
        "subject_name": apprentice.name,
        "apprentice": apprentice,
        "coverage": coverage,
        "matrix": _method_matrix(coverage),
        "methods": [m.method for m in coverage.methods],
        "evidence_index": index,
        "file_count": sum(len(entry.files) for entry in index),
        "withdrawn_count": apprentice.evidence.filter(status=Evidence.Status.WITHDRAWN).count(),
    }


def gateway_pack_context(report: Report) -> dict[str, Any]:
    attempt = GatewayAttempt.objects.select_related("submitted_by", "decided_by").get(
        pk=_subject_id(report.gateway_id)
    )
    apprentice = _apprentice(attempt.apprentice_id)
    items = list(attempt.items.select_related("confirmed_by", "decided_by"))
    declarations = (GatewayItem.Kind.EMPLOYER, GatewayItem.Kind.PROVIDER)
    pack = attempt.pack or {"evidence": []}
    pack_evidence = [
        {
            **item,
            "activity_date": datetime.date.fromisoformat(item["activity_date"]),
            "accepted_at": datetime.datetime.fromisoformat(item["accepted_at"])
            if item.get("accepted_at")
            else None,
        }
        for item in pack["evidence"]
    ]
    return {
        **_heading(apprentice.standard_version),
        "subject_name": apprentice.name,
        "apprentice": apprentice,
        "attempt": attempt,
        "pack": pack,
        "pack_evidence": pack_evidence,
        "pack_verified": gateway_flow.pack_hash(pack) == attempt.pack_hash,
        "supplement": gateway_flow.supplement(attempt),
        "checklist": [item for item in items if item.kind not in declarations],
        "declarations": [item for item in items if item.kind in declarations],
        "file_count": sum(len(item["files"]) for item in pack["evidence"]),
    }


def epa_result_context(report: Report) -> dict[str, Any]:
    epa = Epa.objects.select_related("assessor", "gateway").get(pk=_subject_id(report.epa_id))
    apprentice = _apprentice(epa.apprentice_id)
    epa.apprentice = apprentice
    assessments = list(
        epa.assessments.select_related("method", "recorded_by").prefetch_related(
            "questions", "criterion_decisions__criterion", "moderations__moderator"
        )
    )
    results = list(
        epa.results.select_related("assessor", "moderator").prefetch_related("amendments__by")
    )
    # As on the EPA page: grades show once final, or to the EPAO's own people.
    show_grades = report.requested_by.has_perm("epa.view_grades", epa)
    return {
        **_heading(apprentice.standard_version),
        "subject_name": apprentice.name,
        "apprentice": apprentice,
        "epa": epa,
        "amendments": [(r, amendment) for r in results for amendment in r.amendments.all()],
        "assessments": assessments,
        "results": results,
        "plan_revision": epa.plan.revision,
        "show_grades": show_grades,
        "provisional": grading.current_overall(epa)
        if show_grades and epa.status != Epa.Status.FINAL
        else None,
    }


def cohort_context(report: Report) -> dict[str, Any]:
    organisation = report.organisation
    version = StandardVersion.objects.select_related("standard").get(
        pk=_subject_id(report.standard_version_id)
    )
    apprentices = Apprentice.objects.visible_to(report.requested_by).filter(
        Q(employer=organisation) | Q(training_provider=organisation)
    )
    cohort = cohort_for(apprentices, version)
    tables = []
    for kind, label in KSB.Kind.choices:
        columns = [i for i, ksb in enumerate(cohort.ksbs) if ksb.kind == kind]
        if columns:
            tables.append(
                {
                    "label": label,
                    "ksbs": [cohort.ksbs[i] for i in columns],
                    "totals": [cohort.ksb_totals[i] for i in columns],
                    "rows": [(row, [row.cells[i] for i in columns]) for row in cohort.rows],
                }
            )
    return {
        **_heading(version),
        "subject_name": str(organisation),
        "organisation": organisation,
        "cohort": cohort,
        "summary": [(row, row.percent_accepted(), row.gaps) for row in cohort.rows],
        "tables": tables,
    }


def review_context(report: Report) -> dict[str, Any]:
    """The signed review as its page shows it, with the three signatures."""
    review = ProgressReview.objects.select_related("recorded_by").get(
        pk=_subject_id(report.review_id)
    )
    apprentice = _apprentice(review.apprentice_id)
    review.apprentice = apprentice
    signatures = {s.party: s for s in review.signatures.all()}
    return {
        **_heading(apprentice.standard_version),
        "subject_name": apprentice.name,
        "apprentice": apprentice,
        "review": review,
        "prefill": review.prefill,
        "period_start": review.period_start,
        "period_end": review.held_on,
        "assessed_targets": list(review.assessed_targets.order_by("id")),
        "targets": list(review.targets.order_by("id")),
        "ksb_comments": list(review.ksb_comments.select_related("ksb").order_by("id")),
        "signatures": [
            (label, signatures.get(party)) for party, label in ReviewSignature.Party.choices
        ],
    }


CONTEXTS: dict[str, Callable[[Report], dict[str, Any]]] = {
    Report.Kind.PORTFOLIO: portfolio_context,
    Report.Kind.GATEWAY_PACK: gateway_pack_context,
    Report.Kind.EPA_RESULT: epa_result_context,
    Report.Kind.COHORT: cohort_context,
    Report.Kind.REVIEW: review_context,
}
