from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apprentices import moving, portfolio
from apprentices.coverage import cohort_for, cohort_versions, coverage_for
from apprentices.forms import (
    ApprenticeForm,
    ConfirmMoveForm,
    EvidenceForm,
    MappingForm,
    MoveVersionForm,
    ReviewForm,
    WithdrawForm,
)
from apprentices.listing import ApprenticeListQuery, CohortQuery, EvidenceListQuery
from apprentices.models import Apprentice, Evidence, EvidenceFile, EvidenceStateError
from psp.accounts import send_set_password_email
from psp.models import Organisation
from standards.models import ksb_kind_order

PAGE_SIZE = 25


def _apprentice(request: HttpRequest, pk: int) -> Apprentice:
    return get_object_or_404(
        Apprentice.objects.visible_to(request.user).select_related(
            "user",
            "standard_version__standard",
            "standard_version__epa_plan",
            "employer",
            "training_provider",
            "epao",
        ),
        pk=pk,
    )


def _evidence(request: HttpRequest, pk: int) -> Evidence:
    return get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related(
            "apprentice__user", "apprentice__standard_version__standard", "reviewed_by"
        ),
        pk=pk,
    )


@require_GET
@permission_required("apprentices.view_apprentice", raise_exception=True)
def apprentice_list(request: HttpRequest) -> HttpResponse:
    query = ApprenticeListQuery.from_request(request)
    apprentices = query.apply(Apprentice.objects.visible_to(request.user))
    page = Paginator(apprentices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "apprentices/apprentice_list.html", {"page": page, "query": query})


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.add_apprentice", raise_exception=True)
def apprentice_create(request: HttpRequest) -> HttpResponse:
    form = ApprenticeForm(request.POST if request.method == "POST" else None, by=request.user)
    if request.method == "POST" and form.is_valid():
        apprentice = form.save()
        send_set_password_email(apprentice.user, request=request)
        messages.success(
            request, f"{apprentice.name} added. We emailed them a link to set a password."
        )
        return redirect(apprentice)
    return render(request, "apprentices/apprentice_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_apprentice", raise_exception=True)
def apprentice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    apprentice = _apprentice(request, pk)
    if not apprentice.can_be_edited_by(request.user):
        raise PermissionDenied
    form = ApprenticeForm(
        request.POST if request.method == "POST" else None, instance=apprentice, by=request.user
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{apprentice.name}'s details saved.")
        return redirect(apprentice)
    return render(
        request, "apprentices/apprentice_form.html", {"form": form, "apprentice": apprentice}
    )


@require_GET
@permission_required("apprentices.view_apprentice", raise_exception=True)
def apprentice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    apprentice = _apprentice(request, pk)
    query = EvidenceListQuery.from_request(request)
    evidence = query.apply(
        apprentice.evidence.annotate(
            file_count=Count("files", filter=Q(files__removed_at__isnull=True), distinct=True),
            ksb_count=Count("mappings", distinct=True),
        )
    )
    page = Paginator(evidence, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(apprentice.evidence.values_list("status").annotate(n=Count("id")).order_by())
    status_counts = [
        (value, label, counts.get(value, 0)) for value, label in Evidence.Status.choices
    ]
    return render(
        request,
        "apprentices/apprentice_detail.html",
        {
            "apprentice": apprentice,
            "page": page,
            "query": query,
            "status_counts": status_counts,
            "total": sum(counts.values()),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.add_evidence", raise_exception=True)
def evidence_create(request: HttpRequest, pk: int) -> HttpResponse:
    apprentice = _apprentice(request, pk)
    if apprentice.user_id != request.user.pk:
        raise PermissionDenied
    form = EvidenceForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        oversized=getattr(request, "oversized_uploads", []),
        max_mb=settings.EVIDENCE_MAX_UPLOAD_MB,
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in portfolio.EDITABLE_FIELDS}
        evidence = portfolio.create_evidence(
            apprentice, by=request.user, files=form.cleaned_data["uploads"], **data
        )
        messages.success(request, "Evidence saved as a draft. Now map it to the KSBs it shows.")
        return redirect("apprentices:evidence_map", pk=evidence.pk)
    return render(
        request, "apprentices/evidence_form.html", {"form": form, "apprentice": apprentice}
    )


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not evidence.can_be_edited_by(request.user):
        raise PermissionDenied
    form = EvidenceForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        instance=evidence,
        oversized=getattr(request, "oversized_uploads", []),
        max_mb=settings.EVIDENCE_MAX_UPLOAD_MB,
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in portfolio.EDITABLE_FIELDS}
        evidence.refresh_from_db()
        portfolio.update_evidence(
            evidence, by=request.user, files=form.cleaned_data["uploads"], **data
        )
        messages.success(request, "Evidence saved.")
        return redirect(evidence)
    files = evidence.files.filter(removed_at__isnull=True)
    return render(
        request,
        "apprentices/evidence_form.html",
        {"form": form, "apprentice": evidence.apprentice, "evidence": evidence, "files": files},
    )


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_map(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not evidence.can_be_edited_by(request.user):
        raise PermissionDenied
    ksbs = list(evidence.apprentice.standard_version.ksbs.in_standard_order())
    current = dict(evidence.mappings.values_list("ksb_id", "note"))
    form = MappingForm(
        request.POST if request.method == "POST" else None, ksbs=ksbs, current=current
    )
    # "Find" posts the ticked boxes too, so searching without JavaScript loses nothing.
    filtering = request.POST.get("action") == "filter"
    if request.method == "POST" and not filtering and form.is_valid():
        portfolio.set_mappings(evidence, form.selected(), by=request.user)
        messages.success(request, f"Mapped to {len(form.selected())} KSBs.")
        return redirect(evidence)
    query = request.POST.get("q", "").strip()
    return render(
        request,
        "apprentices/evidence_map.html",
        {"form": form, "evidence": evidence, "query": query, "filtering": filtering},
    )


@require_GET
@permission_required("apprentices.view_evidence", raise_exception=True)
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    context = {
        "evidence": evidence,
        "files": evidence.files.select_related("uploaded_by", "removed_by"),
        "mappings": evidence.mappings.select_related("ksb")
        .alias(kind_order=ksb_kind_order("ksb__kind"))
        .order_by("kind_order", "ksb__number"),
        "events": evidence.events.select_related("actor").order_by("-at", "-id"),
        "problems": evidence.submission_problems() if evidence.is_editable else [],
        "can_edit": evidence.can_be_edited_by(request.user),
        "can_review": evidence.can_be_reviewed_by(request.user),
        "can_withdraw": evidence.can_be_withdrawn_by(request.user),
    }
    return render(request, "apprentices/evidence_detail.html", context)


@require_POST
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_submit(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not evidence.can_be_submitted_by(request.user):
        raise PermissionDenied
    try:
        evidence.submit(by=request.user)
    except EvidenceStateError as error:
        messages.error(request, f"The evidence was not submitted. {error}.")
    else:
        messages.success(request, "Evidence submitted to your training provider for review.")
    return redirect(evidence)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not evidence.can_be_withdrawn_by(request.user):
        raise PermissionDenied
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        evidence.withdraw(by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, "Evidence withdrawn. It stays in your history.")
        return redirect(evidence)
    return render(
        request, "apprentices/evidence_withdraw.html", {"form": form, "evidence": evidence}
    )


@require_POST
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_file_remove(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not evidence.can_be_edited_by(request.user):
        raise PermissionDenied
    evidence_file = get_object_or_404(evidence.files, pk=file_pk)
    portfolio.remove_file(evidence_file, by=request.user)
    messages.success(request, f"{evidence_file.original_name} removed from this evidence.")
    return redirect("apprentices:evidence_edit", pk=evidence.pk)


@require_GET
@permission_required("apprentices.view_evidence", raise_exception=True)
def evidence_file_download(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    evidence = _evidence(request, pk)
    evidence_file = get_object_or_404(EvidenceFile, evidence=evidence, pk=file_pk)
    response = FileResponse(
        evidence_file.file.open("rb"),
        as_attachment=True,
        filename=evidence_file.original_name,
        content_type=evidence_file.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@permission_required("apprentices.review_evidence", raise_exception=True)
def review_queue(request: HttpRequest) -> HttpResponse:
    evidence = (
        Evidence.objects.visible_to(request.user)
        .awaiting_review()
        .select_related("apprentice__user")
        .annotate(ksb_count=Count("mappings"))
        .order_by("submitted_at", "id")
    )
    page = Paginator(evidence, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "apprentices/review_queue.html", {"page": page})


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.review_evidence", raise_exception=True)
def evidence_review(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not evidence.can_be_reviewed_by(request.user):
        raise PermissionDenied
    form = ReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "accept":
                evidence.accept(by=request.user, comment=data["comment"])
            else:
                evidence.request_changes(
                    by=request.user, comment=data["comment"], personal_data=data["personal_data"]
                )
        except EvidenceStateError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Decision saved: {evidence.status_label.lower()}.")
        return redirect("apprentices:review_queue")
    return render(request, "apprentices/evidence_review.html", {"form": form, "evidence": evidence})


@require_GET
@permission_required("apprentices.view_apprentice", raise_exception=True)
def apprentice_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    apprentice = _apprentice(request, pk)
    return render(
        request,
        "apprentices/apprentice_coverage.html",
        {"apprentice": apprentice, "coverage": coverage_for(apprentice)},
    )


@require_GET
@permission_required("apprentices.view_cohort", raise_exception=True)
def cohort(request: HttpRequest) -> HttpResponse:
    visible = Apprentice.objects.visible_to(request.user)
    query = CohortQuery.from_request(request, versions=cohort_versions(visible))
    cohort = cohort_for(
        query.filter(visible),
        query.version,
        sort=query.sort_key,
        descending=query.descending,
        gaps_only=query.gaps_only,
    )
    employers = Organisation.objects.filter(employed_apprentices__in=visible).distinct()
    return render(
        request,
        "apprentices/cohort.html",
        {"cohort": cohort, "query": query, "employers": employers},
    )


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_apprentice", raise_exception=True)
def apprentice_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose a version, see what happens to each mapping, then confirm with a reason."""
    apprentice = _apprentice(request, pk)
    if not apprentice.can_be_edited_by(request.user):
        raise PermissionDenied
    choose = MoveVersionForm(request.GET or None, apprentice=apprentice)
    plan = confirm = None
    if choose.is_valid():
        plan = moving.plan_move(apprentice, choose.cleaned_data["to_version"])
        confirm = ConfirmMoveForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and not plan.problems and confirm.is_valid():
            try:
                moving.move_apprentice(
                    apprentice,
                    plan.to_version,
                    by=request.user,
                    reason=confirm.cleaned_data["reason"],
                )
            except EvidenceStateError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request, f"{apprentice.name} moved to version {plan.to_version.version}."
                )
                return redirect(apprentice)
    return render(
        request,
        "apprentices/apprentice_move.html",
        {"apprentice": apprentice, "choose": choose, "plan": plan, "confirm": confirm},
    )
