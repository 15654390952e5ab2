"""Sessions at the door.

- Two-factor enrolment: the code itself is asked for by django-allauth during sign-in (see
  psp.twofactor); a signed-in member of staff who must use two-factor authentication but
  has no authenticator reaches nothing but the pages to set one up, and sign-out. The
  session records once the user has one, so a request of such a session costs no query.
- Request limits: a request whose body is larger than PSP_MAX_REQUEST_MB in all (several
  large files at once) is refused with 413 before it is read, and one whose address has a
  NUL character (which PostgreSQL cannot store or compare) with 400.
- Time limits: a session ends after PSP_SESSION_IDLE_MINUTES without a request, and
  SESSION_COOKIE_AGE after sign-in however busy it is (OWASP ASVS 7.3.1 and 7.3.2); and
  when the user ends it from another session (allauth's usersessions deletes it).
- Demo pages: with DEBUG and PSP_DEMO_ACCOUNTS on (`make run`), a page that is not found
  shows psp's own 404 page, as users of the real service see it, not Django's technical
  page; the console still says what was not found and why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import MiddlewareNotUsed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from psp import twofactor

if TYPE_CHECKING:
    from psp.models import User

logger = logging.getLogger(__name__)

ENROLLED_KEY = "psp_two_factor_enrolled"
# When the session's user signed in, and when it last made a request (to the minute), as
# Unix times.
STARTED_KEY = "psp_signed_in_at"
SEEN_KEY = "psp_seen_at"
SEEN_RESOLUTION = 60  # seconds: the session is written at most once a minute for this
# Pages a member of staff without an authenticator may reach (public pages are reachable
# too): setting one up (allauth's mfa_* pages and its re-authentication) and sign-out.
OPEN_URL_NAMES = frozenset({"logout", "account_reauthenticate"})


def on_sign_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """user_logged_in receiver: the time limits start now."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[STARTED_KEY] = session[SEEN_KEY] = int(time.time())
    session.pop(ENROLLED_KEY, None)


class StaffTwoFactorMiddleware:
    """Sends a signed-in member of staff who must use two-factor authentication
    (PSP_REQUIRE_STAFF_2FA) but has no authenticator to set one up. Place after
    AuthenticationMiddleware and LoginRequiredMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or request.session.get(ENROLLED_KEY) == user.pk:
            return None
        if not getattr(view_func, "login_required", True):
            return None  # public pages: sign-in, password reset, health, accessibility
        match = request.resolver_match
        if match is not None and not match.namespace:
            name = match.url_name or ""
            if name in OPEN_URL_NAMES or name.startswith("mfa_"):
                return None
        if request.path_info.startswith(settings.STATIC_URL):
            return None
        if not twofactor.is_required_for(user):  # type: ignore[arg-type]
            return None
        if twofactor.is_enabled_for(user):  # type: ignore[arg-type]
            request.session[ENROLLED_KEY] = user.pk
            return None
        return redirect("mfa_index")


class SessionTimeoutMiddleware:
    """Signs out a session that has been idle for PSP_SESSION_IDLE_MINUTES, that signed in
    more than SESSION_COOKIE_AGE seconds ago, and says why on the sign-in page it then
    leads to (LoginRequiredMiddleware); once a minute it records the session's last use for
    "Where you are signed in". Place after AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session = request.session
        now = int(time.time())
        started = session.setdefault(STARTED_KEY, now)  # sessions from before this check
        seen = session.setdefault(SEEN_KEY, now)
        idle_minutes = settings.PSP_SESSION_IDLE_MINUTES
        if now - seen > idle_minutes * 60:
            reason = f"you had not used psp for {idle_minutes} minutes"
        elif now - started > settings.SESSION_COOKIE_AGE:
            hours = settings.SESSION_COOKIE_AGE / 3600
            reason = f"you signed in more than {hours:g} hour{'s' if hours != 1 else ''} ago"
        else:
            if now - seen >= SEEN_RESOLUTION:
                session[SEEN_KEY] = now
                # The last use on "Where you are signed in" (allauth's usersessions).
                UserSession.objects.create_from_request(request)
            return
        logout(request)
        messages.info(request, f"You have been signed out because {reason}. Sign in again.")


class RequestLimitsMiddleware:
    """Refuses, before anything reads them, request bodies over PSP_MAX_REQUEST_MB (413)
    and addresses with a NUL character (400), each with a page that says what to do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.PSP_MAX_REQUEST_MB
        if length > limit * 1024 * 1024:
            return _refusal(
                request,
                413,
                "What you sent is too large",
                f"Everything sent at once (all the files together) must be at most {limit} MB. "
                "Go back and send fewer files at a time: add the rest to the evidence after "
                "it is saved.",
            )
        if (
            "\x00" in request.path
            or "%00" in request.META.get("QUERY_STRING", "")
            or any(
                "\x00" in key or any("\x00" in value for value in values)
                for key, values in request.GET.lists()
            )
        ):
            return _refusal(
                request,
                400,
                "Sorry, that request was not understood",
                "The address has a character that cannot be searched for (NUL). Go back, "
                "remove it and try again.",
            )
        return self.get_response(request)


class DemoNotFoundMiddleware:
    """In the demo (DEBUG and PSP_DEMO_ACCOUNTS, as `make run` sets them) a 404 page is
    psp's own templates/404.html instead of Django's technical page, which lists every URL
    pattern to whoever tries the demo. The reason (which object or address was not found)
    goes to the console. Outside the demo this middleware is not loaded at all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not (settings.DEBUG and settings.PSP_DEMO_ACCOUNTS):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            from django.shortcuts import render

            reason = getattr(request, "_psp_not_found", "no page at this address")
            logger.info("Not found: %s (%s)", request.path, reason)
            return render(request, "404.html", status=404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, Http404):
            request._psp_not_found = str(exception) or "Http404"  # type: ignore[attr-defined]


def _refusal(request: HttpRequest, status: int, heading: str, text: str) -> HttpResponse:
    from django.shortcuts import render

    return render(
        request, "psp/request_refused.html", {"heading": heading, "text": text}, status=status
    )
