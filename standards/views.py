from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from psp.http import Refusal
from standards import pages
from standards.comparing import compare_versions
from standards.crosswalk import confirm_crosswalk
from standards.forms import CompareForm, ConfirmImportForm, ImportUploadForm
from standards.models import BulkImport, Standard, StandardImport, StandardVersion
from standards.previewing import preview_import
from standards.uploads import (
    apply_import,
    discard_import,
    holds_a_list,
    open_upload,
    stage_import,
    start_bulk_import,
)
from standards.validation import InvalidImport

if TYPE_CHECKING:
    from psp.http import AuthenticatedHttpRequest

VIEW_PERMISSION = "standards.view_standardversion"
# Only administrators hold these: they import versions and confirm crosswalks.
IMPORT_PERMISSION = "standards.add_standardversion"
CROSSWALK_PERMISSION = "standards.change_standardversion"


class _Refusal(Refusal):
    """`with _Refusal(form) as refused:` around staging an import: when the file is refused,
    its problems are errors on the form's file and `refused` is true."""

    refusals = (InvalidImport,)

    def __init__(self, form: ImportUploadForm) -> None:
        super().__init__(None, form)
        self.upload = form

    def refuse(self, error: Exception) -> None:
        assert isinstance(error, InvalidImport)
        self.upload.add_problems(error.problems)


def _form_page(
    request: AuthenticatedHttpRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    """The page of a form: 400 Bad Request when the form (context["form"]) has errors."""
    return render(request, template, context, status=400 if context["form"].errors else 200)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def standard_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    standards = Standard.objects.prefetch_related(
        Prefetch(
            "versions",
            queryset=StandardVersion.objects.visible_to(request.user)
            .select_related("epa_plan")
            .annotate(ksb_count=Count("ksbs")),
        )
    )
    return render(request, "standards/standard_list.html", {"standards": standards})


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def standard_detail(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    standard = get_object_or_404(Standard, reference=reference)
    versions = list(
        StandardVersion.objects.visible_to(request.user)
        .filter(standard=standard)
        .select_related("epa_plan")
        .annotate(ksb_count=Count("ksbs"))
    )
    form = CompareForm(versions=versions)
    return render(
        request,
        "standards/standard_detail.html",
        {"standard": standard, "versions": versions, "form": form},
    )


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def version_detail(request: AuthenticatedHttpRequest, reference: str, version: str) -> HttpResponse:
    head, current = pages.version_head(reference, version)
    if head is None:
        raise Http404("No such version of this standard")
    context = pages.version_page(head, current, request.user)
    return render(request, "standards/version_detail.html", context)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def version_compare(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    standard = get_object_or_404(Standard, reference=reference)
    versions = list(StandardVersion.objects.visible_to(request.user).filter(standard=standard))
    # Opened directly (no choice made yet): the empty form, not errors.
    chosen = request.GET if {"old", "new"} & request.GET.keys() else None
    form = CompareForm(chosen, versions=versions)
    comparison = None
    if form.is_valid():
        comparison = compare_versions(form.cleaned_data["old"], form.cleaned_data["new"])
    return render(
        request,
        "standards/version_compare.html",
        {"standard": standard, "form": form, "comparison": comparison},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    imports = StandardImport.objects.select_related("uploaded_by", "decided_by")
    page = Paginator(imports, 25).get_page(request.GET.get("page"))
    bulk_imports = BulkImport.objects.select_related("uploaded_by")[:10]
    return render(
        request, "standards/import_list.html", {"page": page, "bulk_imports": bulk_imports}
    )


@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        stream = open_upload(upload)
        if form.takes_every_version and holds_a_list(stream):
            bulk = start_bulk_import(upload, filename=upload.name, by=request.user)
            messages.info(request, "The worker imports every version in the file.")
            return redirect(bulk)
        with _Refusal(form) as refused:
            staged, note = stage_import(stream, by=request.user, **form.staging())
        if not refused:
            if note:
                messages.info(request, note)
            return redirect(staged)
    return _form_page(request, "standards/import_upload.html", {"form": form})


@require_GET
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def bulk_import_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """How far the worker got with an uploaded list, and what it did."""
    bulk = get_object_or_404(BulkImport.objects.select_related("uploaded_by"), pk=pk)
    return render(request, "standards/bulk_import_detail.html", {"bulk": bulk, "work": bulk.work})


@require_GET
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    standard_import = get_object_or_404(
        StandardImport.objects.select_related("uploaded_by", "decided_by"), pk=pk
    )
    preview, problems = None, []
    if standard_import.is_pending:
        try:
            preview = preview_import(standard_import)
        except InvalidImport as error:
            problems = error.problems
    form = ConfirmImportForm(initial={"sha256": standard_import.sha256})
    context = {"standard_import": standard_import, "preview": preview, "problems": problems}
    return render(request, "standards/import_preview.html", {**context, "form": form})


@require_POST
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    standard_import = get_object_or_404(StandardImport, pk=pk)
    form = ConfirmImportForm(request.POST)
    if not form.is_valid() or form.cleaned_data["sha256"] != standard_import.sha256:
        messages.error(request, "That was not the upload shown here: check this preview again.")
        return redirect(standard_import)
    try:
        result = apply_import(standard_import, by=request.user)
    except InvalidImport:
        messages.error(request, "Nothing was imported: psp has changed since the preview.")
        return redirect(standard_import)
    messages.success(request, result.summary)
    return redirect("standards:version_detail", result.reference, result.version)


@require_POST
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    standard_import = get_object_or_404(StandardImport.objects.pending(), pk=pk)
    discard_import(standard_import, by=request.user)
    messages.success(request, f"{standard_import.filename} discarded: nothing was imported.")
    return redirect("standards:import_list")


@permission_required(CROSSWALK_PERMISSION, raise_exception=True)
def crosswalk(
    request: AuthenticatedHttpRequest, reference: str, old: str, new: str
) -> HttpResponse:
    old_version, new_version = _version_pair(request, reference, old, new)
    context = pages.crosswalk_page(old_version, new_version, request.POST or None)
    form = context["form"]
    if request.method == "POST" and context["ready"] and form.is_valid():
        confirm_crosswalk(old_version, new_version, choices=form.choices_made(), by=request.user)
        messages.success(request, f"KSB crosswalk from version {old} to version {new} saved.")
        compare = reverse("standards:version_compare", args=[reference])
        return redirect(f"{compare}?old={old}&new={new}")
    return _form_page(request, "standards/crosswalk.html", context)


def _version_pair(
    request: AuthenticatedHttpRequest, reference: str, old: str, new: str
) -> tuple[StandardVersion, StandardVersion]:
    if old == new:
        raise Http404("A crosswalk joins two different versions.")
    versions = StandardVersion.objects.visible_to(request.user).select_related("standard")
    return (
        get_object_or_404(versions, standard__reference=reference, version=old),
        get_object_or_404(versions, standard__reference=reference, version=new),
    )
