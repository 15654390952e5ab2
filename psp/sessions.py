"""Where a user is signed in (psp.models.UserSession): recorded at sign-in, kept up to date
once a minute by psp.middleware.SessionTimeoutMiddleware, listed on "Where you are signed
in", and ended from there (OWASP ASVS 7.5.2).

A session carries its row's public id. Ending a session marks its row ended and deletes the
session from the session store under the key last seen; if that key has changed since (it
changes at two-factor verification), the session ends at its next once-a-minute check."""

from __future__ import annotations

import datetime
import secrets
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from psp.audit import client_ip
from psp.models import User, UserSession

SESSION_ID_KEY = "psp_session_id"


def record_sign_in(request: HttpRequest, user: User) -> UserSession:
    """A new row for this sign-in; the user's ended and expired rows go."""
    now = timezone.now()
    expired = now - datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    UserSession.objects.filter(user=user, ended_at__isnull=False).delete()
    UserSession.objects.filter(user=user, last_seen_at__lt=expired).delete()
    row = UserSession.objects.create(
        user=user,
        public_id=secrets.token_hex(16),
        session_key=request.session.session_key or "",
        signed_in_at=now,
        last_seen_at=now,
        ip=client_ip(request)[:64],
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    request.session[SESSION_ID_KEY] = row.public_id
    return row


def still_open(request: HttpRequest) -> bool:
    """Once a minute: False if the session was ended elsewhere; else it is marked as seen."""
    public_id = request.session.get(SESSION_ID_KEY)
    if public_id is None:
        return True  # signed in before sessions were recorded
    updated = UserSession.objects.filter(public_id=public_id, ended_at__isnull=True).update(
        last_seen_at=timezone.now(), session_key=request.session.session_key or ""
    )
    return bool(updated)


def keep(request: HttpRequest) -> None:
    """After User.end_sessions(): this request's session is not among the ended."""
    public_id = request.session.get(SESSION_ID_KEY)
    if public_id is not None:
        UserSession.objects.filter(public_id=public_id).update(
            ended_at=None, session_key=request.session.session_key or ""
        )


@transaction.atomic
def end(user: User, public_ids: list[str], *, keep_id: str | None) -> int:
    """End the user's chosen sessions (never keep_id, the one asking); how many ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = list(
        UserSession.objects.active()
        .filter(user=user, public_id__in=public_ids)
        .exclude(public_id=keep_id or "")
        .select_for_update()
    )
    for row in rows:
        if row.session_key:
            store(session_key=row.session_key).delete()
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).update(ended_at=timezone.now())
    return len(rows)
