"""The API's URLs (api.v1 under /api/v1/) and the pages for managing API tokens.

Each API view is wrapped here, outside ninja, so that every call is handled the same way:
- it is public to Django's LoginRequiredMiddleware: the token, not a session, signs it in;
- the bearer token is checked first (api.tokens.authenticate), so that the database changes
  of the call are attributed to the token in the audit trail (psp.audit.acting_as), and
  each call is recorded there with its method, path and status;
- a GET answers with an ETag and If-None-Match with 304 (Django's ConditionalGetMiddleware).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.http import ConditionalGetMiddleware
from django.urls import URLPattern, path
from django.utils.cache import patch_cache_control
from django.utils.decorators import decorator_from_middleware
from django.views.generic import RedirectView

from api import tokens, views
from api.v1 import api
from psp import audit

conditional = decorator_from_middleware(ConditionalGetMiddleware)


def _bearer(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = tokens.authenticate(_bearer(request))
        if found is None:
            return view(request, *args, **kwargs)  # ninja answers 401 where a token is needed
        token, principal = found
        request.api_principal = principal  # type: ignore[attr-defined]
        ip = audit.client_ip(request)
        with audit.acting_as(label=principal.label, ip=ip):
            response = view(request, *args, **kwargs)
            query = f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else ""
            audit.log_event(
                "api_call",
                token,
                summary=f"{request.method} {request.path}{query[:300]} → {response.status_code}",
                ip=ip,
            )
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return login_not_required(conditional(wrapped))


def _api_patterns() -> list[URLPattern]:
    patterns, _, _ = api.urls
    return [
        path(f"api/v1/{pattern.pattern}", api_view(pattern.callback), name=pattern.name)
        for pattern in patterns
        if isinstance(pattern, URLPattern) and pattern.name != "api-root"
    ]


app_name = "api"
urlpatterns = [
    *_api_patterns(),
    path(
        "api/v1/",
        login_not_required(RedirectView.as_view(pattern_name="api:openapi-view")),
        name="api-root",
    ),
    path("api-tokens/", views.token_list, name="token_list"),
    path("api-tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
