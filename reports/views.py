"""PDF reports: asked for from the portfolio, gateway, EPA, progress review and cohort pages,
built by a worker (reports.building), followed on a status page that refreshes itself, then
downloaded."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apprentices.coverage import cohort_versions
from apprentices.models import Apprentice
from epa import revision as epa_revision
from epa.models import Epa
from progress.models import ProgressReview
from psp import triggers
from psp.downloads import private_download
from psp.http import AuthenticatedHttpRequest
from psp.models import Organisation
from reports import building, revision
from reports.models import Report
from standards.models import StandardVersion


def _report_requested(request: AuthenticatedHttpRequest, report: Report) -> HttpResponse:
    messages.success(request, "Your PDF is being built. This page shows when it is ready.")
    return redirect(report)


@require_POST
@permission_required(
    ["reports.request_report", "apprentices.view_apprentice"], raise_exception=True
)
def report_request_portfolio(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = get_object_or_404(Apprentice.objects.visible_to(request.user), pk=pk)
    return _report_requested(
        request, building.request_report(apprentice, requested_by=request.user)
    )


@require_POST
@permission_required(["reports.request_report", "epa.view_gatewayattempt"], raise_exception=True)
def report_request_gateway(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    apprentice = get_object_or_404(Apprentice.objects.visible_to(request.user), pk=pk)
    attempt = get_object_or_404(apprentice.gateway_attempts, number=number, pack__isnull=False)
    return _report_requested(request, building.request_report(attempt, requested_by=request.user))


@require_POST
@permission_required(["reports.request_report", "epa.view_epa"], raise_exception=True)
def report_request_epa(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    epa = get_object_or_404(Epa.objects.visible_to(request.user), pk=pk)
    return _report_requested(request, building.request_report(epa, requested_by=request.user))


@require_POST
@permission_required(
    ["reports.request_report", "progress.view_progressreview"], raise_exception=True
)
def report_request_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(ProgressReview.objects.visible_to(request.user), pk=pk)
    try:
        report = building.request_report(review, requested_by=request.user)
    except building.ReportError as error:
        messages.error(request, f"{error}.")
        return redirect(review)
    return _report_requested(request, report)


@require_POST
@permission_required(["reports.request_report", "apprentices.view_cohort"], raise_exception=True)
def report_request_cohort(request: AuthenticatedHttpRequest) -> HttpResponse:
    visible = Apprentice.objects.visible_to(request.user)
    versions = {f"{v.standard.reference}-{v.version}": v for v in cohort_versions(visible)}
    version = versions.get(request.POST.get("version", ""))
    employer = request.POST.get("employer", "")
    organisation = (
        Organisation.objects.filter(employed_apprentices__in=visible, pk=employer).first()
        if employer.isdigit()
        else request.user.organisation
    )
    if version is None or organisation is None:
        messages.error(request, "Choose a standard version and an employer, then try again.")
        return redirect("apprentices:cohort")
    report = building.request_report(organisation, version=version, requested_by=request.user)
    return _report_requested(request, report)


_VERSION_WITH_STANDARD = Prefetch(
    "standard_version", queryset=StandardVersion.objects.select_related("standard")
)


def _report(request: AuthenticatedHttpRequest, pk: int) -> Report:
    """The user's own report with what its name needs (Report.subject_name): the apprentice
    and gateway attempt in the same query, a review's or a cohort's subject after it, for
    those kinds only (joining all seven tables took PostgreSQL 1.8 ms to plan for every
    report, three of them 0.6 ms). The row is kept in the cache under the report revision
    (reports.revision: every write to reports) and the EPA revision (the apprentice's row,
    their name, the attempt): building the select took most of the page's own time.
    Whether the user still sees its subject is asked of the apprentice as kept
    (Report.is_visible_to), not by visible_to's three subqueries. An id that matches no
    report is not kept."""
    numbers = triggers.numbers(revision.REVISION, epa_revision.REVISION)
    key = f"reports:report:{pk}:{numbers[0]}:{numbers[1]}"
    report: Report | None = cache.get(key)
    if report is None:
        report = get_object_or_404(Report.objects.for_page(), pk=pk)
        cache.set(key, report, 86400)
    if not report.is_visible_to(request.user):
        raise Http404("No report matches the given query.")
    if report.kind == Report.Kind.REVIEW:
        prefetch_related_objects([report], "review")
    elif report.kind == Report.Kind.COHORT:
        # Whether the user sees the organisation was one query more: the version and its
        # standard come in one.
        prefetch_related_objects([report], "organisation", _VERSION_WITH_STANDARD)
    return report


def _report_retry(report: Report) -> tuple[str, list[tuple[str, object]]]:
    """Where to ask for the same report again, and what to post there."""
    if report.kind == Report.Kind.GATEWAY_PACK and report.gateway:
        args = [report.apprentice_id, report.gateway.number]
        return reverse("reports:report_request_gateway", args=args), []
    if report.kind == Report.Kind.EPA_RESULT:
        return reverse("reports:report_request_epa", args=[report.epa_id]), []
    if report.kind == Report.Kind.REVIEW:
        return reverse("reports:report_request_review", args=[report.review_id]), []
    if report.kind == Report.Kind.COHORT and report.standard_version:
        version = report.standard_version
        fields: list[tuple[str, object]] = [
            ("version", f"{version.standard.reference}-{version.version}")
        ]
        if report.organisation and report.organisation.kind == Organisation.Kind.EMPLOYER:
            fields.append(("employer", report.organisation_id))
        return reverse("reports:report_request_cohort"), fields
    return reverse("reports:report_request_portfolio", args=[report.apprentice_id]), []


@require_GET
@permission_required("reports.request_report", raise_exception=True)
def report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    retry_url, retry_fields = _report_retry(report)
    context = {
        "report": report,
        "work": building.status_of(report),
        "retry_url": retry_url,
        "retry_fields": retry_fields,
    }
    return render(request, "reports/report_detail.html", context)


@require_GET
@permission_required("reports.request_report", raise_exception=True)
def report_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    report = _report(request, pk)
    if not report.is_ready:
        raise Http404("This report is not ready")
    return private_download(
        request,
        report.file,
        filename=report.download_name,
        content_type="application/pdf",
        size=report.size,
    )


@require_GET
@permission_required("reports.request_report", raise_exception=True)
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    mine = Report.objects.visible_to(request.user).select_related(
        "apprentice__user", "gateway", "review", "organisation", "standard_version__standard"
    )
    page = Paginator(mine, 25).get_page(request.GET.get("page"))
    return render(request, "reports/report_list.html", {"page": page})
