from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from psp import accounts
from psp.models import Organisation, User


class PasswordChangeByStaffForm(AdminPasswordChangeForm):
    """An administrator sets someone's password: they are told, and what they had signed
    but not yet completed is unsigned (psp.accounts.changed_by_staff)."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        accounts.changed_by_staff(user, by=None, password=True)
        return user


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
    change_password_form = PasswordChangeByStaffForm

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            accounts.changed_by_staff(
                obj, by=request.user, old_email=form.initial.get("email") or ""
            )
