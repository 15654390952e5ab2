"""Emails about a person's account: the link to set a first password, the password reset
link, and the notice to the old address when staff change it.

None is sent inside the request: each is a row of psp.models.AccountEmail, in the
outbox of emails (psp.outbox), sent by a task after the commit or by the sweep
if the broker is down. The response to a reset request is the same, and as fast, whether
or not the address has an account. Links are made when the email is sent, never stored.
"""

from __future__ import annotations

import datetime
import logging
import math
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from psp import outbox
from psp.models import AccountEmail, User

logger = logging.getLogger(__name__)

Kind = AccountEmail.Kind
# Reset emails to one account: at most RESET_LIMIT in RESET_WINDOW (no mail bombing).
RESET_LIMIT = 3
RESET_WINDOW = datetime.timedelta(hours=1)


def queue(user: User, kind: str, *, to: str = "", detail: str = "") -> AccountEmail:
    """Record the email and hand it to the broker after the commit."""
    row = AccountEmail.objects.create(
        user=user,
        kind=kind,
        to=to or user.email,
        detail=detail[:500],
        email_status=AccountEmail.Email.QUEUED,
    )
    outbox.dispatch_after_commit(row)
    return row


def send_set_password_email(user: User) -> None:
    """Email a new user a single-use link to choose their password (valid 3 days)."""
    queue(user, Kind.WELCOME)


def request_password_reset(email: str) -> int:
    """Email a reset link to each active account with this address, whether or not it has
    a usable password (one never set: the welcome link expired), at most RESET_LIMIT times
    in RESET_WINDOW. Returns how many were queued; the person asking is never told."""
    queued = 0
    since = timezone.now() - RESET_WINDOW
    for user in User.objects.filter(email__iexact=email.strip(), is_active=True):
        recent = AccountEmail.objects.filter(
            user=user, kind=Kind.PASSWORD_RESET, created_at__gte=since
        ).count()
        if recent < RESET_LIMIT:
            queue(user, Kind.PASSWORD_RESET)
            queued += 1
    return queued


def reset_wait_for_address(ip: str) -> int:
    """Counts a reset request from this client address; 0 while the address has made at
    most PSP_PASSWORD_RESET_PER_ADDRESS in the current hour, else the minutes until it may
    again. Every request counts, for an address with an account or not, so one client
    cannot send reset emails to many accounts (each of which is also limited on its own).
    Counted in Django's cache (shared by all processes when CACHE_URL is set): an atomic
    increment per address and clock hour."""
    now = time.time()
    window = int(now // 3600)
    key = f"password-reset-address:{ip or 'unknown'}:{window}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new hour
        cache.set(key, 1, timeout=3600)
        count = 1
    if count <= settings.PSP_PASSWORD_RESET_PER_ADDRESS:
        return 0
    if count == settings.PSP_PASSWORD_RESET_PER_ADDRESS + 1:
        logger.warning("Password reset requests from %s over the limit this hour", ip)
    return max(1, math.ceil(((window + 1) * 3600 - now) / 60))


# Sent when staff change how someone signs in (their email address or password), with
# user= and by=: each app drops what that person vouched for and which could now be forged
# (apprentices: the signatures of reviews still waiting for signatures).
sign_in_changed_by_staff = Signal()


def changed_by_staff(
    user: User, *, by: User | None, old_email: str = "", password: bool = False
) -> None:
    """Staff changed the account's email address (tell the old address) or its password
    (tell the account's address), and pending signatures are dropped. `by` is None where
    who is not known (the admin site's password form): the email says "An administrator"."""
    who = by or "An administrator"
    address = bool(old_email) and old_email.lower() != user.email.lower()
    if not (address or password):
        return
    if address:
        queue(user, Kind.ADDRESS_CHANGED, to=old_email, detail=f"{who}|{user.email}")
    if password:
        queue(user, Kind.PASSWORD_CHANGED, detail=f"{who}|")
    sign_in_changed_by_staff.send(sender=User, user=user, by=by)


def _link(user: User) -> tuple[str, str, str]:
    """The site's scheme and host, and the path of a single-use password link."""
    site = urlsplit(settings.PSP_SITE_URL)
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return site.scheme or "https", site.netloc, path


def render(row: AccountEmail) -> tuple[str, str]:
    """The subject and body of an account email, with a fresh link where it has one."""
    user = row.user
    if row.kind in (Kind.ADDRESS_CHANGED, Kind.PASSWORD_CHANGED):
        by, _, new = row.detail.partition("|")
        context = {"user": user, "by": by, "new": new, "address": row.kind == Kind.ADDRESS_CHANGED}
        return outbox.render_email("account_changed", context)
    protocol, domain, path = _link(user)
    if row.kind == Kind.WELCOME:
        body = render_to_string(
            "registration/welcome_email.txt", {"user": user, "link": f"{protocol}://{domain}{path}"}
        )
        return "Your psp account", body
    uid, token = path.rstrip("/").split("/")[-2:]
    context = {"user": user, "protocol": protocol, "domain": domain, "uid": uid, "token": token}
    subject = render_to_string("registration/password_reset_subject.txt", context).strip()
    return subject, render_to_string("registration/password_reset_email.html", context)
