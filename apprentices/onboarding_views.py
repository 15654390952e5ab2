"""Pages for bulk onboarding (apprentices.onboarding): upload a file, see what it would do,
confirm it once. Training provider staff only, for their own organisation."""

from __future__ import annotations

import io
from typing import Any

from crispy_forms_gds.layout import Size
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apprentices import onboarding, pages
from apprentices.models import OnboardingBatch
from psp.downloads import attachment
from psp.forms import gds_helper
from psp.http import AuthenticatedHttpRequest

PERMISSION = "apprentices.add_apprentice"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class OnboardingUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file of apprentices",
        help_text="Up to 5 MB and 5,000 apprentices. Start from the template.",
        error_messages={
            "required": "Choose the CSV file to upload",
            "empty": "The file you chose is empty",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper("Upload and check", size=Size.SMALL)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB: split it in two")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Choose a CSV file (its name ends in .csv)")
        return upload


def _provider_staff(request: AuthenticatedHttpRequest) -> None:
    if not request.user.has_perm("apprentices.add_apprentices_from_file"):
        raise PermissionDenied


def _batch(request: AuthenticatedHttpRequest, pk: int) -> OnboardingBatch:
    return get_object_or_404(
        OnboardingBatch.objects.visible_to(request.user).select_related(
            "provider", "uploaded_by", "applied_by"
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION, raise_exception=True)
def onboarding_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    _provider_staff(request)
    form = OnboardingUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch, problems = onboarding.start_batch(
            request.user.organisation,  # type: ignore[arg-type]
            by=request.user,
            filename=upload.name,
            data=upload.read(),
        )
        if batch is not None:
            return redirect(batch)
        for problem in problems:
            form.add_error("file", problem)
    recent = OnboardingBatch.objects.visible_to(request.user).select_related("uploaded_by")[:10]
    context = {"form": form, "recent": recent, "columns": onboarding.COLUMNS}
    status = 400 if form.errors else 200
    return render(request, "apprentices/onboarding_upload.html", context, status=status)


@require_GET
@permission_required(PERMISSION, raise_exception=True)
def onboarding_template(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    _provider_staff(request)
    return attachment(
        io.BytesIO(onboarding.template_csv().encode()),
        filename="psp-apprentices-template.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_GET
@permission_required(PERMISSION, raise_exception=True)
def onboarding_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    context = pages.onboarding_page(batch)
    return render(request, "apprentices/onboarding_preview.html", context)


_APPLIED = (
    "{counts[new]} apprentices added and {counts[updated]} updated. "
    "We are emailing the {counts[new]} new apprentices a link to set a password."
)


@require_POST
@permission_required(PERMISSION, raise_exception=True)
def onboarding_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    new_employers = request.POST.getlist("new_employer")
    try:
        done = onboarding.confirm_batch(batch, by=request.user, new_employers=new_employers)
    except onboarding.OnboardingError as error:
        messages.error(request, str(error))
        return redirect(batch)
    if done:
        counts = onboarding.Plan.from_json(batch.preview).counts
        messages.success(request, _APPLIED.format(counts=counts))
    else:
        messages.success(request, "The file is being applied. This page shows when it is done.")
    return redirect(batch)


@require_POST
@permission_required(PERMISSION, raise_exception=True)
def onboarding_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        onboarding.discard_batch(batch)
    except onboarding.OnboardingError as error:
        messages.error(request, str(error))
        return redirect(batch)
    messages.success(request, f"{batch.filename} discarded. Nothing was changed.")
    return redirect("apprentices:onboarding_upload")
