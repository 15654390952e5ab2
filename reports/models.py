"""PDF reports someone asked for: the row that records each request, its build and its file.

The table was epa_report when reports lived in the epa app; it keeps that name."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from apprentices.models import Apprentice
from epa.models import Epa, GatewayAttempt
from progress.models import ProgressReview
from progress.training import long_date
from psp.models import User


class ReportError(Exception):
    """This report cannot be asked for; the message says why, in words for the user."""


def report_file_path(instance: Report, filename: str) -> str:
    # One name per report, from its id: building it again overwrites the same file.
    return f"reports/report-{instance.pk}.pdf"


# The apprentice's columns that say who sees them (apprentices.models.seen_by_columns).
_SEEN_BY = ("user_id", "training_provider_id", "employer_id", "epao_id", "status")


class ReportQuerySet(models.QuerySet["Report"]):
    def visible_to(self, user: User) -> ReportQuerySet:
        """The user's own reports on subjects they can still see; everyone else's are 404.
        Report.is_visible_to asks the same of one report: change both together."""
        if not user.is_authenticated:
            return self.none()
        apprentices = Apprentice.objects.visible_to(user)
        subjects = Q(apprentice__in=apprentices)
        if not user.has_perm("progress.view_progressreview"):
            # As the review itself: only those who may see progress reviews.
            subjects &= ~Q(kind=Report.Kind.REVIEW)
        if user.has_perm("apprentices.view_cohort"):
            # The organisations that employ or train an apprentice they can see (as two
            # subqueries of the apprentices' own columns, not a join of organisations to
            # apprentices twice).
            subjects |= Q(kind=Report.Kind.COHORT) & (
                Q(organisation__in=apprentices.values("employer_id"))
                | Q(organisation__in=apprentices.values("training_provider_id"))
            )
        return self.filter(subjects, requested_by=user)

    def for_page(self) -> ReportQuerySet:
        """What a report's pages read with it (its name, Report.subject_name, and whom it is
        visible to, Report.is_visible_to): the report's columns, its apprentice's columns
        that say who sees them, the apprentice's names and the gateway attempt's number; 31
        columns where a select_related of the four rows read 65 (less to compile and read)."""
        return self.select_related("apprentice__user", "gateway").only(
            *(field.attname for field in Report._meta.concrete_fields),
            *(f"apprentice__{name}" for name in _SEEN_BY),
            *(f"apprentice__user__{name}" for name in ("first_name", "last_name", "username")),
            "gateway__number",
        )

    def pending(self) -> ReportQuerySet:
        return self.filter(status__in=(Report.Status.QUEUED, Report.Status.RUNNING))


class Report(models.Model):
    """A PDF report someone asked for, built in the background; its file is private."""

    class Kind(models.TextChoices):
        PORTFOLIO = "portfolio", "Portfolio and KSB coverage"
        GATEWAY_PACK = "gateway_pack", "Gateway pack"
        EPA_RESULT = "epa_result", "End-point assessment result"
        COHORT = "cohort", "Cohort KSB coverage"
        REVIEW = "review", "Signed progress review"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    apprentice = models.ForeignKey(
        Apprentice, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    gateway = models.ForeignKey(
        GatewayAttempt, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    epa = models.ForeignKey(
        Epa, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    review = models.ForeignKey(
        ProgressReview, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    organisation = models.ForeignKey(
        "psp.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    standard_version = models.ForeignKey(
        "standards.StandardVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.TextField(blank=True)
    file = models.FileField(upload_to=report_file_path, max_length=255, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the build task was handed to the broker."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = ReportQuerySet.as_manager()

    class Meta:
        db_table = "epa_report"
        ordering = ["-requested_at", "-id"]
        permissions = [("request_report", "Can ask for PDF reports of what they can see")]
        indexes = [
            models.Index(
                fields=["requested_by", "-requested_at"], name="epa_report_request_fe82e7_idx"
            ),
            models.Index(fields=["status", "dispatched_at"], name="epa_report_status_57f10f_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="portfolio", apprentice__isnull=False)
                    | Q(kind="gateway_pack", apprentice__isnull=False, gateway__isnull=False)
                    | Q(kind="epa_result", apprentice__isnull=False, epa__isnull=False)
                    | Q(kind="cohort", organisation__isnull=False, standard_version__isnull=False)
                    | Q(kind="review", apprentice__isnull=False, review__isnull=False)
                ),
                name="report_has_its_subject",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file="") & Q(sha256__regex=r"^[0-9a-f]{64}$")),
                name="ready_report_has_file",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="failed_report_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_name}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report_detail", args=[self.pk])

    @property
    def subject_name(self) -> str:
        if self.kind == self.Kind.COHORT:
            version = self.standard_version
            on = f", {version.standard.reference} version {version.version}" if version else ""
            return f"{self.organisation}{on}"
        name = self.apprentice.name if self.apprentice else ""
        if self.kind == self.Kind.GATEWAY_PACK and self.gateway:
            return f"{name}, gateway attempt {self.gateway.number}"
        if self.kind == self.Kind.REVIEW and self.review and self.review.held_on:
            return f"{name}, progress review of {long_date(self.review.held_on)}"
        return name

    def is_visible_to(self, user: User) -> bool:
        """Report.objects.visible_to asked of this one report: the user's own, on a subject
        they still see. Its apprentice is asked in Python of the row as loaded
        (Apprentice.is_visible_to), a cohort's organisation of the database."""
        if not user.is_authenticated or self.requested_by_id != user.pk:
            return False
        apprentice = self.apprentice
        if (
            apprentice is not None
            and (self.kind != self.Kind.REVIEW or user.has_perm("progress.view_progressreview"))
            and apprentice.is_visible_to(user)
        ):
            return True
        if self.kind == self.Kind.COHORT and user.has_perm("apprentices.view_cohort"):
            organisation = self.organisation_id
            return (
                Apprentice.objects.visible_to(user)
                .filter(Q(employer_id=organisation) | Q(training_provider_id=organisation))
                .exists()
            )
        return False

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def download_name(self) -> str:
        when = timezone.localtime(self.finished_at or self.requested_at)
        return f"{slugify(f'{self.kind} {self.subject_name}')}-{when:%Y%m%d-%H%M}.pdf"


class ReportRevision(models.Model):
    """One row: a number that database triggers raise on every write to reports
    (reports.revision), so a report's page can keep its row in the cache under it."""

    number = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_report_revision_row")]

    def __str__(self) -> str:
        return f"Report revision {self.number}"
