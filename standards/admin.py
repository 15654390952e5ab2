"""Standards in the Django admin are read-only: versions change only by importing them,
so a version that apprentices are on is never altered in place."""

from django.contrib import admin
from django.http import HttpRequest

from standards.models import (
    KSB,
    Duty,
    EpaPlan,
    GradingCriterion,
    KsbCrosswalk,
    Standard,
    StandardImport,
    StandardVersion,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Standard)
class StandardAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title"]
    search_fields = ["reference", "title"]


@admin.register(StandardVersion)
class StandardVersionAdmin(ReadOnlyAdmin):
    list_display = ["standard", "version", "title", "status", "ksbs_imported", "duties_imported"]
    list_filter = ["status", "standard"]
    list_select_related = ["standard"]


@admin.register(KSB)
class KSBAdmin(ReadOnlyAdmin):
    list_display = ["code", "version", "text"]
    list_filter = ["version", "kind"]
    list_select_related = ["version__standard"]
    search_fields = ["text"]


@admin.register(Duty)
class DutyAdmin(ReadOnlyAdmin):
    list_display = ["number", "version", "text"]
    list_filter = ["version"]
    list_select_related = ["version__standard"]


@admin.register(EpaPlan)
class EpaPlanAdmin(ReadOnlyAdmin):
    list_display = ["version", "epa_period_months", "methods_imported", "combination_imported"]
    list_select_related = ["version__standard"]


@admin.register(GradingCriterion)
class GradingCriterionAdmin(ReadOnlyAdmin):
    list_display = ["code", "method", "pass_descriptor"]
    list_select_related = ["method"]


@admin.register(StandardImport)
class StandardImportAdmin(ReadOnlyAdmin):
    list_display = ["uploaded_at", "kind", "reference", "version", "filename", "status"]
    list_filter = ["kind", "status"]
    list_select_related = ["uploaded_by"]
    exclude = ["payload"]  # can be large; the preview page shows what it holds


@admin.register(KsbCrosswalk)
class KsbCrosswalkAdmin(ReadOnlyAdmin):
    list_display = ["from_ksb", "to_ksb", "to_version", "method", "confirmed_by", "confirmed_at"]
    list_filter = ["to_version", "method"]
    list_select_related = ["from_ksb__version__standard", "to_ksb", "to_version__standard"]
