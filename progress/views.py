"""Views of off-the-job training and progress reviews, under /apprentices/ (progress.urls)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import dateformat
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apprentices.views import PAGE_SIZE, apprentice_or_404, closed_to_its_apprentice
from progress import pages, reviews
from progress.forms import (
    OffTheJobEntryForm,
    OffTheJobPlanForm,
    OffTheJobQueryForm,
    ReviewRecordForm,
    ReviewScheduleForm,
    ReviewSignForm,
)
from progress.models import OffTheJobEntry, OffTheJobStateError, ProgressReview, ReviewStateError
from psp.http import AuthenticatedHttpRequest, Refusal


def _data(request: HttpRequest) -> object:
    return request.POST if request.method == "POST" else None


class _Refusal(Refusal):
    """`with _Refusal(request) as refused:` around a domain call: when the entry's or the
    review's state refuses it, the reason is an error message and `refused` is true."""

    refusals = (OffTheJobStateError, ReviewStateError)


# Off-the-job training


def _entry(request: AuthenticatedHttpRequest, pk: int) -> OffTheJobEntry:
    return get_object_or_404(
        OffTheJobEntry.objects.visible_to(request.user).select_related(
            "apprentice__user", "apprentice__standard_version"
        ),
        pk=pk,
    )


@require_GET
@permission_required("progress.view_offthejobentry", raise_exception=True)
def off_the_job_log(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The working of the requirement, planned against actual, breaks and the entries."""
    context = pages.off_the_job_log_page(request.user, pk, request.GET.get("page"))
    return render(request, "progress/off_the_job_log.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("progress.add_offthejobentry", raise_exception=True)
def off_the_job_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if closed := closed_to_its_apprentice(request, apprentice):
        return closed
    if not request.user.has_perm("progress.add_offthejobentry", apprentice):
        raise PermissionDenied
    form = OffTheJobEntryForm.for_apprentice(_data(request), apprentice)
    if request.method == "POST" and form.is_valid():
        entry = form.save()
        messages.success(request, f"{entry.hours} h of training logged for approval.")
        return redirect("progress:off_the_job_log", pk=apprentice.pk)
    context = {"form": form, "apprentice": apprentice}
    return render(request, "progress/off_the_job_form.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("progress.change_offthejobentry", raise_exception=True)
def off_the_job_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    if not request.user.has_perm("progress.change_offthejobentry", entry):
        raise PermissionDenied
    form = OffTheJobEntryForm.for_entry(_data(request), entry)
    if request.method == "POST" and form.is_valid():
        form.resubmit()
        messages.success(request, "Training entry saved and sent for approval again.")
        return redirect(entry)
    context = {"form": form, "apprentice": entry.apprentice, "entry": entry}
    return render(request, "progress/off_the_job_form.html", context)


@require_POST
@permission_required("progress.approve_offthejobentry", raise_exception=True)
def off_the_job_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    if not request.user.has_perm("progress.approve_offthejobentry", entry):
        raise PermissionDenied
    with _Refusal(request) as refused:
        entry.approve(by=request.user)
    if not refused:
        day = dateformat.format(entry.date, "j F Y")
        messages.success(request, f"Approved {entry.hours} h of training on {day}.")
    if request.POST.get("from") == "queue":
        return redirect("progress:off_the_job_queue")
    return redirect(entry)


@require_http_methods(["GET", "POST"])
@permission_required("progress.approve_offthejobentry", raise_exception=True)
def off_the_job_query(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    if not request.user.has_perm("progress.approve_offthejobentry", entry):
        raise PermissionDenied
    form = OffTheJobQueryForm(_data(request))
    if request.method == "POST" and form.is_valid():
        with _Refusal(request) as refused:
            entry.query_entry(by=request.user, query=form.cleaned_data["query"])
        if not refused:
            messages.success(request, "Entry queried. The apprentice can edit it and resubmit.")
        return redirect(entry)
    return render(request, "progress/off_the_job_query.html", {"form": form, "entry": entry})


@require_GET
@permission_required("progress.approve_offthejobentry", raise_exception=True)
def off_the_job_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    entries = (
        OffTheJobEntry.objects.visible_to(request.user)
        .awaiting_approval()
        .select_related("apprentice__user")
        .order_by("created_at", "id")
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "progress/off_the_job_queue.html", {"page": page})


@require_http_methods(["GET", "POST"])
@permission_required("apprentices.change_apprentice", raise_exception=True)
def off_the_job_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("apprentices.change_apprentice", apprentice):
        raise PermissionDenied
    form = OffTheJobPlanForm(_data(request), instance=apprentice)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Off-the-job training details saved.")
        return redirect("progress:off_the_job_log", pk=apprentice.pk)
    context = {"form": form, "apprentice": apprentice}
    return render(request, "progress/off_the_job_plan.html", context)


# Progress reviews


def _progress_review(request: AuthenticatedHttpRequest, pk: int) -> ProgressReview:
    return get_object_or_404(
        ProgressReview.objects.visible_to(request.user).select_related(
            "apprentice__user",
            "apprentice__standard_version__standard",
            "apprentice__employer",
            "apprentice__training_provider",
            "recorded_by",
        ),
        pk=pk,
    )


@require_GET
@permission_required("progress.view_progressreview", raise_exception=True)
def progress_review_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    context = pages.review_list_page(apprentice)
    return render(request, "progress/progress_review_list.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("progress.schedule_progressreview", raise_exception=True)
def progress_review_schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("progress.schedule_progressreview", apprentice):
        raise PermissionDenied
    form = ReviewScheduleForm.for_apprentice(_data(request), apprentice)
    if request.method == "POST" and form.is_valid():
        with _Refusal(request) as refused:
            review = reviews.schedule_review(apprentice, by=request.user, **form.schedule())
        if refused:
            return redirect("progress:progress_review_list", pk=apprentice.pk)
        messages.success(request, "Review scheduled. The apprentice and employer have been told.")
        return redirect(review)
    context = {"form": form, "apprentice": apprentice}
    return render(request, "progress/progress_review_schedule.html", context)


@require_GET
@permission_required("progress.view_progressreview", raise_exception=True)
def progress_review_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = _progress_review(request, pk)
    context = pages.review_page(review, request.user)
    return render(request, "progress/progress_review_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("progress.schedule_progressreview", raise_exception=True)
def progress_review_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = _progress_review(request, pk)
    if not request.user.has_perm("progress.record_progressreview", review):
        raise PermissionDenied
    prefill = reviews.prefill_for(review)
    targets = prefill.previous_targets
    form = ReviewRecordForm(_data(request), review=review, previous_targets=targets)
    if request.method == "POST" and form.is_valid():
        with _Refusal(request) as refused:
            reviews.record_review(review, form.record(), by=request.user)
        if not refused:
            messages.success(request, "Review saved. The apprentice and employer can now sign it.")
            return redirect(review)
    context = {**pages.record_page(review, prefill), "form": form}
    return render(request, "progress/progress_review_record.html", context)


@require_POST
@permission_required("progress.sign_progressreview", raise_exception=True)
def progress_review_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = _progress_review(request, pk)
    if not request.user.has_perm("progress.sign_progressreview", review):
        raise PermissionDenied
    if not ReviewSignForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm you agree with the review, then sign.")
        return redirect(review)
    with _Refusal(request) as refused:
        reviews.sign_review(review, by=request.user)
    if not refused:
        messages.success(request, "You signed the review.")
    return redirect(review)


@require_POST
@permission_required("progress.schedule_progressreview", raise_exception=True)
def progress_review_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = _progress_review(request, pk)
    if not request.user.has_perm("progress.send_signing_link", review):
        raise PermissionDenied
    with _Refusal(request) as refused:
        link = reviews.create_signing_link(review, by=request.user)
    if not refused:
        messages.success(
            request, f"We are emailing {link.name} ({link.email}) a link to sign the review."
        )
    return redirect(review)


def _link_refused(request: HttpRequest, problem: Exception) -> HttpResponse:
    """A signing link that cannot be used (any more): why, with 410 Gone."""
    return render(
        request, "progress/progress_review_link_invalid.html", {"problem": problem}, status=410
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def progress_review_sign_link(request: HttpRequest, token: str) -> HttpResponse:
    """An employer contact without an account reads and signs one review, once."""
    try:
        link = reviews.link_for_token(token)
    except reviews.SigningLinkError as error:
        return _link_refused(request, error)
    form = ReviewSignForm.for_link(_data(request), link)
    if request.method == "POST" and form.is_valid():
        try:
            reviews.sign_review(link.review, link=link, name=form.cleaned_data["name"])
        except ReviewStateError as error:
            return _link_refused(request, error)
        return render(request, "progress/progress_review_link_signed.html", {"review": link.review})
    context = pages.sign_link_page(link, form)
    return render(request, "progress/progress_review_sign_link.html", context)
