"""Sessions at the door.

- Two-factor authentication: a signed-in user who must enter a code (see psp.twofactor)
  reaches nothing but the pages to set it up or enter it, and sign-out. The session records,
  at sign-in, whether it is verified or exempt, so a request of a session that is already
  cleared costs no query.
- Request limits: a request whose body is larger than PSP_MAX_REQUEST_MB in all (several
  large files at once) is refused with 413 before it is read, and one whose address has a
  NUL character (which PostgreSQL cannot store or compare) with 400.
- Time limits: a session ends after PSP_SESSION_IDLE_MINUTES without a request, and
  SESSION_COOKIE_AGE after sign-in however busy it is (OWASP ASVS 7.3.1 and 7.3.2); and
  when the user ends it from another session (psp.sessions).
- Demo pages: with DEBUG and PSP_DEMO_ACCOUNTS on (`make run`), a page that is not found
  shows psp's own 404 page, as users of the real service see it, not Django's technical
  page; the console still says what was not found and why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import MiddlewareNotUsed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from psp import sessions, twofactor

if TYPE_CHECKING:
    from django.contrib.sessions.backends.base import SessionBase

    from psp.models import User

logger = logging.getLogger(__name__)

SESSION_KEY = "psp_two_factor"
VERIFIED = "verified"
EXEMPT = "exempt"
# When the session's user signed in, and when it last made a request (to the minute), as
# Unix times.
STARTED_KEY = "psp_signed_in_at"
SEEN_KEY = "psp_seen_at"
SEEN_RESOLUTION = 60  # seconds: the session is written at most once a minute for this
# Pages a user who still has to enter a code may reach (public pages are reachable too).
OPEN_URL_NAMES = frozenset({"two_factor_setup", "two_factor_verify", "logout"})


def mark_verified(session: SessionBase, user: User) -> None:
    session[SESSION_KEY] = {"user": user.pk, "state": VERIFIED}


def is_verified(session: SessionBase, user: User) -> bool:
    state = session.get(SESSION_KEY) or {}
    return state.get("user") == user.pk and state.get("state") == VERIFIED


def _is_cleared(session: SessionBase, user: User) -> bool:
    state = session.get(SESSION_KEY) or {}
    if state.get("user") != user.pk:
        return False
    if state.get("state") == VERIFIED:
        return True
    # Exempt at sign-in; a role that now needs two-factor authentication ends the exemption.
    return state.get("state") == EXEMPT and not twofactor.is_required_for(user)


def on_sign_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """user_logged_in receiver: a new sign-in is cleared only if it needs no code."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[STARTED_KEY] = session[SEEN_KEY] = int(time.time())
    sessions.record_sign_in(request, user)
    if twofactor.needs_verification(user):
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = {"user": user.pk, "state": EXEMPT}


class TwoFactorMiddleware:
    """Place after AuthenticationMiddleware and LoginRequiredMiddleware."""

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
        if not user.is_authenticated or _is_cleared(request.session, user):
            return None
        if not getattr(view_func, "login_required", True):
            return None  # public pages: sign-in, password reset, health, accessibility
        match = request.resolver_match
        if match is not None and not match.namespace and match.url_name in OPEN_URL_NAMES:
            return None
        if request.path_info.startswith(settings.STATIC_URL):
            return None
        if not twofactor.needs_verification(user):
            request.session[SESSION_KEY] = {"user": user.pk, "state": EXEMPT}
            return None
        target = "two_factor_verify" if twofactor.is_enabled_for(user) else "two_factor_setup"
        wanted = request.get_full_path() if request.method == "GET" else reverse("home")
        return redirect_to_login(wanted, reverse(target))


class SessionTimeoutMiddleware:
    """Signs out a session that has been idle for PSP_SESSION_IDLE_MINUTES, that signed in
    more than SESSION_COOKIE_AGE seconds ago, or (checked once a minute, with its last use,
    by psp.sessions) that was ended from another session, and says why on the sign-in page
    it then leads to (LoginRequiredMiddleware). Place after AuthenticationMiddleware and
    MessageMiddleware."""

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
        elif now - seen < SEEN_RESOLUTION:
            return
        elif sessions.still_open(request):
            session[SEEN_KEY] = now
            return
        else:
            reason = "this session was ended from another one"
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
