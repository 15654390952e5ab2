"""Apprentices, their portfolio evidence, KSB mapping and the evidence history."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from psp.models import Organisation
from psp.roles import Role
from standards.models import KSB, StandardVersion


def validate_uln(value: str) -> None:
    """A Unique Learner Number: 10 digits, not starting with 0, with a valid check digit.

    The check digit (the 10th) is 10 - (sum of the first nine digits weighted 10..2) mod 11;
    a remainder giving 10 means the number is invalid (Learning Records Service rule).
    """
    if not value.isdigit() or len(value) != 10:
        raise ValidationError(
            "Enter a ULN of exactly 10 digits, like 1234567890 (you entered %(count)s characters)",
            params={"count": len(value)},
            code="uln_format",
        )
    if value[0] == "0":
        raise ValidationError("A ULN cannot start with 0", code="uln_leading_zero")
    total = sum(
        int(digit) * weight for digit, weight in zip(value[:9], range(10, 1, -1), strict=True)
    )
    expected = 10 - total % 11
    if expected == 10 or int(value[9]) != expected:
        raise ValidationError(
            "This ULN's last digit does not match the rest: check it for a typing mistake",
            code="uln_check_digit",
        )


class ApprenticeQuerySet(models.QuerySet["Apprentice"]):
    def visible_to(self, user: Any) -> ApprenticeQuerySet:
        """The apprentices a user may see; everyone else's are simply not there (404)."""
        if not user.is_authenticated:
            return self.none()
        role = user.role
        if role == Role.ADMIN:
            return self
        if role == Role.APPRENTICE:
            return self.filter(user=user)
        if role == Role.PROVIDER and user.organisation_id:
            return self.filter(training_provider_id=user.organisation_id)
        if role == Role.EMPLOYER and user.organisation_id:
            return self.filter(employer_id=user.organisation_id)
        if role == Role.EPAO_ADMIN and user.organisation_id:
            return self.filter(epao_id=user.organisation_id, status__in=Apprentice.EPA_STATUSES)
        if role == Role.ASSESSOR:
            return self.filter(epa__assessor=user)
        return self.none()


class Apprentice(models.Model):
    class Status(models.TextChoices):
        ON_PROGRAMME = "on_programme", "On programme"
        BREAK_IN_LEARNING = "break", "Break in learning"
        AT_GATEWAY = "gateway", "At gateway"
        IN_EPA = "in_epa", "In EPA"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    EPA_STATUSES = (Status.AT_GATEWAY, Status.IN_EPA, Status.COMPLETED)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="apprentice"
    )
    uln = models.CharField("ULN", max_length=10, unique=True, validators=[validate_uln])
    standard_version = models.ForeignKey(
        StandardVersion, on_delete=models.PROTECT, related_name="apprentices"
    )
    start_date = models.DateField()
    planned_gateway_date = models.DateField()
    employer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="employed_apprentices",
        limit_choices_to={"kind": Organisation.Kind.EMPLOYER},
    )
    training_provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="trained_apprentices",
        limit_choices_to={"kind": Organisation.Kind.TRAINING_PROVIDER},
    )
    epao = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="assessed_apprentices",
        limit_choices_to={"kind": Organisation.Kind.EPAO},
        null=True,
        blank=True,
        verbose_name="chosen EPAO",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ON_PROGRAMME)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApprenticeQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        permissions = [("view_cohort", "Can see the cohort coverage of their organisation")]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_gateway_date__gt=models.F("start_date")),
                name="apprentice_gateway_after_start",
            ),
            models.CheckConstraint(
                condition=Q(uln__regex=r"^[1-9][0-9]{9}$"), name="apprentice_uln_ten_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.uln})"

    def get_absolute_url(self) -> str:
        return reverse("apprentices:apprentice_detail", args=[self.pk])

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.username

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.start_date
            and self.planned_gateway_date
            and self.planned_gateway_date <= self.start_date
        ):
            errors["planned_gateway_date"] = "The planned gateway date must be after the start date"
        version = self.standard_version if self.standard_version_id else None
        if version and self.start_date and not version_on_offer(version, self.start_date):
            errors["standard_version"] = (
                f"Version {version.version} was not open for starts on "
                f"{self.start_date:%d/%m/%Y}: its start dates are {start_window(version)}"
            )
        if errors:
            raise ValidationError(errors)

    def can_be_edited_by(self, user: Any) -> bool:
        return user.role in (Role.ADMIN, Role.PROVIDER) and (
            user.role == Role.ADMIN or user.organisation_id == self.training_provider_id
        )


def version_on_offer(version: StandardVersion, day: datetime.date) -> bool:
    if version.earliest_start_date and day < version.earliest_start_date:
        return False
    return not (version.latest_start_date and day > version.latest_start_date)


def start_window(version: StandardVersion) -> str:
    earliest = (
        f"{version.earliest_start_date:%d/%m/%Y}" if version.earliest_start_date else "any date"
    )
    latest = (
        f"{version.latest_start_date:%d/%m/%Y}" if version.latest_start_date else "no end date set"
    )
    return f"from {earliest} to {latest}"


class EvidenceStateError(Exception):
    """The evidence is no longer in a state that allows this; the message says why."""


class EvidenceQuerySet(models.QuerySet["Evidence"]):
    def visible_to(self, user: Any) -> EvidenceQuerySet:
        return self.filter(apprentice__in=Apprentice.objects.visible_to(user))

    def awaiting_review(self) -> EvidenceQuerySet:
        return self.filter(status=Evidence.Status.SUBMITTED)

    def current(self) -> EvidenceQuerySet:
        return self.exclude(status=Evidence.Status.WITHDRAWN)


class Evidence(models.Model):
    class Type(models.TextChoices):
        WORK_PRODUCT = "work_product", "Work product"
        WITNESS_TESTIMONY = "witness_testimony", "Witness testimony"
        OBSERVATION = "observation", "Observation record"
        REFLECTIVE_ACCOUNT = "reflective_account", "Reflective account"
        PROFESSIONAL_DISCUSSION = "professional_discussion", "Professional discussion record"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        ACCEPTED = "accepted", "Accepted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    apprentice = models.ForeignKey(Apprentice, on_delete=models.PROTECT, related_name="evidence")
    title = models.CharField(max_length=200)
    activity_date = models.DateField("date of the activity")
    evidence_type = models.CharField(max_length=30, choices=Type.choices)
    reflection = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    personal_data_removed = models.BooleanField(
        "identifying details removed",
        default=False,
        help_text="The apprentice confirmed they removed details that identify people.",
    )
    identifiers_confirmed = models.JSONField(
        default=list,
        blank=True,
        help_text="Likely identifiers the apprentice was warned of and confirmed are not personal.",
    )
    submission_count = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = models.TextField(blank=True)
    returned_for_personal_data = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ksbs = models.ManyToManyField(KSB, through="EvidenceKSB", related_name="evidence")

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["-activity_date", "-id"]
        permissions = [("review_evidence", "Can review submitted evidence")]
        indexes = [models.Index(fields=["apprentice", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(reviewed_by__isnull=False),
                name="evidence_accepted_has_reviewer",
            ),
            models.CheckConstraint(
                condition=~Q(status="changes_requested") | ~Q(review_comment=""),
                name="evidence_changes_requested_has_comment",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submission_count__gte=1) | Q(status="withdrawn"),
                name="evidence_submitted_was_counted",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("apprentices:evidence_detail", args=[self.pk])

    @property
    def is_resubmission(self) -> bool:
        return self.status == self.Status.SUBMITTED and self.submission_count > 1

    @property
    def status_label(self) -> str:
        return "Resubmitted" if self.is_resubmission else self.get_status_display()

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CHANGES_REQUESTED)

    def can_be_edited_by(self, user: Any) -> bool:
        return self.is_editable and self.apprentice.user_id == user.pk

    def can_be_reviewed_by(self, user: Any) -> bool:
        return (
            self.status == self.Status.SUBMITTED
            and user.role == Role.PROVIDER
            and user.organisation_id == self.apprentice.training_provider_id
        )

    def can_be_withdrawn_by(self, user: Any) -> bool:
        return (
            self.status in (self.Status.DRAFT, self.Status.SUBMITTED, self.Status.CHANGES_REQUESTED)
            and self.apprentice.user_id == user.pk
        )

    def can_be_submitted_by(self, user: Any) -> bool:
        return self.can_be_edited_by(user)

    def submission_problems(self) -> list[str]:
        """What stops this evidence being submitted, in words for the apprentice."""
        problems = []
        if not self.files.filter(removed_at__isnull=True).exists():
            problems.append("Add at least one file")
        if self.apprentice.standard_version.ksbs_imported and not self.mappings.exists():
            problems.append("Map the evidence to at least one KSB")
        if not self.personal_data_removed:
            problems.append("Confirm you have removed details that identify people")
        return problems

    @transaction.atomic
    def _move(
        self,
        *,
        allowed: tuple[str, ...],
        to: str,
        by: Any,
        action: str,
        comment: str = "",
        **fields: Any,
    ) -> None:
        """Change status under a row lock, so two people acting at once cannot both win."""
        current = Evidence.objects.select_for_update().get(pk=self.pk)
        if current.status not in allowed:
            raise EvidenceStateError(
                f"This evidence is now {current.status_label.lower()}, so it cannot be "
                f"{EvidenceEvent.Action(action).label.lower()}. Nothing was changed"
            )
        before = current.status
        for name, value in {"status": to, **fields}.items():
            setattr(self, name, value)
        self.save(update_fields=["status", "updated_at", *fields])
        EvidenceEvent.objects.create(
            evidence=self,
            actor=by,
            action=action,
            comment=comment,
            changes={"status": [before, to]},
        )

    def submit(self, *, by: Any) -> None:
        problems = self.submission_problems()
        if problems:
            raise EvidenceStateError(". ".join(problems))
        self._move(
            allowed=(self.Status.DRAFT, self.Status.CHANGES_REQUESTED),
            to=self.Status.SUBMITTED,
            by=by,
            action=EvidenceEvent.Action.SUBMITTED,
            submission_count=self.submission_count + 1,
            submitted_at=timezone.now(),
        )

    def accept(self, *, by: Any, comment: str = "") -> None:
        self._move(
            allowed=(self.Status.SUBMITTED,),
            to=self.Status.ACCEPTED,
            by=by,
            action=EvidenceEvent.Action.ACCEPTED,
            comment=comment,
            reviewed_by=by,
            reviewed_at=timezone.now(),
            review_comment=comment,
            returned_for_personal_data=False,
        )

    def request_changes(self, *, by: Any, comment: str, personal_data: bool = False) -> None:
        if not comment.strip():
            raise EvidenceStateError("Say what the apprentice needs to change")
        self._move(
            allowed=(self.Status.SUBMITTED,),
            to=self.Status.CHANGES_REQUESTED,
            by=by,
            action=EvidenceEvent.Action.CHANGES_REQUESTED,
            comment=comment,
            reviewed_by=by,
            reviewed_at=timezone.now(),
            review_comment=comment,
            returned_for_personal_data=personal_data,
        )

    def withdraw(self, *, by: Any, reason: str = "") -> None:
        self._move(
            allowed=(self.Status.DRAFT, self.Status.SUBMITTED, self.Status.CHANGES_REQUESTED),
            to=self.Status.WITHDRAWN,
            by=by,
            action=EvidenceEvent.Action.WITHDRAWN,
            comment=reason,
        )


def evidence_upload_path(instance: EvidenceFile, filename: str) -> str:
    # Content-addressed under the apprentice: the stored name never comes from the user.
    return f"evidence/{instance.evidence.apprentice_id}/{instance.sha256[:2]}/{instance.sha256}"


class EvidenceFile(models.Model):
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=evidence_upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidence_file_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(removed_by__isnull=False),
                name="evidence_file_removal_has_who",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("apprentices:evidence_file_download", args=[self.evidence_id, self.pk])


class EvidenceKSB(models.Model):
    """Evidence mapped to a KSB of the apprentice's version, with how it shows it."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="mappings")
    ksb = models.ForeignKey(KSB, on_delete=models.PROTECT, related_name="evidence_mappings")
    note = models.CharField("how the evidence shows it", max_length=500, blank=True)

    class Meta:
        verbose_name = "evidence KSB mapping"
        constraints = [
            models.UniqueConstraint(fields=["evidence", "ksb"], name="unique_evidence_ksb"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence} → {self.ksb.code}"


class EvidenceEvent(models.Model):
    """One entry in an evidence item's history: who did what, when, and what changed."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        FILE_ADDED = "file_added", "File added"
        FILE_REMOVED = "file_removed", "File removed"
        MAPPING_CHANGED = "mapping_changed", "KSB mapping changed"
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        WITHDRAWN = "withdrawn", "Withdrawn"

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=30, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="Field: [before, after].")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"

    def described_changes(self) -> list[str]:
        """The changes in words: labels instead of stored values, KSBs added and removed."""
        lines = []
        for name, (before, after) in self.changes.items():
            if name == "status":
                lines.append(f"Status: {_status_label(before)} → {_status_label(after)}")
            elif name == "ksbs":
                added = sorted(set(after) - set(before), key=_code_order)
                removed = sorted(set(before) - set(after), key=_code_order)
                renoted = sorted(
                    (c for c in set(before) & set(after) if before[c] != after[c]), key=_code_order
                )
                for label, codes in (
                    ("added", added),
                    ("removed", removed),
                    ("note changed", renoted),
                ):
                    if codes:
                        lines.append(f"KSBs {label}: {', '.join(codes)}")
            else:
                label = name.replace("_", " ").capitalize()
                if name == "evidence_type":
                    before, after = _type_label(before), _type_label(after)
                if before in (None, "", []):
                    lines.append(f"{label}: {after}")
                elif after in (None, "", []):
                    lines.append(f"{label}: {before} (removed)")
                else:
                    lines.append(f"{label}: {before} → {after}")
        return lines


def _status_label(value: str | None) -> str:
    return Evidence.Status(value).label.lower() if value in Evidence.Status.values else str(value)


def _type_label(value: str | None) -> str | None:
    return Evidence.Type(value).label if value in Evidence.Type.values else value


def _code_order(code: str) -> tuple[int, int]:
    return ("KSB".index(code[0]) if code[:1] in ("K", "S", "B") else 3, int(code[1:] or 0))


class VersionMove(models.Model):
    """An apprentice moved from one version of their standard to another, with the
    evidence mapping before the move kept whole."""

    apprentice = models.ForeignKey(
        Apprentice, on_delete=models.PROTECT, related_name="version_moves"
    )
    from_version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="+")
    to_version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    old_mappings = models.JSONField(help_text="Evidence id to {old KSB code: note}, before.")
    carried = models.JSONField(help_text="Evidence id to {old code: new code}.")
    unmapped = models.JSONField(help_text="Evidence id to old codes with no equivalent.")

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="version_move_has_reason"),
            models.CheckConstraint(
                condition=~Q(from_version=models.F("to_version")),
                name="version_move_changes_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.apprentice} moved to {self.to_version}"
