"""Users, the organisations they work for, and their roles."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from psp.roles import Role


class Organisation(models.Model):
    class Kind(models.TextChoices):
        EMPLOYER = "employer", "Employer"
        TRAINING_PROVIDER = "provider", "Training provider"
        EPAO = "epao", "End-point assessment organisation"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ukprn = models.CharField(
        "UKPRN",
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^1\d{7}$", "A UKPRN is 8 digits starting with 1.")],
        help_text="UK Provider Reference Number (training providers and EPAOs).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="unique_organisation_name"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Their role comes from their group (see psp.roles)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text="Employer, training provider or EPAO this person works for.",
    )

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="unique_user_email"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def role(self) -> Role | None:
        """The user's role: the first of their groups that names a role, in Role order."""
        if self.is_superuser:
            return Role.ADMIN
        names = {group.name for group in self.groups.all()}
        return next((role for role in Role if role.label in names), None)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles
