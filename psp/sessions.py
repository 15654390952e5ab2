"""Where a user is signed in: django-allauth's `usersessions` records each session at sign-in
and its last use (UserSessionsMiddleware), lists them on "Where you are signed in" and ends
the others from there (OWASP ASVS 7.5.2). psp adds the browser's short name to the list and
records the sessions ended in the audit trail. psp's idle and absolute time limits stay in
psp.middleware.SessionTimeoutMiddleware; User.end_sessions() ends every session at once.
"""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from allauth.usersessions.views import ListUserSessionsView
from django.utils.decorators import method_decorator

from psp import audit
from psp.models import browser_name


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Any) -> None:
        sessions = list(sessions)
        for session in sessions:
            audit.log_event(
                "session_ended",
                session.user,
                by=session.user,
                summary=f"Signed out of {browser_name(session.user_agent)} from {session.ip}",
            )
        super().end_sessions(sessions)


@method_decorator(reauthentication_required(allow_get=True), name="dispatch")
class SessionListView(ListUserSessionsView):
    """allauth's list of sessions, each with the browser's short name; signing out of the
    others asks for the password again, as any change to signing in does."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for session in context["sessions"]:
            session.browser = browser_name(session.user_agent)
        return context


session_list = SessionListView.as_view()
