"""Pages where an organisation's staff make, see and revoke its API tokens (api.tokens)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from api import tokens
from api.forms import TokenForm
from api.models import TOKEN_ROLES, ApiToken
from psp import audit
from psp.http import AuthenticatedHttpRequest, Refusal
from psp.models import Organisation

SHOWN_ONCE = "api_token_shown_once"


class _Refusal(Refusal):
    """`with _Refusal(request, form, field) as refused:` around a call of api.tokens: when it
    refuses, says why (on the form's `field` when there is a form, else as an error
    message) and `refused` is true."""

    refusals = (tokens.TokenError,)


def _token_organisation(request: AuthenticatedHttpRequest) -> Organisation:
    """The organisation whose tokens the user manages; none (403) outside the roles that have
    tokens, and none for a POST by someone who may not make them."""
    organisation = request.user.organisation
    if organisation is None or organisation.kind not in TOKEN_ROLES:
        raise PermissionDenied
    if request.method == "POST" and not request.user.has_perm("api.add_apitoken"):
        raise PermissionDenied
    return organisation


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("api.view_apitoken", raise_exception=True)
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = _token_organisation(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with _Refusal(request, form, "name") as refused:
            token, text = tokens.create_token(organisation, by=request.user, **form.token())
        if not refused:
            audit.log_event("api_token_created", token, summary=f"{token}: {token.scopes}")
            request.session[SHOWN_ONCE] = {"id": token.pk, "text": text}
            return redirect("api:token_list")
    shown = request.session.pop(SHOWN_ONCE, None)
    listed = ApiToken.objects.visible_to(request.user).select_related("created_by", "revoked_by")
    context = {"form": form, "tokens": listed, "shown": shown}
    return render(request, "api/token_list.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required("api.change_apitoken", raise_exception=True)
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        with _Refusal(request) as refused:
            tokens.revoke_token(token, by=request.user)
        if not refused:
            audit.log_event("api_token_revoked", token, summary=str(token))
            messages.success(request, f"The token “{token.name}” was revoked: it no longer works.")
        return redirect("api:token_list")
    return render(request, "api/token_revoke.html", {"token": token})
