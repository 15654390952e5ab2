from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apprentices import moving, pages, portfolio, privacy, revision
from apprentices.coverage import cohort_versions, coverage_for
from apprentices.forms import (
    ApprenticeForm,
    BreakForm,
    EmployerMoveForm,
    ErasureForm,
    EvidenceForm,
    MappingForm,
    ReviewForm,
    WithdrawForm,
)
from apprentices.listing import (
    ApprenticeListQuery,
    CohortQuery,
    EvidenceListQuery,
    ReviewQueueQuery,
)
from apprentices.models import (
    Apprentice,
    BreakInLearning,
    EmployerMove,
    Evidence,
    EvidenceFile,
    EvidenceStateError,
)
from apprentices.uploads import CheckedUpload
from psp import audit
from psp.accounts import send_set_password_email
from psp.downloads import attachment, private_download
from psp.http import AuthenticatedHttpRequest, Refusal
from psp.models import Organisation
from psp.storage import StorageUnavailable

PAGE_SIZE = pages.PAGE_SIZE


def _data(request: AuthenticatedHttpRequest) -> object:
    return request.POST if request.method == "POST" else None


class _Refusal(Refusal):
    """`with _Refusal(request) as refused:` around a domain call: when the evidence's state
    refuses it, says why in an error message (`says` around the reason) and `refused` is
    true."""

    refusals = (EvidenceStateError,)


def apprentice_or_404(request: AuthenticatedHttpRequest, pk: int) -> Apprentice:
    return get_object_or_404(
        Apprentice.objects.visible_to(request.user).select_related(
            "user",
            "standard_version__standard",
            "standard_version__epa_plan",
            "employer",
            "training_provider",
            "epao",
            "option",
        ),
        pk=pk,
    )


def closed_to_its_apprentice(
    request: AuthenticatedHttpRequest, apprentice: Apprentice
) -> HttpResponse | None:
    """Once their EPA result is final, an apprentice's portfolio and training log are closed to
    them: they are told so, back on their page."""
    if apprentice.is_closed and apprentice.user_id == request.user.pk:
        messages.error(
            request,
            "Your end-point assessment result is final, so your portfolio and training log "
            "are closed to changes.",
        )
        return redirect(apprentice)
    return None


def _evidence(request: AuthenticatedHttpRequest, pk: int) -> Evidence:
    return get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related(
            "apprentice__user", "apprentice__standard_version__standard", "reviewed_by"
        ),
        pk=pk,
    )


@require_GET
@permission_required("apprentices.view_apprentice", raise_exception=True)
def apprentice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = ApprenticeListQuery.from_request(request)
    number = request.GET.get("page")
    # Lazy: a table the template finds cached under table_key costs no query for its rows
    # (nor the CPU of building the query set).
    page = SimpleLazyObject(
        lambda: Paginator(
            query.apply(Apprentice.objects.visible_to(request.user)), PAGE_SIZE
        ).get_page(number)
    )
    table_key = pages.apprentice_list_key(request.user, query, number)
    context = {"page": page, "query": query, "table_key": table_key}
    return render(request, "apprentices/apprentice_list.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.add_apprentice", raise_exception=True)
def apprentice_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApprenticeForm(_data(request), by=request.user)
    if request.method == "POST" and form.is_valid():
        apprentice = form.save()
        send_set_password_email(apprentice.user)
        messages.success(
            request, f"{apprentice.name} added. We emailed them a link to set a password."
        )
        return redirect(apprentice)
    return render(request, "apprentices/apprentice_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_apprentice", raise_exception=True)
def apprentice_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("apprentices.change_apprentice", apprentice):
        raise PermissionDenied
    form = ApprenticeForm(_data(request), instance=apprentice, by=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{apprentice.name}'s details saved.")
        return redirect(apprentice)
    return render(
        request, "apprentices/apprentice_form.html", {"form": form, "apprentice": apprentice}
    )


_ASKED = (
    "{move.to_employer} has been asked to accept {apprentice.name}. Until its staff "
    "accept, {apprentice.employer} stays the employer."
)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_apprentice", raise_exception=True)
def employer_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("apprentices.change_apprentice", apprentice):
        raise PermissionDenied
    pending = apprentice.employer_moves.filter(status=EmployerMove.Status.PENDING).first()
    form = EmployerMoveForm(_data(request), apprentice=apprentice)
    if request.method == "POST" and pending is None and form.is_valid():
        move = moving.request_employer_move(apprentice, by=request.user, **form.cleaned_data)
        messages.success(request, _ASKED.format(move=move, apprentice=apprentice))
        return redirect(apprentice)
    context = {"form": form, "apprentice": apprentice, "pending": pending}
    return render(request, "apprentices/employer_move_form.html", context)


@require_POST
@permission_required("apprentices.decide_employermove", raise_exception=True)
def employer_move_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    move = get_object_or_404(
        EmployerMove.objects.select_related("apprentice__user"),
        pk=pk,
        to_employer_id=request.user.organisation_id or 0,
    )
    if not request.user.has_perm("apprentices.decide_employermove", move):
        raise PermissionDenied
    accept = request.POST.get("decision") == "accept"
    move.decide(accept=accept, by=request.user)
    name = move.apprentice.name
    messages.success(
        request, f"{name} is now your apprentice." if accept else f"Move of {name} declined."
    )
    return redirect("home")


@require_GET
@permission_required("apprentices.view_apprentice", raise_exception=True)
def apprentice_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    number = revision.current()
    apprentice = pages.portfolio_apprentice(request.user, pk, evidence_revision=number)
    query = EvidenceListQuery.from_request(request)
    context = pages.portfolio_page(
        apprentice, query, request.GET.get("page"), evidence_revision=number
    )
    return render(request, "apprentices/apprentice_detail.html", context)


def _say_metadata_removed(request: AuthenticatedHttpRequest, checked: list[CheckedUpload]) -> None:
    """Tell the apprentice what was done to their files and what was not checked."""
    names = [upload.name for upload in checked if upload.metadata_removed]
    if names:
        messages.info(
            request,
            f"Hidden details (camera, date taken, location) were removed from {', '.join(names)}"
            " before it was kept.",
        )
    for upload in checked:
        if upload.text_unread:
            messages.info(
                request,
                f"{upload.name}: {upload.text_unread} could not be checked for details that "
                "identify people. Check them yourself before you submit the evidence.",
            )


class _Store:
    """`with store:` around saving evidence with its files: when the file store is down, the
    form says so on its uploads and the page answers 503."""

    def __init__(self, form: EvidenceForm) -> None:
        self.form, self.down = form, False

    def __enter__(self) -> _Store:
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> bool:
        if not isinstance(error, StorageUnavailable):
            return False
        self.form.add_error("uploads", str(error))
        self.down = True
        return True

    @property
    def status(self) -> int:
        return 503 if self.down else 200


def _evidence_form(
    request: AuthenticatedHttpRequest, instance: Evidence | None = None
) -> tuple[EvidenceForm, _Store]:
    posted = request.method == "POST"
    form = EvidenceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        instance=instance,
        oversized=getattr(request, "oversized_uploads", []),
        max_mb=settings.EVIDENCE_MAX_UPLOAD_MB,
    )
    return form, _Store(form)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.add_evidence", raise_exception=True)
def evidence_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if closed := closed_to_its_apprentice(request, apprentice):
        return closed
    if not request.user.has_perm("apprentices.add_evidence", apprentice):
        raise PermissionDenied
    form, store = _evidence_form(request)
    if request.method == "POST" and form.is_valid():
        with store:
            evidence = portfolio.create_evidence(apprentice, by=request.user, **form.changes())
        if not store.down:
            messages.success(request, "Evidence saved as a draft. Now map it to the KSBs it shows.")
            _say_metadata_removed(request, form.cleaned_data["uploads"])
            return redirect("apprentices:evidence_map", pk=evidence.pk)
    context = {"form": form, "apprentice": apprentice}
    return render(request, "apprentices/evidence_form.html", context, status=store.status)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not request.user.has_perm("apprentices.change_evidence", evidence):
        raise PermissionDenied
    form, store = _evidence_form(request, instance=evidence)
    if request.method == "POST" and form.is_valid():
        evidence.refresh_from_db()
        with store:
            portfolio.update_evidence(evidence, by=request.user, **form.changes())
        if not store.down:
            messages.success(request, "Evidence saved.")
            _say_metadata_removed(request, form.cleaned_data["uploads"])
            return redirect(evidence)
    context = {**pages.evidence_form_page(evidence), "form": form}
    return render(request, "apprentices/evidence_form.html", context, status=store.status)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_map(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not request.user.has_perm("apprentices.change_evidence", evidence):
        raise PermissionDenied
    ksbs = list(evidence.apprentice.standard_version.ksbs.in_standard_order())
    current = dict(evidence.mappings.values_list("ksb_id", "note"))
    form = MappingForm(_data(request), ksbs=ksbs, current=current)
    # "Find" posts the ticked boxes too, so searching without JavaScript loses nothing.
    filtering = request.POST.get("action") == "filter"
    if request.method == "POST" and not filtering and form.is_valid():
        portfolio.set_mappings(evidence, form.selected(), by=request.user)
        messages.success(request, f"Mapped to {len(form.selected())} KSBs.")
        return redirect(evidence)
    query = request.POST.get("q", "").strip()
    context = {"form": form, "evidence": evidence, "query": query, "filtering": filtering}
    return render(request, "apprentices/evidence_map.html", context)


@require_GET
@permission_required("apprentices.view_evidence", raise_exception=True)
def evidence_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    number = revision.current()
    evidence, problems = pages.evidence_item(request.user, pk, evidence_revision=number)
    context = pages.evidence_page(
        evidence,
        request.user,
        problems=problems,
        evidence_revision=number,
        audit_page=request.GET.get("audit_page"),
    )
    return render(request, "apprentices/evidence_detail.html", context)


@require_POST
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not request.user.has_perm("apprentices.submit_evidence", evidence):
        raise PermissionDenied
    with _Refusal(request, says="The evidence was not submitted. {}.") as refused:
        evidence.submit(by=request.user)
    if not refused:
        messages.success(request, "Evidence submitted to your training provider for review.")
    return redirect(evidence)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not request.user.has_perm("apprentices.withdraw_evidence", evidence):
        raise PermissionDenied
    form = WithdrawForm(_data(request))
    if request.method == "POST" and form.is_valid():
        evidence.withdraw(by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, "Evidence withdrawn. It stays in your history.")
        return redirect(evidence)
    return render(
        request, "apprentices/evidence_withdraw.html", {"form": form, "evidence": evidence}
    )


@require_POST
@permission_required("apprentices.change_evidence", raise_exception=True)
def evidence_file_remove(request: AuthenticatedHttpRequest, pk: int, file_pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not request.user.has_perm("apprentices.change_evidence", evidence):
        raise PermissionDenied
    evidence_file = get_object_or_404(evidence.files, pk=file_pk)
    portfolio.remove_file(evidence_file, by=request.user)
    messages.success(request, f"{evidence_file.original_name} removed from this evidence.")
    return redirect("apprentices:evidence_edit", pk=evidence.pk)


@require_GET
@permission_required("apprentices.view_evidence", raise_exception=True)
def evidence_file_download(
    request: AuthenticatedHttpRequest, pk: int, file_pk: int
) -> HttpResponseBase:
    evidence = _evidence(request, pk)
    # A file removed under the retention schedule or by erasure has no content left.
    evidence_file = get_object_or_404(
        EvidenceFile.objects.exclude(file=""), evidence=evidence, pk=file_pk
    )
    return _audited_download(request, evidence_file)


def _audited_download(
    request: AuthenticatedHttpRequest, evidence_file: EvidenceFile
) -> HttpResponseBase:
    """The file, and in the audit trail who downloaded it, when it was handed out."""
    response = private_download(
        request,
        evidence_file.file,
        filename=evidence_file.original_name,
        content_type=evidence_file.content_type,
        size=evidence_file.size,
    )
    if response.status_code >= 400:
        return response  # the file store is down: nothing was handed out
    audit.log_event(
        "download",
        evidence_file,
        by=request.user,
        summary=f"{evidence_file.original_name} ({evidence_file.sha256})",
    )
    return response


@require_GET
@permission_required("apprentices.review_evidence", raise_exception=True)
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = ReviewQueueQuery.from_request(request)
    context = pages.review_queue_page(request.user, query, request.GET.get("page"))
    return render(request, "apprentices/review_queue.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.review_evidence", raise_exception=True)
def evidence_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    if not request.user.has_perm("apprentices.review_evidence", evidence):
        raise PermissionDenied
    form = ReviewForm(_data(request))
    if request.method == "POST" and form.is_valid():
        with _Refusal(request) as refused:
            portfolio.review(evidence, by=request.user, **form.cleaned_data)
        if not refused:
            messages.success(request, f"Decision saved: {evidence.status_label.lower()}.")
        return redirect("apprentices:review_queue")
    context = {**pages.review_page(evidence), "form": form}
    return render(request, "apprentices/evidence_review.html", context)


@require_GET
@permission_required("apprentices.view_apprentice", raise_exception=True)
def apprentice_coverage(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    return render(
        request,
        "apprentices/apprentice_coverage.html",
        {"apprentice": apprentice, "coverage": coverage_for(apprentice)},
    )


@require_GET
@permission_required("apprentices.view_cohort", raise_exception=True)
def cohort(request: AuthenticatedHttpRequest) -> HttpResponse:
    visible = Apprentice.objects.visible_to(request.user)
    query = CohortQuery.from_request(request, versions=cohort_versions(visible))
    heatmap = pages.cohort_page(visible, query, request.user)
    employers = Organisation.objects.filter(employed_apprentices__in=visible).distinct()
    context = {"heatmap": heatmap, "query": query, "employers": employers}
    return render(request, "apprentices/cohort.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_apprentice", raise_exception=True)
def apprentice_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Choose a version, see what happens to each mapping, then confirm with a reason."""
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("apprentices.change_apprentice", apprentice):
        raise PermissionDenied
    context = pages.move_page(apprentice, request.GET or None, _data(request))
    plan, confirm = context["plan"], context["confirm"]
    if request.method == "POST" and plan is not None and not plan.problems and confirm.is_valid():
        with _Refusal(request) as refused:
            moving.move_apprentice(apprentice, plan.to_version, by=request.user, **confirm.move())
        if not refused:
            version = plan.to_version.version
            messages.success(request, f"{apprentice.name} moved to version {version}.")
            return redirect(apprentice)
    return render(request, "apprentices/apprentice_move.html", context)


# Breaks in learning (off-the-job training is in progress.views)


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.add_breakinlearning", raise_exception=True)
def break_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("apprentices.change_apprentice", apprentice):
        raise PermissionDenied
    form = BreakForm(
        _data(request),
        instance=BreakInLearning(apprentice=apprentice, recorded_by=request.user),
        apprentice=apprentice,
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Break in learning added.")
        return redirect("progress:off_the_job_log", pk=apprentice.pk)
    return render(request, "apprentices/break_form.html", {"form": form, "apprentice": apprentice})


@require_POST
@permission_required("apprentices.delete_breakinlearning", raise_exception=True)
def break_remove(request: AuthenticatedHttpRequest, pk: int, break_pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("apprentices.change_apprentice", apprentice):
        raise PermissionDenied
    pause = get_object_or_404(apprentice.breaks, pk=break_pk)
    pause.delete()
    messages.success(request, f"{pause} removed.")
    return redirect("progress:off_the_job_log", pk=apprentice.pk)


# Data protection (apprentices.privacy): a copy of everything held, and erasure.


@require_GET
@permission_required("apprentices.view_apprentice", raise_exception=True)
def apprentice_data(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("apprentices.export_apprentice", apprentice):
        raise PermissionDenied
    years = {
        "portfolio": settings.RETENTION_EVIDENCE_YEARS,
        "results": settings.RETENTION_EPA_RESULTS_YEARS,
    }
    context = {"apprentice": apprentice, "schedule": privacy.schedule_for(apprentice)}
    return render(request, "apprentices/apprentice_data.html", {**context, "years": years})


@require_GET
@never_cache
@permission_required("apprentices.view_apprentice", raise_exception=True)
def apprentice_data_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The zip is written to a temporary file as it is made, then streamed from it."""
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("apprentices.export_apprentice", apprentice):
        raise PermissionDenied
    archive, size = privacy.export_file(apprentice)  # the response closes it
    name = f"psp-data-{apprentice.pk}-{timezone.localdate():%Y-%m-%d}.zip"
    response = attachment(archive, filename=name, content_type="application/zip", size=size)
    audit.log_event("download", apprentice, by=request.user, summary=privacy.SUBJECT_ACCESS_SUMMARY)
    return response


@require_http_methods(["GET", "POST"])
@permission_required("psp.change_user", raise_exception=True)
def apprentice_erase(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    problems = privacy.erasure_problems(apprentice)
    form = ErasureForm(_data(request))
    if request.method == "POST" and not problems and form.is_valid():
        try:
            removal = privacy.erase(apprentice, by=request.user)
        except privacy.ErasureRefused as error:
            messages.error(request, f"Nothing was erased. {error}.")
        else:
            messages.success(request, f"Personal data erased: {removal.describe()}.")
        return redirect(apprentice)
    preview = None if problems else privacy.erase(apprentice, by=request.user, dry_run=True)
    context = {"apprentice": apprentice, "problems": problems, "preview": preview, "form": form}
    return render(request, "apprentices/apprentice_erase.html", context)
