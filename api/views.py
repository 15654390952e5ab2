"""Pages where an organisation's staff make, see and revoke its API tokens (api.tokens)."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from api import tokens
from api.models import TOKEN_ROLES, ApiToken
from psp import audit
from psp.forms import gds_helper
from psp.http import AuthenticatedHttpRequest

SHOWN_ONCE = "api_token_shown_once"


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, so you can tell tokens apart, like “MIS nightly sync”.",
        error_messages={"required": "Enter a name for the token"},
    )
    scope = forms.ChoiceField(
        label="What may it do?",
        choices=[
            ("read", "Read only: apprentices, coverage, evidence details, results"),
            ("write", "Read, and add or update apprentices"),
        ],
        widget=forms.RadioSelect,
        initial="read",
        error_messages={"required": "Select what the token may do"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            "Create token",
            Field.text("name", field_width=30),
            Field.radios("scope"),
            size=Size.SMALL,
        )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("api.view_apitoken", raise_exception=True)
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    if organisation is None or organisation.kind not in TOKEN_ROLES:
        raise PermissionDenied
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("api.add_apitoken"):
            raise PermissionDenied
        if form.is_valid():
            try:
                token, text = tokens.create_token(
                    organisation,
                    name=form.cleaned_data["name"],
                    can_write=form.cleaned_data["scope"] == "write",
                    by=request.user,
                )
            except tokens.TokenError as error:
                form.add_error("name", str(error))
            else:
                audit.log_event("api_token_created", token, summary=f"{token}: {token.scopes}")
                request.session[SHOWN_ONCE] = {"id": token.pk, "text": text}
                return redirect("api:token_list")
    shown = request.session.pop(SHOWN_ONCE, None)
    listed = ApiToken.objects.visible_to(request.user).select_related("created_by", "revoked_by")
    return render(
        request,
        "api/token_list.html",
        {"form": form, "tokens": listed, "shown": shown},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@permission_required("api.change_apitoken", raise_exception=True)
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        try:
            tokens.revoke_token(token, by=request.user)
        except tokens.TokenError as error:
            messages.error(request, str(error))
        else:
            audit.log_event("api_token_revoked", token, summary=str(token))
            messages.success(request, f"The token “{token.name}” was revoked: it no longer works.")
        return redirect("api:token_list")
    return render(request, "api/token_revoke.html", {"token": token})
