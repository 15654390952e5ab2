"""The API's URLs (api.v1 under /api/v1/) and the pages for managing API tokens.

Each API view is wrapped here, outside ninja, so that every call is handled the same way:
- it is public to Django's LoginRequiredMiddleware: the token, not a session, signs it in;
- the bearer token is checked first (api.tokens.authenticate), so that the database changes
  of the call are attributed to the token in the audit trail (psp.audit.acting_as), and
  each call is recorded there with its method, path and status;
- a GET answers with an ETag and If-None-Match with 304 (Django's ConditionalGetMiddleware);
- a query parameter the endpoint does not take is refused with 422, as any invalid input
  is: ninja passes on only the parameters it knows, so a misspelt `updated_sinse` would
  otherwise return everything as if no filter were asked for. What each endpoint takes is
  read from the OpenAPI document, so the check and the document cannot disagree.
"""

from __future__ import annotations

import functools
import re
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


@functools.cache
def _query_names() -> dict[tuple[str, str], frozenset[str]]:
    """(OpenAPI path, method) -> the query parameters the operation takes."""
    schema = api.get_openapi_schema(path_prefix="")
    return {
        (path, method.upper()): frozenset(
            parameter["name"]
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "query"
        )
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def _unknown_parameters(request: HttpRequest) -> HttpResponse | None:
    """422 naming each query parameter the endpoint does not take, or None."""
    if not request.GET or request.resolver_match is None:
        return None
    route = request.resolver_match.route.removeprefix("api/v1")
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route)
    known = _query_names().get((path, request.method or "GET"))
    if known is None:  # not an operation of the document (ninja answers 405)
        return None
    takes = ", ".join(sorted(known)) if known else "no query parameters"
    problems = [
        {"field": name, "message": f"Unknown query parameter: this endpoint takes {takes}"}
        for name in request.GET
        if name not in known
    ]
    if not problems:
        return None
    return api.create_response(
        request, {"detail": "The request is not valid", "problems": problems}, status=422
    )


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
            response = _unknown_parameters(request) or view(request, *args, **kwargs)
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
