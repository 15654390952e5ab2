"""API tokens: how a training provider's or EPAO's own systems call the REST API (api.v1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from psp.models import Organisation, User
from psp.roles import Role

# Who may hold and manage tokens, and whose pages a token's calls are scoped as.
TOKEN_ROLES = {
    Organisation.Kind.TRAINING_PROVIDER: Role.PROVIDER,
    Organisation.Kind.EPAO: Role.EPAO_ADMIN,
}


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def visible_to(self, user: User) -> ApiTokenQuerySet:
        """An organisation's tokens, to the people who manage them; nobody else's (404)."""
        if not user.is_authenticated or not user.organisation_id:
            return self.none()
        if user.role not in TOKEN_ROLES.values():
            return self.none()
        return self.filter(organisation_id=user.organisation_id)

    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """One named token of an organisation. Only the SHA-256 of the secret is kept: the
    token is shown once, when it is made (api.tokens)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What uses it, like “MIS nightly sync”.")
    prefix = models.CharField(
        max_length=12, unique=True, help_text="The token's first characters, to recognise it."
    )
    secret_hash = models.CharField("SHA-256 of the token", max_length=64, unique=True)
    can_write = models.BooleanField(
        "may add and update apprentices",
        default=False,
        help_text="Every token may read; only a token with write access may change anything.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(secret_hash__regex=r"^[0-9a-f]{64}$"), name="api_token_hash_hex"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="api_token_revoked_by_someone",
            ),
            models.UniqueConstraint(
                fields=["organisation", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_unique_active_name",
            ),
        ]

    def __str__(self) -> str:
        return f"API token “{self.name}” of {self.organisation}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scopes(self) -> list[str]:
        return ["read", "write"] if self.can_write else ["read"]
