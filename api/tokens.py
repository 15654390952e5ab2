"""Making, checking and revoking API tokens.

A token is `psp_` + a public prefix + `_` + a random secret (from `secrets`, 256 bits).
Only its SHA-256 is stored: a high-entropy secret needs no slow hash, and the lookup is one
indexed equality. A call made with a token acts for its organisation as the organisation's
staff pages do: a training provider's token sees what the provider's staff see, an EPAO's
what its administrators see (a `Principal` stands in for the user in `visible_to`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from api.models import TOKEN_ROLES, ApiToken
from psp.models import Organisation, User
from psp.roles import Role

SCHEME = "psp"


class TokenError(Exception):
    """The token cannot be made or revoked; the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who an API call acts as, for `visible_to(user)`: the organisation, in the role of its
    staff pages. It has no permissions of its own beyond what the endpoints check."""

    token_id: int
    organisation_id: int
    role: Role
    can_write: bool
    label: str
    is_authenticated: bool = True
    is_superuser: bool = False
    pk: None = None

    def __str__(self) -> str:
        # ninja's AuthRateThrottle keys its counts on this.
        return f"api-token-{self.token_id}"

    def has_perm(self, perm: str, obj: object = None) -> bool:
        """What the organisation's staff may do, as their pages ask it: a permission of the
        role's group. A token has no object permissions; its rows come from visible_to."""
        app_label, _, codename = perm.partition(".")
        return obj is None and (
            Permission.objects.filter(
                group__name=self.role.label, content_type__app_label=app_label, codename=codename
            ).exists()
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    organisation: Organisation, *, name: str, can_write: bool, by: User
) -> tuple[ApiToken, str]:
    """A new token and its text, which is never shown again."""
    if organisation.kind not in TOKEN_ROLES:
        raise TokenError("Only training providers and EPAOs have API tokens")
    name = name.strip()
    if ApiToken.objects.active().filter(organisation=organisation, name=name).exists():
        raise TokenError(f"Your organisation already has a token named “{name}”")
    prefix = secrets.token_hex(4)
    text = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name,
        prefix=prefix,
        secret_hash=_hash(text),
        can_write=can_write,
        created_by=by,
    )
    return token, text


@transaction.atomic
def revoke_token(token: ApiToken, *, by: User) -> None:
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    if not updated:
        raise TokenError("This token was already revoked")
    token.refresh_from_db()


def authenticate(text: str) -> tuple[ApiToken, Principal] | None:
    """The active token with this text and who it acts as, or None."""
    if not text.startswith(f"{SCHEME}_") or len(text) > 200:
        return None
    token = (
        ApiToken.objects.active()
        .select_related("organisation")
        .filter(secret_hash=_hash(text))
        .first()
    )
    if token is None or token.organisation.kind not in TOKEN_ROLES:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token, Principal(
        token_id=token.pk,
        organisation_id=token.organisation_id,
        role=TOKEN_ROLES[Organisation.Kind(token.organisation.kind)],
        can_write=token.can_write,
        label=f"{token} (API)",
    )
