"""Apprentices, their portfolio evidence, KSB mapping and the evidence history."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import dateformat, timezone

from apprentices import notices
from psp.addresses import address
from psp.models import Organisation, User
from psp.roles import Role, Viewer
from standards.models import KSB, Option, StandardVersion


def uln_check_digit(first_nine: str) -> int:
    """The check digit, the 10th digit of a Unique Learner Number: 10 - (the sum of the first
    nine digits weighted 10..2) mod 11. 10 means no digit completes them: they begin no valid
    ULN (Learning Records Service rule)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    return 10 - total % 11


def complete_uln(first_nine: str) -> str:
    """A valid ULN from its first nine digits (the demo's and the tests' apprentices)."""
    digit = uln_check_digit(first_nine)
    if digit == 10:
        raise ValueError(f"{first_nine} cannot be completed into a valid ULN")
    return f"{first_nine}{digit}"


def validate_uln(value: str) -> None:
    """A Unique Learner Number: 10 digits, not starting with 0, with a valid check digit."""
    if not value.isdigit() or len(value) != 10:
        raise ValidationError(
            "Enter a ULN of exactly 10 digits, like 1234567899 (you entered %(count)s characters)",
            params={"count": len(value)},
            code="uln_format",
        )
    if value[0] == "0":
        raise ValidationError("A ULN cannot start with 0", code="uln_leading_zero")
    expected = uln_check_digit(value[:9])
    if expected == 10 or int(value[9]) != expected:
        raise ValidationError(
            "This ULN's last digit does not match the rest: check it for a typing mistake",
            code="uln_check_digit",
        )


class ApprenticeQuerySet(models.QuerySet["Apprentice"]):
    def for_portfolio(self) -> ApprenticeQuerySet:
        """What the portfolio's heading shows: the user and the standard version joined, the
        names of the organisations and the option (`employer_name`, `provider_name`,
        `epao_name`, `option_title`) and the EPA's id (`epa_pk`). An eight-table
        select_related took PostgreSQL 1.5 ms to plan; this takes 0.3 ms. The names are
        scalar subqueries in SQL, because Django's `Subquery` took 1.7 ms of the worker's
        CPU to compile four of them (the query is run on its own, never inside another,
        so the apprentice table keeps its name). Of the user, the version and the standard
        it reads what the heading shows: 34 columns where select_related read 70."""

        def name_of(table: str, column: str, key: str) -> RawSQL:
            # Only names of psp's own tables and columns, never input: nothing to escape.
            return RawSQL(
                f"SELECT {column} FROM {table} WHERE id = apprentices_apprentice.{key}", ()
            )

        names = ("username", "first_name", "last_name")
        return (
            self.select_related("user", "standard_version__standard")
            .only(
                *(field.attname for field in Apprentice._meta.concrete_fields),
                *(f"user__{name}" for name in names),
                "standard_version__version",
                "standard_version__title",
                "standard_version__ksbs_imported",
                "standard_version__standard__reference",
            )
            .annotate(
                employer_name=name_of("psp_organisation", "name", "employer_id"),
                provider_name=name_of("psp_organisation", "name", "training_provider_id"),
                epao_name=name_of("psp_organisation", "name", "epao_id"),
                option_title=name_of("standards_option", "title", "option_id"),
                epa_pk=F("epa"),
            )
        )

    def visible_to(self, user: Viewer) -> ApprenticeQuerySet:
        """The apprentices a user may see; everyone else's are simply not there (404)."""
        if not user.is_authenticated:
            return self.none()
        if user.role == Role.ASSESSOR:
            return self.filter(epa__assessor=user)
        seen = seen_by_columns(user)
        return self.none() if seen is None else self.filter(seen)


def seen_by_columns(user: Viewer, *, through: str = "") -> Q | None:
    """The apprentices a signed-in user other than an assessor sees, as a condition on
    columns of the apprentice's own row (`through` the relation's name and "__" from another
    model), or None when they see none. An assessor's are chosen through their EPAs.
    Apprentice.is_visible_to asks the same of one row in Python: change both together."""
    role = user.role
    if role == Role.ADMIN:
        return Q()
    if role == Role.APPRENTICE:
        return Q(**{f"{through}user_id": user.pk})
    if not user.organisation_id:
        return None
    if role == Role.PROVIDER:
        return Q(**{f"{through}training_provider_id": user.organisation_id})
    if role == Role.EMPLOYER:
        return Q(**{f"{through}employer_id": user.organisation_id})
    if role == Role.EPAO_ADMIN:
        return Q(
            **{
                f"{through}epao_id": user.organisation_id,
                f"{through}status__in": Apprentice.EPA_STATUSES,
            }
        )
    return None


def seen_by_key(user: Viewer) -> str | None:
    """A name for the apprentices a signed-in user sees, for the keys of what is cached under
    the evidence revision (apprentices.revision): users with the same name see the same
    apprentices for as long as the apprentices' rows and the EPAs' rows (an assessor's are
    chosen through their EPAs) are what they were, and both raise that revision. None when
    they see none."""
    if not user.is_authenticated:
        return None
    role = user.role
    if role == Role.ADMIN:
        return "admin"
    if role in (Role.APPRENTICE, Role.ASSESSOR):
        return f"{role}:{user.pk}"
    if role in (Role.PROVIDER, Role.EMPLOYER, Role.EPAO_ADMIN) and user.organisation_id:
        return f"{role}:{user.organisation_id}"
    return None


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
    option = models.ForeignKey(
        Option,
        on_delete=models.PROTECT,
        related_name="apprentices",
        null=True,
        blank=True,
        verbose_name="chosen option",
        help_text="Core-and-options versions only: the option the apprentice is doing.",
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
    # Off-the-job training and progress reviews (progress.training, progress.reviews).
    contracted_hours_per_week = models.DecimalField(
        "contracted hours a week",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Paid working hours a week in the apprentice's contract, without overtime.",
    )
    practical_period_weeks = models.PositiveSmallIntegerField(
        "planned duration of the practical period (weeks)",
        null=True,
        blank=True,
        help_text="Leave empty to use the weeks from the start date to the planned gateway date.",
    )
    prior_learning_reduction = models.DecimalField(
        "reduction for prior learning",
        max_digits=6,
        decimal_places=1,
        default=0,
        help_text="Off-the-job training the apprentice does not need because of prior learning.",
    )
    prior_learning_unit = models.CharField(
        max_length=10,
        choices=[("hours", "hours"), ("percent", "% of the requirement")],
        default="hours",
    )
    review_interval_weeks = models.PositiveSmallIntegerField(
        "weeks between progress reviews",
        default=12,
        help_text="The next review is suggested this many weeks after the last one.",
    )

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
            models.CheckConstraint(
                condition=Q(contracted_hours_per_week__isnull=True)
                | Q(contracted_hours_per_week__gt=0, contracted_hours_per_week__lte=168),
                name="apprentice_contracted_hours_in_a_week",
            ),
            models.CheckConstraint(
                condition=Q(prior_learning_reduction__gte=0)
                & (~Q(prior_learning_unit="percent") | Q(prior_learning_reduction__lte=100)),
                name="apprentice_prior_learning_reduction_in_range",
            ),
            models.CheckConstraint(
                condition=Q(review_interval_weeks__gte=1, review_interval_weeks__lte=52),
                name="apprentice_review_interval_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.uln})"

    def get_absolute_url(self) -> str:
        return address("apprentices:apprentice_detail", self.pk)

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
                f"{dateformat.format(self.start_date, 'j F Y')}: "
                f"its start dates are {start_window(version)}"
            )
        if version and "standard_version" not in errors:
            option_error = option_problem(version, self.option if self.option_id else None)
            if option_error:
                errors["option"] = option_error
        if errors:
            raise ValidationError(errors)

    @property
    def is_closed(self) -> bool:
        """A final EPA result closes the portfolio and the training log to changes."""
        return self.status == self.Status.COMPLETED

    def can_add_to_portfolio(self, user: User) -> bool:
        return not self.is_closed and self.user_id == user.pk

    def can_be_edited_by(self, user: User) -> bool:
        return user.role in (Role.ADMIN, Role.PROVIDER) and (
            user.role == Role.ADMIN or user.organisation_id == self.training_provider_id
        )

    @property
    def planned_end_date(self) -> datetime.date:
        """The planned end of the practical period (training before gateway)."""
        if self.practical_period_weeks:
            return self.start_date + datetime.timedelta(weeks=self.practical_period_weeks)
        return self.planned_gateway_date

    def is_visible_to(self, user: Viewer) -> bool:
        """Whether `user` sees this apprentice: Apprentice.objects.visible_to asked of this
        one row, from its columns as loaded (seen_by_columns in Python); an assessor's
        apprentices are chosen through their EPAs, so theirs is asked of the database."""
        if not user.is_authenticated:
            return False
        role = user.role
        if role == Role.ASSESSOR:
            return Apprentice.objects.visible_to(user).filter(pk=self.pk).exists()
        if role == Role.ADMIN:
            return True
        if role == Role.APPRENTICE:
            return self.user_id == user.pk
        organisation = user.organisation_id
        if not organisation:
            return False
        if role == Role.PROVIDER:
            return self.training_provider_id == organisation
        if role == Role.EMPLOYER:
            return self.employer_id == organisation
        if role == Role.EPAO_ADMIN:
            return self.epao_id == organisation and self.status in Apprentice.EPA_STATUSES
        return False

    def is_trained_by(self, user: User) -> bool:
        return user.role == Role.PROVIDER and user.organisation_id == self.training_provider_id

    def is_employed_by(self, user: User) -> bool:
        return user.role == Role.EMPLOYER and user.organisation_id == self.employer_id

    def can_be_exported_by(self, user: User) -> bool:
        """A copy of everything held (apprentices.privacy.export): the apprentice themselves,
        or an administrator answering a request made another way."""
        return user.pk == self.user_id or user.role == Role.ADMIN


def option_problem(version: StandardVersion, option: Option | None) -> str:
    """Why `option` cannot be the chosen option of an apprentice on `version`, or "".
    The database refuses the same (apprentices.options)."""
    if option is not None and option.version_id != version.pk:
        return f"“{option.title}” is not an option of version {version.version}"
    if option is None and version.options.exists():
        return (
            f"Choose the apprentice's option: version {version.version} is core and options, "
            "so each apprentice does the core and one option"
        )
    return ""


def version_on_offer(version: StandardVersion, day: datetime.date) -> bool:
    if version.earliest_start_date and day < version.earliest_start_date:
        return False
    return not (version.latest_start_date and day > version.latest_start_date)


def start_window(version: StandardVersion) -> str:
    earliest = (
        f"{dateformat.format(version.earliest_start_date, 'j F Y')}"
        if version.earliest_start_date
        else "any date"
    )
    latest = (
        f"{dateformat.format(version.latest_start_date, 'j F Y')}"
        if version.latest_start_date
        else "no end date set"
    )
    return f"from {earliest} to {latest}"


class EvidenceStateError(Exception):
    """The evidence is no longer in a state that allows this; the message says why."""


class EvidenceQuerySet(models.QuerySet["Evidence"]):
    def visible_to(self, user: Viewer) -> EvidenceQuerySet:
        """The evidence of the apprentices `user` sees. Asked of the apprentice's columns
        through the join to it where that is how they are chosen (every role but the
        assessor): an `IN (subquery)` of apprentices made PostgreSQL plan the apprentice table
        twice (0.6 against 0.25 ms for the evidence item's query)."""
        if not user.is_authenticated:
            return self.none()
        if user.role == Role.ASSESSOR:
            return self.filter(apprentice__in=Apprentice.objects.visible_to(user))
        seen = seen_by_columns(user, through="apprentice__")
        return self.none() if seen is None else self.filter(seen)

    def awaiting_review(self) -> EvidenceQuerySet:
        return self.filter(status=Evidence.Status.SUBMITTED)

    def current(self) -> EvidenceQuerySet:
        return self.exclude(status=Evidence.Status.WITHDRAWN)

    def for_item(self) -> EvidenceQuerySet:
        """What the evidence item's page reads: the item's and its apprentice's columns, the
        names of the apprentice and of the reviewer, and whether the apprentice's version has
        its KSBs imported: 45 columns where a select_related of the four rows read 93 (whole
        user rows and the version's 30 columns); fewer to compile, send and read."""
        names = ("username", "first_name", "last_name")
        return self.select_related(
            "apprentice__user", "apprentice__standard_version", "reviewed_by"
        ).only(
            *(field.attname for field in Evidence._meta.concrete_fields),
            *(f"apprentice__{field.attname}" for field in Apprentice._meta.concrete_fields),
            *(f"apprentice__user__{name}" for name in names),
            "apprentice__standard_version__ksbs_imported",
            *(f"reviewed_by__{name}" for name in names),
        )

    def for_list(self, *also: str) -> EvidenceQuerySet:
        """The columns a list of items shows (and the fields `also` names, e.g. of a
        select_related), with `file_count` (files not removed) and `ksb_count`. The counts
        are subqueries, worked out for the rows of the page only (PostgreSQL evaluates them
        after the sort and limit) and left out of a paginator's COUNT; a join with GROUP BY
        aggregated every item of the portfolio, twice."""

        def count(model: type[models.Model], **filters: Any) -> Coalesce:
            rows = model._default_manager.filter(evidence=models.OuterRef("pk"), **filters)
            counted = rows.order_by().values("evidence").annotate(n=models.Count("*"))
            return Coalesce(models.Subquery(counted.values("n")), 0)

        return self.only(
            "apprentice_id",
            "title",
            "activity_date",
            "evidence_type",
            "status",
            "submission_count",
            *also,
        ).annotate(
            file_count=count(EvidenceFile, removed_at__isnull=True),
            ksb_count=count(EvidenceKSB),
        )


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
        return address("apprentices:evidence_detail", self.pk)

    @property
    def is_resubmission(self) -> bool:
        return self.status == self.Status.SUBMITTED and self.submission_count > 1

    @property
    def status_label(self) -> str:
        return "Resubmitted" if self.is_resubmission else self.get_status_display()

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CHANGES_REQUESTED)

    def can_be_edited_by(self, user: User) -> bool:
        return self.is_editable and self.apprentice.can_add_to_portfolio(user)

    def can_be_reviewed_by(self, user: User) -> bool:
        return self.status == self.Status.SUBMITTED and self.apprentice.is_trained_by(user)

    def can_be_withdrawn_by(self, user: User) -> bool:
        return self.status in (
            self.Status.DRAFT,
            self.Status.SUBMITTED,
            self.Status.CHANGES_REQUESTED,
        ) and self.apprentice.can_add_to_portfolio(user)

    def can_be_submitted_by(self, user: User) -> bool:
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
        by: User,
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

    def submit(self, *, by: User) -> None:
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

    def accept(self, *, by: User, comment: str = "") -> None:
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
        transaction.on_commit(lambda: notices.evidence_reviewed(self), robust=True)

    def request_changes(self, *, by: User, comment: str, personal_data: bool = False) -> None:
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
        transaction.on_commit(lambda: notices.evidence_reviewed(self), robust=True)

    def withdraw(self, *, by: User, reason: str = "") -> None:
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


class KsbTally(models.Model):
    """An apprentice's evidence for one KSB: items not withdrawn, those accepted, and the
    latest activity date. Written only by database triggers (apprentices.tallies), so it
    stays exactly in step with the evidence; a row exists only where the count is above 0."""

    apprentice = models.ForeignKey(Apprentice, on_delete=models.CASCADE, related_name="ksb_tallies")
    ksb = models.ForeignKey(KSB, on_delete=models.CASCADE, related_name="tallies")
    evidence_count = models.PositiveIntegerField()
    accepted_count = models.PositiveIntegerField()
    latest_date = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["apprentice", "ksb"], name="unique_ksb_tally"),
            models.CheckConstraint(
                condition=Q(evidence_count__gt=0) & Q(accepted_count__lte=F("evidence_count")),
                name="ksb_tally_counts_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.apprentice} · {self.ksb.code}: {self.accepted_count}/{self.evidence_count}"


class EvidenceRevision(models.Model):
    """One row: a number that database triggers raise on every change to what the lists of
    evidence show (apprentices.revision), so the portfolio's list and the review queue can
    be cached under it."""

    number = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_evidence_revision_row")]

    def __str__(self) -> str:
        return f"evidence revision {self.number}"


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
                before, after = _in_words(before), _in_words(after)
                if before in (None, "") and after in (None, ""):
                    continue
                if before in (None, "", []):
                    lines.append(f"{label}: {after}")
                elif after in (None, "", []):
                    lines.append(f"{label}: {before} (removed)")
                else:
                    lines.append(f"{label}: {before} → {after}")
        return lines


def _in_words(value: Any) -> Any:
    """A stored value as people read it: yes or no, a date as 4 Mar 2025, a list joined;
    an empty list is None (nothing to say)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(item) for item in value) or None
    if isinstance(value, str) and len(value) == 10 and value[4:5] == value[7:8] == "-":
        try:
            return dateformat.format(datetime.date.fromisoformat(value), "j M Y")
        except ValueError:
            return value
    return value


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
    from_option = models.ForeignKey(
        Option, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    to_option = models.ForeignKey(
        Option, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
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


class EmployerMove(models.Model):
    """The training provider asks to move an apprentice to another employer; the move takes
    effect only when a member of the new employer's staff accepts it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the new employer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    apprentice = models.ForeignKey(
        Apprentice, on_delete=models.PROTECT, related_name="employer_moves"
    )
    from_employer = models.ForeignKey(
        "psp.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    to_employer = models.ForeignKey(
        "psp.Organisation", on_delete=models.PROTECT, related_name="incoming_moves"
    )
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        permissions = [("decide_employermove", "Can accept or decline apprentices moving in")]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="employer_move_has_reason"),
            models.CheckConstraint(
                condition=~Q(from_employer=models.F("to_employer")),
                name="employer_move_changes_employer",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False),
                name="employer_move_decision_has_who",
            ),
            models.UniqueConstraint(
                fields=["apprentice"],
                condition=Q(status="pending"),
                name="one_pending_employer_move",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.apprentice} to {self.to_employer}"

    def can_be_decided_by(self, user: User) -> bool:
        return (
            self.status == self.Status.PENDING
            and user.role == Role.EMPLOYER
            and user.organisation_id == self.to_employer_id
        )

    @transaction.atomic
    def decide(self, *, accept: bool, by: User) -> None:
        """Accepted: the apprentice's employer becomes the new one (their old employer's
        staff no longer see them). Declined: nothing changes."""
        current = EmployerMove.objects.select_for_update().get(pk=self.pk)
        if not current.can_be_decided_by(by):
            raise ValidationError("This move is no longer waiting for your decision")
        self.status = self.Status.ACCEPTED if accept else self.Status.DECLINED
        self.decided_by, self.decided_at = by, timezone.now()
        self.save(update_fields=["status", "decided_by", "decided_at"])
        if accept:
            Apprentice.objects.filter(pk=self.apprentice_id).update(employer_id=self.to_employer_id)


# Breaks in learning: off-the-job training (progress.training) is not required during one.


class BreakInLearning(models.Model):
    """A pause in the apprenticeship: off-the-job training is not required during it."""

    apprentice = models.ForeignKey(Apprentice, on_delete=models.PROTECT, related_name="breaks")
    starts_on = models.DateField("first day of the break")
    ends_on = models.DateField(
        "last day of the break", null=True, blank=True, help_text="Empty while it goes on."
    )
    reason = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "breaks in learning"
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="break_in_learning_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        end = f"{dateformat.format(self.ends_on, 'j F Y')}" if self.ends_on else "ongoing"
        return f"Break from {dateformat.format(self.starts_on, 'j F Y')} to {end}"


class OnboardingBatchQuerySet(models.QuerySet["OnboardingBatch"]):
    def visible_to(self, user: User) -> OnboardingBatchQuerySet:
        """A training provider's staff see their organisation's uploads; nobody else does."""
        if not user.is_authenticated or user.role != Role.PROVIDER or not user.organisation_id:
            return self.none()
        return self.filter(provider_id=user.organisation_id)


class OnboardingBatch(models.Model):
    """One uploaded file of apprentices (apprentices.onboarding): checked, previewed, then
    applied in one confirmation or discarded. The file's text is kept only until then."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Being checked"
        READY = "ready", "Ready to confirm"
        APPLYING = "applying", "Being applied"
        APPLIED = "applied", "Applied"
        DISCARDED = "discarded", "Discarded"
        FAILED = "failed", "Could not be applied"

    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="onboarding_batches"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=200)
    content = models.TextField(blank=True, help_text="The file's text, until applied or discarded.")
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CHECKING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    new_employers_confirmed = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = OnboardingBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_checked__lte=F("rows_total")),
                name="onboarding_checked_at_most_total",
            ),
            models.CheckConstraint(
                condition=~Q(status="applied")
                | (Q(applied_at__isnull=False) & Q(applied_by__isnull=False) & Q(content="")),
                name="onboarding_applied_has_who_when_and_no_file",
            ),
            models.CheckConstraint(
                condition=~Q(status="discarded") | Q(content=""),
                name="onboarding_discarded_keeps_no_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("apprentices:onboarding_preview", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.READY, self.Status.FAILED)
