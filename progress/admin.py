from django.contrib import admin

from progress.models import OffTheJobMinimum, OffTheJobRule


@admin.register(OffTheJobRule)
class OffTheJobRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "applies_to_starts_from", "applies_to_starts_until", "kind", "value"]


@admin.register(OffTheJobMinimum)
class OffTheJobMinimumAdmin(admin.ModelAdmin):
    """Each standard's published minimum off-the-job hours, for the per-standard rule."""

    list_display = ["standard", "rule", "hours"]
    list_select_related = ["standard", "rule"]
    autocomplete_fields = ["standard"]
