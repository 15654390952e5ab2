from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from standards.comparing import compare_versions
from standards.forms import CompareForm
from standards.models import KSB, AssessmentMethod, Standard, StandardVersion

VIEW_PERMISSION = "standards.view_standardversion"


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def standard_list(request: HttpRequest) -> HttpResponse:
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
def standard_detail(request: HttpRequest, reference: str) -> HttpResponse:
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
def version_detail(request: HttpRequest, reference: str, version: str) -> HttpResponse:
    standard_version = get_object_or_404(
        StandardVersion.objects.visible_to(request.user).select_related("standard"),
        standard__reference=reference,
        version=version,
    )
    ksbs = list(standard_version.ksbs.in_standard_order())
    duties = standard_version.duties.prefetch_related(
        Prefetch("ksbs", queryset=KSB.objects.in_standard_order())
    )
    plan = getattr(standard_version, "epa_plan", None)
    methods = (
        plan.methods.prefetch_related(Prefetch("ksbs", queryset=KSB.objects.in_standard_order()))
        if plan
        else AssessmentMethod.objects.none()
    )
    context = {
        "version": standard_version,
        "ksb_groups": [
            (label, [ksb for ksb in ksbs if ksb.kind == kind]) for kind, label in KSB.Kind.choices
        ],
        "duties": duties,
        "plan": plan,
        "gateway_requirements": plan.gateway_requirements.all() if plan else [],
        "methods": methods,
        "grade_combinations": plan.grade_combinations.all() if plan else [],
        "other_versions": StandardVersion.objects.visible_to(request.user)
        .filter(standard=standard_version.standard)
        .exclude(pk=standard_version.pk),
    }
    return render(request, "standards/version_detail.html", context)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def version_compare(request: HttpRequest, reference: str) -> HttpResponse:
    standard = get_object_or_404(Standard, reference=reference)
    versions = list(StandardVersion.objects.visible_to(request.user).filter(standard=standard))
    form = CompareForm(request.GET, versions=versions)
    comparison = None
    if form.is_valid():
        comparison = compare_versions(form.cleaned_data["old"], form.cleaned_data["new"])
    return render(
        request,
        "standards/version_compare.html",
        {"standard": standard, "form": form, "comparison": comparison},
        status=200 if form.is_valid() else 400,
    )
