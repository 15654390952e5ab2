from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apprentices.models import Apprentice
from apprentices.views import apprentice_or_404
from epa import gateway as gateway_flow
from epa import grading, pages
from epa.forms import (
    AmendmentForm,
    AssessmentForm,
    AssignAssessorForm,
    ConflictEndForm,
    ConflictForm,
    ConflictWithdrawForm,
    EnglishMathsForm,
    GatewayDecisionForm,
    ModerationForm,
    ResitForm,
    ScheduleForm,
    SubmissionForm,
)
from epa.listing import EpaListQuery, GatewayQueueQuery
from epa.models import (
    ConflictOfInterest,
    Epa,
    EpaStateError,
    GatewayAttempt,
    GatewayItem,
    MethodAssessment,
    MethodSubmission,
)
from psp.downloads import private_download
from psp.http import AuthenticatedHttpRequest, Refusal

PAGE_SIZE = 25


def _data(request: AuthenticatedHttpRequest) -> object:
    return request.POST if request.method == "POST" else None


def _epa(request: AuthenticatedHttpRequest, pk: int) -> Epa:
    return get_object_or_404(
        Epa.objects.visible_to(request.user).select_related(
            "apprentice__user",
            "apprentice__standard_version__standard",
            "apprentice__standard_version__epa_plan",
            "apprentice__employer",
            "apprentice__training_provider",
            "apprentice__epao",
            "assessor",
            "gateway",
        ),
        pk=pk,
    )


class _Refusal(Refusal):
    """`with _Refusal(request, form, field) as refused:` around a domain call: when the EPA's
    state refuses it, says why (on the form's `field` when there is a form, else as an error
    message, `says` around the reason) and `refused` is true."""

    refusals = (EpaStateError,)


def _turned_back(request: AuthenticatedHttpRequest, why: str, to: Epa) -> HttpResponse:
    """Says `why` the page cannot be used (an error message), back on the EPA's page."""
    messages.error(request, why)
    return redirect(to)


@require_GET
@permission_required("epa.decide_gateway", raise_exception=True)
def gateway_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The gateways submitted to the user's EPAO and not yet decided."""
    query = GatewayQueueQuery.from_request(request)
    attempts = query.apply(GatewayAttempt.objects.visible_to(request.user).to_decide())
    page = Paginator(attempts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "epa/gateway_queue.html", {"page": page, "query": query})


@require_GET
@permission_required("epa.confirm_gateway", raise_exception=True)
def gateway_confirmations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The gateway items waiting for the user's organisation to confirm."""
    items = GatewayItem.objects.awaiting_confirmation_by(request.user)
    items = items.select_related("attempt__apprentice__user").defer("attempt__pack")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "epa/gateway_confirmations.html", {"page": page})


@require_GET
@permission_required("epa.view_gatewayattempt", raise_exception=True)
def gateway(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The apprentice with their name, standard and plan, from the cache (the rest by id).
    numbers = pages.revisions()
    cached = pages.gateway_cached(pk, numbers)
    apprentice = pages.visible_apprentice(pk, request.user, numbers, cached)
    context = pages.gateway_page(apprentice, request.user, numbers, cached)
    return render(request, "epa/gateway.html", context)


@require_POST
@permission_required("epa.prepare_gateway", raise_exception=True)
def gateway_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    if not request.user.has_perm("epa.prepare_gateway", apprentice):
        raise PermissionDenied
    with _Refusal(request) as refused:
        gateway_flow.start_gateway(apprentice, by=request.user)
    if not refused:
        messages.success(request, "Gateway started. Complete the checklist, then submit it.")
    return redirect("epa:gateway", pk=apprentice.pk)


@require_http_methods(["GET", "POST"])
@permission_required("epa.confirm_gateway", raise_exception=True)
def gateway_item_confirm(request: AuthenticatedHttpRequest, pk: int, item_pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    item = get_object_or_404(GatewayItem, pk=item_pk, attempt__apprentice=apprentice)
    if not request.user.has_perm("epa.confirm_gateway", item):
        raise PermissionDenied
    form = EnglishMathsForm(_data(request)) if item.kind == GatewayItem.Kind.ENGLISH_MATHS else None
    if request.method == "POST" and (form is None or form.is_valid()):
        fields = form.cleaned_data if form else {"details": request.POST.get("details", "")}
        gateway_flow.confirm_item(item, by=request.user, **fields)
        messages.success(request, f"Confirmed: {item.text}")
        return redirect("epa:gateway", pk=apprentice.pk)
    return render(
        request,
        "epa/gateway_item_confirm.html",
        {"apprentice": apprentice, "item": item, "form": form},
    )


@require_POST
@permission_required("epa.prepare_gateway", raise_exception=True)
def gateway_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    attempt = pages.current_attempt(apprentice)
    if attempt is None or not request.user.has_perm("epa.prepare_gateway", apprentice):
        raise PermissionDenied
    with _Refusal(request, says="The gateway was not submitted: {}.") as refused:
        gateway_flow.submit_gateway(attempt, by=request.user)
    if not refused:
        messages.success(request, f"Gateway submitted to the EPAO. Pack hash {attempt.pack_hash}.")
    return redirect("epa:gateway", pk=apprentice.pk)


_REJECTED = (
    "Gateway attempt {attempt.number} for {apprentice.name} rejected. The training "
    "provider has been told why and can submit a new attempt."
)


def _gateway_decided(
    request: AuthenticatedHttpRequest,
    apprentice: Apprentice,
    attempt: GatewayAttempt,
    epa: Epa | None,
) -> HttpResponse:
    """Accepted: the EPA (its period started) is next. Rejected: the apprentice is back on
    programme, out of the EPAO's sight: home lists what is still to decide."""
    if epa:
        messages.success(request, "Gateway accepted. The EPA period has started.")
        return redirect(epa)
    messages.success(request, _REJECTED.format(attempt=attempt, apprentice=apprentice))
    return redirect("home")


@require_http_methods(["GET", "POST"])
@permission_required("epa.decide_gateway", raise_exception=True)
def gateway_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    attempt = pages.current_attempt(apprentice)
    if attempt is None or not request.user.has_perm("epa.decide_gateway", attempt):
        raise PermissionDenied
    form = GatewayDecisionForm(_data(request), items=list(attempt.items.all()))
    if request.method == "POST" and form.is_valid():
        with _Refusal(request) as refused:
            epa = gateway_flow.decide_gateway(attempt, by=request.user, **form.decision())
        if refused:
            return redirect("epa:gateway", pk=apprentice.pk)
        return _gateway_decided(request, apprentice, attempt, epa)
    context = {"apprentice": apprentice, "attempt": attempt, "form": form}
    return render(request, "epa/gateway_decide.html", context)


@require_GET
@permission_required("epa.view_gatewayattempt", raise_exception=True)
def gateway_pack(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    apprentice = apprentice_or_404(request, pk)
    attempt = get_object_or_404(apprentice.gateway_attempts, number=number, pack__isnull=False)
    return render(
        request,
        "epa/gateway_pack.html",
        {
            "apprentice": apprentice,
            "attempt": attempt,
            "supplement": gateway_flow.supplement(attempt),
        },
    )


def _own_conflict(request: AuthenticatedHttpRequest, pk: int) -> ConflictOfInterest:
    return get_object_or_404(
        ConflictOfInterest.objects.visible_to(request.user).select_related(
            "organisation", "apprentice__user"
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
@permission_required("epa.declare_conflict", raise_exception=True)
def conflict_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conflict = _own_conflict(request, pk)
    if not request.user.has_perm("epa.end_conflict", conflict):
        raise PermissionDenied
    form = ConflictEndForm(_data(request))
    if request.method == "POST" and form.is_valid():
        with _Refusal(request, form, "ends_on") as refused:
            conflict.end(on=form.cleaned_data["ends_on"], by=request.user)
        if not refused:
            messages.success(request, f"Conflict of interest ended: {conflict}, {conflict.period}.")
            return redirect("epa:conflict_list")
    heading = "End a conflict of interest"
    context = {"conflict": conflict, "form": form, "heading": heading, "ending": True}
    return render(request, "epa/conflict_change.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("epa.declare_conflict", raise_exception=True)
def conflict_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conflict = _own_conflict(request, pk)
    if not request.user.has_perm("epa.withdraw_conflict", conflict):
        raise PermissionDenied
    form = ConflictWithdrawForm(_data(request))
    if request.method == "POST" and form.is_valid():
        with _Refusal(request, form, "reason") as refused:
            conflict.withdraw(reason=form.cleaned_data["reason"], by=request.user)
        if not refused:
            messages.success(request, f"Declaration withdrawn: {conflict}.")
            return redirect("epa:conflict_list")
    heading = "Withdraw a declaration made in error"
    context = {"conflict": conflict, "form": form, "heading": heading}
    return render(request, "epa/conflict_change.html", context)


@require_GET
@permission_required("epa.view_epa", raise_exception=True)
def epa_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = EpaListQuery.from_request(request)
    epas = query.apply(Epa.objects.visible_to(request.user))
    page = Paginator(epas, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "epa/epa_list.html", {"page": page, "query": query, "today": timezone.localdate()}
    )


@require_GET
@permission_required("epa.view_epa", raise_exception=True)
def epa_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    epa = _epa(request, pk)
    context = pages.epa_page(epa, request.user, audit_page=request.GET.get("audit_page"))
    return render(request, "epa/epa_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("epa.manage_epa", raise_exception=True)
def epa_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    epa = _epa(request, pk)
    if not request.user.has_perm("epa.manage_epa", epa):
        raise PermissionDenied
    form = AssignAssessorForm(_data(request), epao_id=epa.apprentice.epao_id)
    if request.method == "POST" and form.is_valid():
        assessor = form.cleaned_data["assessor"]
        with _Refusal(request, form, "assessor") as refused:
            grading.assign_assessor(epa, assessor, by=request.user)
        if not refused:
            messages.success(request, f"{assessor} assigned.")
            return redirect(epa)
    heading = "Assign an independent assessor"
    context = {"epa": epa, "form": form, "heading": heading, "conflicts_link": True}
    return render(request, "epa/epa_form.html", context)


@require_GET
@permission_required("epa.view_conflictofinterest", raise_exception=True)
def conflict_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    conflicts = ConflictOfInterest.objects.visible_to(request.user).select_related(
        "assessor", "organisation", "apprentice__user"
    )
    return render(request, "epa/conflict_list.html", {"conflicts": conflicts})


@require_http_methods(["GET", "POST"])
@permission_required("epa.declare_conflict", raise_exception=True)
def conflict_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ConflictForm(_data(request), assessor=request.user)
    if request.method == "POST" and form.is_valid():
        conflict = ConflictOfInterest.objects.create(assessor=request.user, **form.conflict())
        messages.success(request, f"Conflict of interest declared: {conflict.whom}.")
        return redirect("epa:conflict_list")
    return render(request, "epa/conflict_form.html", {"form": form})


def _assessment(
    request: AuthenticatedHttpRequest, pk: int, assessment_pk: int, *, may: str = ""
) -> MethodAssessment:
    """The assessment with its method and EPA, and of the EPA what the pages of one
    assessment show or ask: the apprentice's name, the plan and the gateway's number. One
    query of seven tables: `_epa`'s eleven took PostgreSQL 3-20 ms to plan (the grading
    form's costliest query), this one under 2. With `may`, the user must have that
    permission on the assessment (403 otherwise)."""
    assessment = get_object_or_404(
        MethodAssessment.objects.filter(
            epa__in=Epa.objects.visible_to(request.user)
        ).select_related(
            "method",
            "epa__apprentice__user",
            "epa__apprentice__standard_version__epa_plan",
            "epa__gateway",
        ),
        epa_id=pk,
        pk=assessment_pk,
    )
    if may and not request.user.has_perm(may, assessment):
        raise PermissionDenied
    return assessment


@require_http_methods(["GET", "POST"])
@permission_required("epa.manage_epa", raise_exception=True)
def assessment_schedule(
    request: AuthenticatedHttpRequest, pk: int, assessment_pk: int
) -> HttpResponse:
    assessment = _assessment(request, pk, assessment_pk)
    if not request.user.has_perm("epa.manage_epa", assessment.epa):
        raise PermissionDenied
    form = ScheduleForm.for_assessment(_data(request), assessment)
    if request.method == "POST" and form.is_valid():
        with _Refusal(request, form, "date") as refused:
            grading.schedule(assessment, by=request.user, **form.schedule())
        if not refused:
            messages.success(request, f"{assessment.method.name} scheduled.")
            return redirect(assessment.epa)
    heading = f"Schedule: {assessment.method.name}"
    context = {"epa": assessment.epa, "form": form, "heading": heading}
    return render(request, "epa/epa_form.html", context)


_LATE = (
    "{submission.original_name} handed in after the deadline of "
    "{submission.due_on:%-d %B %Y}. Your assessor will see that it was late."
)


@require_http_methods(["GET", "POST"])
@permission_required("epa.submit_material", raise_exception=True)
def submission_add(request: AuthenticatedHttpRequest, pk: int, assessment_pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, assessment_pk, may="epa.submit_material")
    form = SubmissionForm(_data(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        submission = grading.hand_in(assessment, data["upload"], kind=data["kind"], by=request.user)
        if submission.is_late:
            messages.warning(request, _LATE.format(submission=submission))
        else:
            messages.success(request, f"{submission.original_name} handed in.")
        return redirect(assessment.epa)
    context = {"epa": assessment.epa, "assessment": assessment, "form": form}
    return render(request, "epa/submission_form.html", context)


@require_GET
@permission_required("epa.view_epa", raise_exception=True)
def submission_download(
    request: AuthenticatedHttpRequest, pk: int, assessment_pk: int, submission_pk: int
) -> HttpResponseBase:
    assessment = _assessment(request, pk, assessment_pk)
    submission = get_object_or_404(
        MethodSubmission.objects.exclude(file=""), assessment=assessment, pk=submission_pk
    )
    return private_download(
        request,
        submission.file,
        filename=submission.original_name,
        content_type=submission.content_type,
        size=submission.size,
    )


def _say_recorded(request: AuthenticatedHttpRequest, assessment: MethodAssessment) -> None:
    """Tell the assessor the provisional grade saved, and to check a duration out of line."""
    name, grade = assessment.method.name, assessment.final_grade
    messages.success(request, f"{name} saved: provisional grade {grade}.")
    if assessment.duration_warning:
        messages.warning(request, f"Check the duration: {assessment.duration_warning}.")


@require_http_methods(["GET", "POST"])
@permission_required("epa.grade_epa", raise_exception=True)
def assessment_record(
    request: AuthenticatedHttpRequest, pk: int, assessment_pk: int
) -> HttpResponse:
    if request.method == "GET":
        return _assessment_form(request, pk, assessment_pk)
    assessment = _assessment(request, pk, assessment_pk, may="epa.record_assessment")
    form = AssessmentForm.for_assessment(request.POST, assessment)
    if form.is_valid():
        seen = form.cleaned_data["seen_version"]
        with _Refusal(request) as refused:
            grading.record_assessment(assessment, form.record(), by=request.user, seen_version=seen)
        if not refused:
            _say_recorded(request, assessment)
            return redirect(assessment.epa)
    context = {"epa": assessment.epa, "assessment": assessment, "form": form, "cached_under": None}
    return render(request, "epa/assessment_record.html", context)


def _assessment_form(
    request: AuthenticatedHttpRequest, pk: int, assessment_pk: int
) -> HttpResponse:
    """The grading form as recorded so far. The assessment comes from the cache and the
    form's fields are a fragment cached under the same revisions (pages.grading_revisions),
    so a form seen before is neither read nor built; a form with errors (a POST) is never
    cached."""
    revisions = pages.grading_revisions()
    assessment = pages.assessment_to_record(request.user, pk, assessment_pk, revisions=revisions)
    if assessment is None:
        raise Http404
    if not request.user.has_perm("epa.record_assessment", assessment):
        raise PermissionDenied
    context = {
        "epa": assessment.epa,
        "assessment": assessment,
        "form": SimpleLazyObject(lambda: AssessmentForm.for_assessment(None, assessment)),
        "cached_under": revisions,
    }
    return render(request, "epa/assessment_record.html", context)


@require_POST
@permission_required("epa.grade_epa", raise_exception=True)
def epa_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    epa = _epa(request, pk)
    with _Refusal(request, says="Not submitted: {}.") as refused:
        grading.submit_for_moderation(epa, by=request.user)
    if not refused:
        messages.success(request, "Provisional grades submitted for moderation.")
    return redirect(epa)


@require_http_methods(["GET", "POST"])
@permission_required("epa.moderate_epa", raise_exception=True)
def epa_moderate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    epa = _epa(request, pk)
    if not request.user.has_perm("epa.moderate_epa", epa):
        raise PermissionDenied
    form = ModerationForm(_data(request), assessments=grading.to_moderate(epa))
    if request.method == "POST" and form.is_valid():
        with _Refusal(request) as refused:
            result = grading.moderate(epa, by=request.user, **form.moderation())
        if not refused:
            done = f"Result confirmed: {result.overall_grade}." if result else None
            messages.success(request, done or "Grades returned to the assessor.")
        return redirect(epa)
    return render(request, "epa/epa_moderate.html", {**pages.moderation_page(epa), "form": form})


@require_http_methods(["GET", "POST"])
@permission_required("epa.manage_epa", raise_exception=True)
def epa_resit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    epa = _epa(request, pk)
    if not request.user.has_perm("epa.manage_epa", epa):
        raise PermissionDenied
    status = grading.resit_status(epa)
    if status.refusal:
        return _turned_back(request, f"{status.refusal}.", epa)
    form = ResitForm(_data(request), failed=grading.methods_to_take_again(epa))
    if request.method == "POST" and form.is_valid():
        with _Refusal(request) as refused:
            grading.record_resit(epa, by=request.user, **form.resit())
        if not refused:
            messages.success(request, "Recorded. Schedule the new assessment.")
        return redirect(epa)
    context = {"epa": epa, "form": form, "heading": "Record a resit or retake", "resits": status}
    return render(request, "epa/epa_form.html", context)


_SECOND_PERSON = (
    "You assessed or moderated this result, so you cannot amend it: an amendment "
    "needs a second person of the EPAO with permission to amend."
)


@require_http_methods(["GET", "POST"])
@permission_required("epa.manage_epa", raise_exception=True)
def result_amend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    epa = _epa(request, pk)
    result = epa.latest_result
    if result is None or not request.user.has_perm("epa.manage_epa", epa):
        raise PermissionDenied
    if not request.user.has_perm("epa.amend_result", result):
        return _turned_back(request, _SECOND_PERSON, epa)
    form = AmendmentForm.for_result(_data(request), result)
    if request.method == "POST" and form.is_valid():
        with _Refusal(request, form, "overall_after") as refused:
            grading.amend_result(result, by=request.user, **form.amendment())
        if not refused:
            messages.success(request, "Amendment recorded.")
            return redirect(epa)
    context = {"epa": epa, "form": form, "heading": "Amend the final result"}
    return render(request, "epa/epa_form.html", context)
