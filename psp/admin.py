from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from psp.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ukprn", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "ukprn"]
    fields = ["name", "kind", "ukprn", "signing_contact_name", "signing_contact_email"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "organisation", "is_active"]
    list_filter = ["groups", "organisation__kind", "is_active", "is_staff"]
    list_select_related = ["organisation"]
    search_fields = ["username", "email", "first_name", "last_name", "organisation__name"]
    autocomplete_fields = ["organisation"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Organisation", {"fields": ["organisation"]}),
    )
