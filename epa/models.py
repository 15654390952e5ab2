"""End-point assessment: gateway attempts with their frozen pack, the EPA itself, each
assessment method's record and grade, moderation, the final result and amendments."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apprentices.models import Apprentice
from progress.training import long_date
from psp.roles import Role, Viewer
from standards.models import AssessmentMethod, GatewayRequirement, GradingCriterion

if TYPE_CHECKING:
    from psp.models import User


class EpaStateError(Exception):
    """The gateway or EPA is not in a state that allows this; the message says why."""


class GatewayAttemptQuerySet(models.QuerySet["GatewayAttempt"]):
    def visible_to(self, user: Viewer) -> GatewayAttemptQuerySet:
        return self.filter(apprentice__in=Apprentice.objects.visible_to(user))

    def to_decide(self) -> GatewayAttemptQuerySet:
        """Submitted to the EPAO and not yet decided, the longest waiting first."""
        return self.filter(status=GatewayAttempt.Status.SUBMITTED).order_by("submitted_at", "pk")


class GatewayAttempt(models.Model):
    """One go at gateway. A rejected attempt stays; the next one is a new attempt."""

    class Status(models.TextChoices):
        PREPARING = "preparing", "Being prepared"
        SUBMITTED = "submitted", "Submitted to the EPAO"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    apprentice = models.ForeignKey(
        Apprentice, on_delete=models.PROTECT, related_name="gateway_attempts"
    )
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREPARING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    pack = models.JSONField(null=True, blank=True, help_text="The portfolio frozen at submission.")
    pack_hash = models.CharField("pack SHA-256", max_length=64, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    gateway_date = models.DateField(null=True, blank=True)

    objects = GatewayAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["apprentice", "number"]
        permissions = [
            ("prepare_gateway", "Can start, complete and submit an apprentice's gateway"),
            ("confirm_gateway", "Can confirm an apprentice is ready for gateway"),
            ("decide_gateway", "Can accept or reject gateway items"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["apprentice", "number"], name="unique_gateway_attempt"),
            # At most one attempt at a time is open (preparing or submitted) or accepted.
            models.UniqueConstraint(
                fields=["apprentice"],
                condition=Q(status__in=["preparing", "submitted", "accepted"]),
                name="one_live_gateway_attempt",
            ),
            models.CheckConstraint(
                condition=Q(status="preparing") | (Q(pack__isnull=False) & ~Q(pack_hash="")),
                name="submitted_gateway_has_pack",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(gateway_date__isnull=False),
                name="accepted_gateway_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Gateway attempt {self.number} for {self.apprentice}"

    def get_absolute_url(self) -> str:
        return reverse("epa:gateway", args=[self.apprentice_id])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PREPARING

    def can_be_decided_by(self, user: User) -> bool:
        """Submitted, and the user is an administrator of the apprentice's EPAO."""
        return (
            self.status == self.Status.SUBMITTED
            and user.role == Role.EPAO_ADMIN
            and user.organisation_id == self.apprentice.epao_id
        )

    def item(self, kind: str) -> GatewayItem | None:
        return next((item for item in self.items.all() if item.kind == kind), None)


class GatewayItemQuerySet(models.QuerySet["GatewayItem"]):
    def awaiting_confirmation_by(self, user: User) -> GatewayItemQuerySet:
        """The items of gateways being prepared that wait for the user's organisation to
        confirm them (GatewayItem.can_be_confirmed_by): the employer's readiness for an
        employer's staff, the rest for the training provider's; the longest waiting first."""
        if user.role == Role.EMPLOYER:
            mine = Q(
                kind=GatewayItem.Kind.EMPLOYER,
                attempt__apprentice__employer_id=user.organisation_id,
            )
        elif user.role == Role.PROVIDER:
            mine = ~Q(kind=GatewayItem.Kind.EMPLOYER) & Q(
                attempt__apprentice__training_provider_id=user.organisation_id
            )
        else:
            return self.none()
        return self.filter(
            mine, confirmed_at__isnull=True, attempt__status=GatewayAttempt.Status.PREPARING
        ).order_by("attempt__created_at", "pk")


class GatewayItem(models.Model):
    """One line of the gateway checklist, with who confirmed it and the EPAO's decision."""

    class Kind(models.TextChoices):
        ENGLISH_MATHS = "english_maths", "English and maths"
        PORTFOLIO = "portfolio", "Portfolio of evidence submitted"
        EMPLOYER = "employer", "Employer confirms the apprentice is ready"
        PROVIDER = "provider", "Training provider confirms the apprentice is ready"
        OTHER = "other", "Other requirement"

    class EnglishMaths(models.TextChoices):
        LEVEL_2 = "level_2", "Level 2 English and maths achieved"
        ENTRY_3_EHCP = "entry_3_ehcp", "Entry Level 3, with an education, health and care plan"
        BSL = "bsl", "British Sign Language qualification instead of English, and maths achieved"

    class Decision(models.TextChoices):
        PENDING = "pending", "Not decided"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    attempt = models.ForeignKey(GatewayAttempt, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    requirement = models.ForeignKey(
        GatewayRequirement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(help_text="What must be true, as the EPA plan or checklist says.")
    english_maths = models.CharField(max_length=20, choices=EnglishMaths.choices, blank=True)
    details = models.TextField(blank=True, help_text="Evidence: certificates, dates, references.")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = GatewayItemQuerySet.as_manager()

    class Meta:
        ordering = ["attempt", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="pending") | Q(decided_by__isnull=False),
                name="gateway_decision_has_who",
            ),
            models.CheckConstraint(
                condition=~Q(decision="rejected") | ~Q(reason=""),
                name="gateway_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(confirmed_by__isnull=False),
                name="gateway_confirmation_has_who",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def can_be_confirmed_by(self, user: User) -> bool:
        apprentice = self.attempt.apprentice
        if not self.attempt.is_open:
            return False
        if self.kind == self.Kind.EMPLOYER:
            return apprentice.is_employed_by(user)
        return apprentice.is_trained_by(user)


class ConflictQuerySet(models.QuerySet["ConflictOfInterest"]):
    def visible_to(self, user: User) -> ConflictQuerySet:
        """An assessor's own declarations; an EPAO administrator's assessors'."""
        if not user.is_authenticated:
            return self.none()
        if user.role == Role.ASSESSOR:
            return self.filter(assessor=user)
        if user.role == Role.EPAO_ADMIN and user.organisation_id:
            return self.filter(assessor__organisation_id=user.organisation_id)
        return self.none()

    def standing(self) -> ConflictQuerySet:
        """Not withdrawn: a withdrawn declaration was made in error and counts for nothing."""
        return self.filter(withdrawn_at__isnull=True)

    def in_effect_between(self, start: datetime.date, end: datetime.date) -> ConflictQuerySet:
        """Declarations whose dates overlap the period."""
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start), starts_on__lte=end)


class ConflictOfInterest(models.Model):
    """An assessor's declaration that they were involved with an employer, a training provider
    or a named apprentice, from one date to another (or still). An assessor with a conflict in
    effect during an apprenticeship cannot be assigned to its EPA."""

    class Kind(models.TextChoices):
        EMPLOYER = "employer", "An employer (worked for it, or for a client of it)"
        PROVIDER = "provider", "A training provider (taught, worked or was paid by it)"
        APPRENTICE = "apprentice", "A named apprentice (family, friend, manager or trainer)"

    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conflicts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey(
        "psp.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    apprentice = models.ForeignKey(
        Apprentice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_on = models.DateField("from")
    ends_on = models.DateField("to", null=True, blank=True, help_text="Empty while it lasts.")
    details = models.TextField(help_text="What the involvement was.")
    declared_at = models.DateTimeField(default=timezone.now)
    # Ending one (setting ends_on) and withdrawing one are the assessor's; the audit trail
    # (psp.audit) records who changed what and when.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True, help_text="Why it was declared in error.")

    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["assessor", "-starts_on", "id"]
        permissions = [("declare_conflict", "Can declare their own conflicts of interest")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["employer", "provider"], organisation__isnull=False)
                    & Q(apprentice__isnull=True)
                )
                | Q(kind="apprentice", apprentice__isnull=False, organisation__isnull=True),
                name="conflict_names_whom",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="conflict_dates_in_order",
            ),
            models.CheckConstraint(condition=~Q(details=""), name="conflict_has_details"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="conflict_withdrawal_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.whom}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def can_be_ended_by(self, user: User) -> bool:
        return user.pk == self.assessor_id and not self.is_withdrawn and self.ends_on is None

    def can_be_withdrawn_by(self, user: User) -> bool:
        return user.pk == self.assessor_id and not self.is_withdrawn

    def end(self, *, on: datetime.date, by: User) -> None:
        """The involvement ended on that day: the declaration stays, with its end date, and no
        longer stands in the way of apprenticeships that began after it."""
        with transaction.atomic():
            current = type(self).objects.select_for_update().get(pk=self.pk)
            if not current.can_be_ended_by(by):
                raise EpaStateError("This declaration has already ended or been withdrawn")
            if on < current.starts_on:
                start = long_date(current.starts_on)
                raise EpaStateError(f"The end date must be on or after the start date, {start}")
            if on > timezone.localdate():
                raise EpaStateError("The end date cannot be in the future")
            self.ends_on = on
            self.save(update_fields=["ends_on"])

    def withdraw(self, *, reason: str, by: User) -> None:
        """The declaration was made in error: it stays on record, marked withdrawn, and no
        longer counts when an assessor is assigned."""
        if not reason.strip():
            raise EpaStateError("Say why the declaration was made in error")
        with transaction.atomic():
            current = type(self).objects.select_for_update().get(pk=self.pk)
            if not current.can_be_withdrawn_by(by):
                raise EpaStateError("This declaration has already been withdrawn")
            self.withdrawn_at, self.withdrawal_reason = timezone.now(), reason.strip()
            self.save(update_fields=["withdrawn_at", "withdrawal_reason"])

    @property
    def whom(self) -> str:
        return str(self.apprentice.name if self.apprentice else self.organisation)

    @property
    def period(self) -> str:
        end = long_date(self.ends_on) if self.ends_on else "now"
        return f"{long_date(self.starts_on)} to {end}"

    def as_record(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "kind": self.kind,
            "whom": self.whom,
            "from": self.starts_on.isoformat(),
            "to": self.ends_on.isoformat() if self.ends_on else None,
            "details": self.details,
        }


class EpaQuerySet(models.QuerySet["Epa"]):
    def visible_to(self, user: Viewer) -> EpaQuerySet:
        return self.filter(apprentice__in=Apprentice.objects.visible_to(user))


class Epa(models.Model):
    """An apprentice's end-point assessment, from accepted gateway to final result."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        AWAITING_MODERATION = "moderation", "Awaiting moderation"
        FINAL = "final", "Result final"

    apprentice = models.OneToOneField(Apprentice, on_delete=models.PROTECT, related_name="epa")
    gateway = models.OneToOneField(GatewayAttempt, on_delete=models.PROTECT, related_name="epa")
    period_start = models.DateField()
    period_end = models.DateField()
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_epas",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    sitting = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the first assessment; one more for each resit or retake."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    moderation_comment = models.TextField(blank=True)
    independence_checked_at = models.DateTimeField(null=True, blank=True)
    independence_declaration = models.JSONField(
        null=True,
        blank=True,
        help_text="The assessor's declared conflicts of interest when they were assigned.",
    )

    objects = EpaQuerySet.as_manager()

    class Meta:
        verbose_name = "EPA"
        ordering = ["period_end", "id"]
        permissions = [
            ("manage_epa", "Can assign assessors, schedule, record resits and amend results"),
            ("grade_epa", "Can record assessments and grades of EPAs assigned to them"),
            ("moderate_epa", "Can confirm or return provisional grades"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")), name="epa_period_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"EPA of {self.apprentice}"

    def get_absolute_url(self) -> str:
        return reverse("epa:epa_detail", args=[self.pk])

    @property
    def latest_result(self) -> EpaResult | None:
        results = list(self.results.all())
        return results[-1] if results else None

    @property
    def plan(self) -> Any:
        return self.apprentice.standard_version.epa_plan

    def can_be_graded_by(self, user: User) -> bool:
        return self.status == self.Status.IN_PROGRESS and user.pk == self.assessor_id

    def can_be_managed_by(self, user: User) -> bool:
        return user.role == Role.EPAO_ADMIN and user.organisation_id == self.apprentice.epao_id

    def can_be_moderated_by(self, user: User) -> bool:
        return (
            self.status == self.Status.AWAITING_MODERATION
            and self.can_be_managed_by(user)
            and user.pk != self.assessor_id
        )

    def shows_grades_to(self, user: User) -> bool:
        """Grades show once final; before that, to its assessor and its EPAO's
        administrators only."""
        return (
            self.status == self.Status.FINAL
            or user.pk == self.assessor_id
            or self.can_be_managed_by(user)
        )


class MethodAssessment(models.Model):
    """One attempt at one assessment method: its schedule, record and grade."""

    class Kind(models.TextChoices):
        FIRST = "first", "First attempt"
        RESIT = "resit", "Resit (no further training)"
        RETAKE = "retake", "Retake (after further training)"

    epa = models.ForeignKey(Epa, on_delete=models.PROTECT, related_name="assessments")
    method = models.ForeignKey(AssessmentMethod, on_delete=models.PROTECT, related_name="+")
    attempt = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FIRST)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    location = models.CharField("place or online link", max_length=500, blank=True)
    adjustments = models.TextField("reasonable adjustments", blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        "actual duration (minutes)", null=True, blank=True
    )
    evidence_referred = models.TextField("evidence referred to", blank=True)
    judgement = models.TextField(blank=True)
    grade = models.CharField(max_length=20, blank=True, help_text="As decided, before any cap.")
    capped_grade = models.CharField(max_length=20, blank=True, help_text="After a resit cap.")
    grade_justification = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    sitting = models.PositiveSmallIntegerField(
        default=1, help_text="The sitting of the EPA this attempt belongs to."
    )
    follows = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followed_by",
        help_text="The final attempt this resit or retake follows.",
    )
    is_final = models.BooleanField(
        default=False,
        help_text="Confirmed by moderation. The database refuses any change of its grade.",
    )

    class Meta:
        ordering = ["epa", "method__number", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["epa", "method", "attempt"], name="unique_method_attempt"
            ),
            models.CheckConstraint(
                condition=Q(grade="") | Q(recorded_by__isnull=False),
                name="graded_assessment_has_assessor",
            ),
            models.CheckConstraint(
                condition=Q(kind="first", attempt=1) | (~Q(kind="first") & Q(attempt__gt=1)),
                name="resits_are_later_attempts",
            ),
            models.CheckConstraint(
                condition=Q(kind="first", follows__isnull=True)
                | (~Q(kind="first") & Q(follows__isnull=False)),
                name="resit_follows_an_attempt",
            ),
            models.CheckConstraint(
                condition=Q(is_final=False) | ~Q(grade=""), name="final_assessment_has_grade"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} (attempt {self.attempt})"

    @property
    def final_grade(self) -> str:
        return self.capped_grade or self.grade

    @property
    def takes_submissions(self) -> bool:
        return bool(self.method.submission_deadline_week) and not self.is_graded

    @property
    def submission_state(self) -> str:
        """For the assessor: "on time", "late", "missing" (deadline passed, nothing handed
        in), "awaited" or "" when the method takes no material."""
        deadline = self.deadline
        if deadline is None:
            return ""
        handed_in = list(self.submissions.all())
        if not handed_in:
            return "missing" if timezone.localdate() > deadline else "awaited"
        return "late" if any(s.is_late for s in handed_in) else "on time"

    def can_receive_material_from(self, user: User) -> bool:
        return (
            self.takes_submissions
            and self.epa.status == Epa.Status.IN_PROGRESS
            and self.sitting == self.epa.sitting
            and user.pk == self.epa.apprentice.user_id
        )

    @property
    def duration_warning(self) -> str:
        """Said when the recorded duration is shorter than the plan's (not a minimum)."""
        planned = self.method.duration_minutes
        if not planned or self.duration_minutes is None or self.duration_minutes >= planned:
            return ""
        return (
            f"{self.duration_minutes} minutes is shorter than the {planned} minutes the EPA "
            "plan sets"
        )

    def can_be_recorded_by(self, user: User) -> bool:
        """Only the assessor, only in the open sitting, and never once the result is final."""
        return (
            not self.is_final
            and self.sitting == self.epa.sitting
            and self.epa.can_be_graded_by(user)
        )

    @property
    def is_graded(self) -> bool:
        return bool(self.grade)

    @property
    def deadline(self) -> datetime.date | None:
        """When submitted material is due: the end of the plan's week of the EPA period."""
        week = self.method.submission_deadline_week
        if not week:
            return None
        return self.epa.period_start + datetime.timedelta(days=7 * week - 1)


def submission_upload_path(instance: MethodSubmission, filename: str) -> str:
    # Content-addressed under the apprentice: the stored name never comes from the user.
    apprentice_id = instance.assessment.epa.apprentice_id
    return f"epa/{apprentice_id}/{instance.sha256[:2]}/{instance.sha256}"


class MethodSubmission(models.Model):
    """Material the apprentice hands in for a method before its deadline (for example the
    presentation slides), kept with its SHA-256. Never edited: a new version is a new row."""

    class Kind(models.TextChoices):
        SLIDES = "slides", "Presentation slides"
        SUPPORTING = "supporting", "Supporting material"

    assessment = models.ForeignKey(
        MethodAssessment, on_delete=models.PROTECT, related_name="submissions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=submission_upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(help_text="The deadline when it was handed in.")
    supplement_hash = models.CharField(
        "supplement SHA-256",
        max_length=64,
        help_text="SHA-256 over the gateway pack hash and every hand-in of the gateway up to "
        "and including this one (epa.gateway.supplement): the pack's supplement so far.",
    )

    class Meta:
        ordering = ["assessment", "uploaded_at", "id"]
        permissions = [("submit_material", "Can hand in material for their own EPA methods")]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="method_submission_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(supplement_hash__regex=r"^[0-9a-f]{64}$"),
                name="method_submission_supplement_hash_hex",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse(
            "epa:submission_download", args=[self.assessment.epa_id, self.assessment_id, self.pk]
        )

    @property
    def is_late(self) -> bool:
        return timezone.localdate(self.uploaded_at) > self.due_on


class MethodModeration(models.Model):
    """The moderator's decision on one method result, each time they moderate."""

    assessment = models.ForeignKey(
        MethodAssessment, on_delete=models.PROTECT, related_name="moderations"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    grade = models.CharField(max_length=20, help_text="The grade moderated.")
    agrees = models.BooleanField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agrees=True) | ~Q(comment=""), name="moderation_disagreement_says_why"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {'agreed' if self.agrees else 'not agreed'}"


class Question(models.Model):
    assessment = models.ForeignKey(
        MethodAssessment, on_delete=models.CASCADE, related_name="questions"
    )
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="unique_question_number"),
        ]

    def __str__(self) -> str:
        return f"Q{self.number}: {self.text}"


class CriterionDecision(models.Model):
    assessment = models.ForeignKey(
        MethodAssessment, on_delete=models.CASCADE, related_name="criterion_decisions"
    )
    criterion = models.ForeignKey(GradingCriterion, on_delete=models.PROTECT, related_name="+")
    pass_met = models.BooleanField()
    distinction_met = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="unique_criterion_decision"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: pass {'met' if self.pass_met else 'not met'}"


class EpaResult(models.Model):
    """The final, moderated result of one sitting. The database refuses a second one."""

    epa = models.ForeignKey(Epa, on_delete=models.PROTECT, related_name="results")
    sitting = models.PositiveSmallIntegerField()
    overall_grade = models.CharField(max_length=20)
    uncapped_grade = models.CharField(
        max_length=20,
        blank=True,
        help_text="The grade the combination rule gave before the resit cap, if it was capped.",
    )
    rule = models.TextField(blank=True, help_text="How the overall grade was worked out.")
    plan_revision = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The revision of the EPA plan it was graded under."
    )
    method_grades = models.JSONField(help_text="Method number to grade, as combined.")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["epa", "sitting"]
        constraints = [
            models.UniqueConstraint(fields=["epa", "sitting"], name="one_result_per_sitting"),
            models.CheckConstraint(
                condition=~Q(assessor=models.F("moderator")), name="moderator_is_not_the_assessor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.epa}: {self.overall_grade}"

    def can_be_amended_by(self, user: User) -> bool:
        """Someone of the apprentice's EPAO who neither assessed nor moderated the result: a
        correction is always a second person's."""
        return self.epa.can_be_managed_by(user) and user.pk not in (
            self.assessor_id,
            self.moderator_id,
        )

    @property
    def latest_amendment(self) -> Amendment | None:
        amendments = list(self.amendments.all())
        return max(amendments, key=lambda a: (a.at, a.id)) if amendments else None

    @property
    def current_grade(self) -> str:
        latest = self.latest_amendment
        return latest.overall_after if latest else self.overall_grade

    @property
    def current_method_grades(self) -> dict[int, str]:
        latest = self.latest_amendment
        grades = latest.method_grades_after if latest and latest.method_grades_after else None
        return {int(k): v for k, v in (grades or self.method_grades).items()}


class Amendment(models.Model):
    """A recorded correction to a final result: the result itself is never edited."""

    result = models.ForeignKey(EpaResult, on_delete=models.PROTECT, related_name="amendments")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    overall_before = models.CharField(max_length=20)
    overall_after = models.CharField(max_length=20)
    method_grades_after = models.JSONField(
        default=dict, blank=True, help_text="Method number to corrected grade."
    )

    class Meta:
        ordering = ["at", "id"]
        permissions = [
            ("amend_result", "Can amend a final result someone else assessed and moderated"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="amendment_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.overall_before} → {self.overall_after}: {self.reason}"


class EpaEvent(models.Model):
    """The EPA timeline: what happened, to whom, when and by whom."""

    apprentice = models.ForeignKey(Apprentice, on_delete=models.PROTECT, related_name="epa_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.title


class EpaRevision(models.Model):
    """One row: a number that database triggers raise on every change to what the home
    pages' gateway and EPA lists and counts show (epa.revision), so they can be cached
    under it."""

    number = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_epa_revision_row")]

    def __str__(self) -> str:
        return f"EPA revision {self.number}"
