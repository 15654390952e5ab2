"""Two-factor authentication, as django-allauth's `mfa` does it (an authenticator app's
codes, ten recovery codes, passkeys), fitted to psp:

- psp's sign-in page (psp.views.SignInView) hands the checked user to allauth's login flow,
  which asks for the second factor before the session is signed in.
- Staff roles must have an authenticator when PSP_REQUIRE_STAFF_2FA is on
  (psp.middleware.StaffTwoFactorMiddleware sends them to set one up); apprentices may.
- The TOTP secret and the recovery codes' seed have to be readable to check codes, so they
  cannot be hashed: MFAAdapter keeps them encrypted under PSP_FIELD_KEY (psp.encryption).
- Adding, removing and resetting an authenticator, and an administrator's reset, are
  recorded in the audit trail (psp.audit.log_event), as are sessions ended from the list.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base import views as mfa_views
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from psp import audit, encryption
from psp.roles import Role

if TYPE_CHECKING:
    from psp.models import User

logger = logging.getLogger(__name__)

STAFF_ROLES = frozenset({Role.PROVIDER, Role.EMPLOYER, Role.ASSESSOR, Role.EPAO_ADMIN, Role.ADMIN})
# The authenticators that are a second factor (recovery codes only stand in for them).
FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class MFAAdapter(DefaultMFAAdapter):
    """allauth's secrets (TOTP secrets, recovery codes' seeds) encrypted with psp's keys,
    and its messages in psp's words."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": "The code is not right. Enter the current code from your app, or "
        "one of your recovery codes",
        "cannot_delete_authenticator": "Your role needs two-factor authentication, so your "
        "last authenticator cannot be removed",
    }

    def encrypt(self, text: str) -> str:
        return encryption.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return encryption.decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff who must use two-factor authentication keep their last factor."""
        user = authenticator.user
        if not is_required_for(user) or authenticator.type not in FACTORS:
            return True
        return Authenticator.objects.filter(user=user, type__in=FACTORS).count() > 1


class AccountAdapter(DefaultAccountAdapter):
    """psp has no sign-up: accounts are made by providers and administrators."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


def is_required_for(user: User) -> bool:
    return bool(settings.PSP_REQUIRE_STAFF_2FA) and user.role in STAFF_ROLES


def is_enabled_for(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type__in=FACTORS).exists()


@transaction.atomic
def reset(user: User, *, by: User) -> None:
    """Remove the user's authenticators and recovery codes: an administrator's reset after
    a lost phone. Someone who must use two-factor authentication sets it up again at their
    next sign-in."""
    Authenticator.objects.filter(user=user).delete()
    user.end_sessions()  # ASVS 7.5.2: a removed factor ends every session
    audit.log_event("two_factor_reset", user, by=by, summary=f"Two-factor reset for {user}")
    logger.info("Two-factor authentication of user %s reset by user %s", user.pk, by.pk)


# Receivers of allauth's signals (connected in psp.apps).

_WORDS = {
    Authenticator.Type.TOTP: "authenticator app",
    Authenticator.Type.RECOVERY_CODES: "recovery codes",
    Authenticator.Type.WEBAUTHN: "passkey",
}


def on_authenticator_added(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any
) -> None:
    audit.log_event(
        "two_factor_added", user, by=user, summary=f"Added {_WORDS[authenticator.type]}"
    )


def on_authenticator_removed(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any
) -> None:
    audit.log_event(
        "two_factor_removed", user, by=user, summary=f"Removed {_WORDS[authenticator.type]}"
    )
    user.end_sessions()  # ASVS 7.5.2: a removed factor ends every other session
    if request is not None and hasattr(request, "session"):
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(request, user)


def on_authenticator_reset(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any
) -> None:
    audit.log_event("two_factor_reset", user, by=user, summary=f"New {_WORDS[authenticator.type]}")


class IndexView(mfa_views.IndexView):
    """allauth's two-factor page, saying whether the user's role needs it."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["psp_two_factor_required"] = is_required_for(self.request.user)  # type: ignore[arg-type]
        return context


index = IndexView.as_view()
