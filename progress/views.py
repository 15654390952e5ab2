"""Views of off-the-job training and progress reviews, under /apprentices/ (progress.urls)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import dateformat, timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apprentices.models import Apprentice
from apprentices.views import PAGE_SIZE, apprentice_or_404, closed_to_its_apprentice
from progress import reviews, revision, training
from progress.forms import (
    OffTheJobEntryForm,
    OffTheJobPlanForm,
    OffTheJobQueryForm,
    ReviewRecordForm,
    ReviewScheduleForm,
    ReviewSignForm,
    SigningLinkForm,
)
from progress.models import (
    OffTheJobEntry,
    OffTheJobStateError,
    ProgressReview,
    ReviewSignature,
    ReviewStateError,
)
from psp.http import AuthenticatedHttpRequest

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
    # The page and the working need the user and the standard version, not the
    # organisations, the option or the EPA plan of apprentice_or_404 (8 tables: PostgreSQL
    # took 1.5 ms to plan them, 0.25 ms these 4).
    apprentice = get_object_or_404(
        Apprentice.objects.visible_to(request.user).select_related(
            "user", "standard_version__standard"
        ),
        pk=pk,
    )
    # The working and its chart are cached under the progress revision and the date
    # ({% cache %} in the template): the log is worked out only when they are not.
    today = timezone.localdate()
    log = training.LazyLog(apprentice, today=today)
    # What paging and each viewer's actions need; the cells come from training.entry_cells.
    entries = apprentice.off_the_job.only("apprentice", "date", "hours", "status")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # read once, by the cells and the template
    progress = revision.current()
    return render(
        request,
        "progress/off_the_job_log.html",
        {
            "apprentice": apprentice,
            "progress_revision": progress,
            "today": today.isoformat(),
            "working": SimpleLazyObject(lambda: log.log.working),
            "chart": SimpleLazyObject(lambda: log.log.chart),
            "months": SimpleLazyObject(lambda: log.log.months),
            "page": page,
            "rows": training.entry_cells(page.object_list, progress),
            "breaks": SimpleLazyObject(lambda: log.breaks),
            "is_apprentice": apprentice.user_id == request.user.pk,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("progress.add_offthejobentry", raise_exception=True)
def off_the_job_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if closed := closed_to_its_apprentice(request, apprentice):
        return closed
    if not request.user.has_perm("progress.add_offthejobentry", apprentice):
        raise PermissionDenied
    form = OffTheJobEntryForm(
        request.POST if request.method == "POST" else None,
        instance=OffTheJobEntry(apprentice=apprentice),
        apprentice=apprentice,
    )
    if request.method == "POST" and form.is_valid():
        entry = form.save()
        messages.success(request, f"{entry.hours} h of training logged for approval.")
        return redirect("progress:off_the_job_log", pk=apprentice.pk)
    return render(
        request, "progress/off_the_job_form.html", {"form": form, "apprentice": apprentice}
    )


@require_http_methods(["GET", "POST"])
@permission_required("progress.change_offthejobentry", raise_exception=True)
def off_the_job_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    if not request.user.has_perm("progress.change_offthejobentry", entry):
        raise PermissionDenied
    form = OffTheJobEntryForm(
        request.POST if request.method == "POST" else None,
        instance=entry,
        apprentice=entry.apprentice,
    )
    if request.method == "POST" and form.is_valid():
        form.instance.status = OffTheJobEntry.Status.SUBMITTED  # changed: approve it again
        form.save()
        messages.success(request, "Training entry saved and sent for approval again.")
        return redirect(entry)
    return render(
        request,
        "progress/off_the_job_form.html",
        {"form": form, "apprentice": entry.apprentice, "entry": entry},
    )


@require_POST
@permission_required("progress.approve_offthejobentry", raise_exception=True)
def off_the_job_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    if not request.user.has_perm("progress.approve_offthejobentry", entry):
        raise PermissionDenied
    try:
        entry.approve(by=request.user)
    except OffTheJobStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Approved {entry.hours} h of training on {dateformat.format(entry.date, 'j F Y')}.",
        )
    if request.POST.get("from") == "queue":
        return redirect("progress:off_the_job_queue")
    return redirect(entry)


@require_http_methods(["GET", "POST"])
@permission_required("progress.approve_offthejobentry", raise_exception=True)
def off_the_job_query(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    if not request.user.has_perm("progress.approve_offthejobentry", entry):
        raise PermissionDenied
    form = OffTheJobQueryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            entry.query_entry(by=request.user, query=form.cleaned_data["query"])
        except OffTheJobStateError as error:
            messages.error(request, str(error))
        else:
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
    form = OffTheJobPlanForm(
        request.POST if request.method == "POST" else None, instance=apprentice
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Off-the-job training details saved.")
        return redirect("progress:off_the_job_log", pk=apprentice.pk)
    return render(
        request, "progress/off_the_job_plan.html", {"form": form, "apprentice": apprentice}
    )


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
    progress_reviews = apprentice.progress_reviews.annotate(
        signature_count=Count("signatures")
    ).order_by("-due_on", "-id")
    return render(
        request,
        "progress/progress_review_list.html",
        {
            "apprentice": apprentice,
            "progress_reviews": progress_reviews,
            "state": reviews.review_states([apprentice])[apprentice.pk],
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("progress.schedule_progressreview", raise_exception=True)
def progress_review_schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("progress.schedule_progressreview", apprentice):
        raise PermissionDenied
    form = ReviewScheduleForm(
        request.POST if request.method == "POST" else None,
        initial={"due_on": reviews.suggested_date(apprentice)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            review = reviews.schedule_review(
                apprentice, by=request.user, due_on=form.cleaned_data["due_on"]
            )
        except ReviewStateError as error:
            messages.error(request, str(error))
            return redirect("progress:progress_review_list", pk=apprentice.pk)
        messages.success(request, "Review scheduled. The apprentice and employer have been told.")
        return redirect(review)
    return render(
        request,
        "progress/progress_review_schedule.html",
        {"form": form, "apprentice": apprentice},
    )


def _review_context(review: ProgressReview) -> dict[str, Any]:
    """What the review shows: recorded, or (while scheduled) what happened so far."""
    if review.status == ProgressReview.Status.SCHEDULED:
        prefill = reviews.prefill_for(review)
        return {
            "prefill": prefill.as_json(),
            "period_start": prefill.period_start,
            "period_end": prefill.period_end,
            "previous_targets": prefill.previous_targets,
        }
    return {
        "prefill": review.prefill,
        "period_start": review.period_start,
        "period_end": review.held_on,
        "assessed_targets": review.assessed_targets.all(),
        "targets": review.targets.all(),
        "ksb_comments": review.ksb_comments.select_related("ksb"),
    }


@require_GET
@permission_required("progress.view_progressreview", raise_exception=True)
def progress_review_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = _progress_review(request, pk)
    user = request.user
    signatures = list(review.signatures.all())
    signed = {s.party for s in signatures}
    sends_links = user.has_perm("progress.send_signing_link", review)
    return render(
        request,
        "progress/progress_review_detail.html",
        {
            "review": review,
            "apprentice": review.apprentice,
            **_review_context(review),
            "signatures": signatures,
            "unsigned": [
                label for value, label in ReviewSignature.Party.choices if value not in signed
            ],
            "links": review.signing_links.all() if sends_links else [],
            "sign_form": ReviewSignForm()
            if user.has_perm("progress.sign_progressreview", review)
            else None,
            "signing_contact": reviews.signing_contact(review.apprentice),
            "link_form": SigningLinkForm()
            if review.status == ProgressReview.Status.AWAITING_SIGNATURES
            and ReviewSignature.Party.EMPLOYER not in signed
            and sends_links
            else None,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("progress.schedule_progressreview", raise_exception=True)
def progress_review_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = _progress_review(request, pk)
    if not request.user.has_perm("progress.record_progressreview", review):
        raise PermissionDenied
    prefill = reviews.prefill_for(review)
    form = ReviewRecordForm(
        request.POST if request.method == "POST" else None,
        review=review,
        previous_targets=prefill.previous_targets,
    )
    if request.method == "POST" and form.is_valid():
        try:
            reviews.record_review(review, form.record(), by=request.user)
        except ReviewStateError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Review saved. The apprentice and employer can now sign it.")
            return redirect(review)
    return render(
        request,
        "progress/progress_review_record.html",
        {
            "form": form,
            "review": review,
            "apprentice": review.apprentice,
            "prefill": prefill.as_json(),
        },
    )


@require_POST
@permission_required("progress.sign_progressreview", raise_exception=True)
def progress_review_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = _progress_review(request, pk)
    if not request.user.has_perm("progress.sign_progressreview", review):
        raise PermissionDenied
    form = ReviewSignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the box to confirm you agree with the review, then sign.")
        return redirect(review)
    try:
        reviews.sign_review(review, by=request.user)
    except ReviewStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "You signed the review.")
    return redirect(review)


@require_POST
@permission_required("progress.schedule_progressreview", raise_exception=True)
def progress_review_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = _progress_review(request, pk)
    if not request.user.has_perm("progress.send_signing_link", review):
        raise PermissionDenied
    try:
        link = reviews.create_signing_link(review, by=request.user)
    except ReviewStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"We are emailing {link.name} ({link.email}) a link to sign the review."
        )
    return redirect(review)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def progress_review_sign_link(request: HttpRequest, token: str) -> HttpResponse:
    """An employer contact without an account reads and signs one review, once."""
    try:
        link = reviews.link_for_token(token)
    except reviews.SigningLinkError as error:
        return render(
            request, "progress/progress_review_link_invalid.html", {"problem": error}, status=410
        )
    review = link.review
    form = ReviewSignForm(
        request.POST if request.method == "POST" else None,
        ask_name=True,
        initial={"name": link.name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            reviews.sign_review(review, link=link, name=form.cleaned_data["name"])
        except ReviewStateError as error:
            return render(
                request,
                "progress/progress_review_link_invalid.html",
                {"problem": error},
                status=410,
            )
        return render(request, "progress/progress_review_link_signed.html", {"review": review})
    return render(
        request,
        "progress/progress_review_sign_link.html",
        {
            "review": review,
            "apprentice": review.apprentice,
            **_review_context(review),
            "signatures": review.signatures.all(),
            "form": form,
            "link": link,
        },
    )
