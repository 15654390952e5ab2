"""Off-the-job training (the dated funding rules, each standard's published minimum, the
apprentice's log) and progress reviews (scheduled, recorded, signed by three people), and
the revision that the provider's progress flags are cached under.

These models were in the apprentices app: each keeps its table (Meta.db_table), so moving
them lost no data (migrations 0001 here and apprentices 0014).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import dateformat, timezone

from apprentices.models import Apprentice, Evidence
from psp.models import EmailOutbox, User
from standards.models import KSB

# Off-the-job training: the dated funding rules, and the apprentice's log.


class OffTheJobRule(models.Model):
    """One funding-rules regime for the minimum off-the-job training, by the apprenticeship's
    start date. Rules are data with their source, loaded by a migration, never code."""

    class Kind(models.TextChoices):
        PERCENT_OF_CONTRACTED_HOURS = "percent_of_contracted_hours", "Percent of contracted hours"
        HOURS_PER_WEEK = "hours_per_week", "Hours a week"
        PER_STANDARD_MINIMUM = "per_standard_minimum", "Published minimum for each standard"

    name = models.CharField(max_length=100)
    applies_to_starts_from = models.DateField()
    applies_to_starts_until = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    value = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The percentage, or the hours a week; empty for a per-standard minimum.",
    )
    full_time_hours = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Hours a week: apprentices contracted for fewer hours get the rule pro rata.",
    )
    statutory_leave_weeks_per_year = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Statutory leave taken out of the planned weeks; empty if not deducted.",
    )
    source = models.TextField(help_text="Where the rule is published, and what it says.")

    class Meta:
        db_table = "apprentices_offthejobrule"  # the table it had there
        ordering = ["applies_to_starts_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(applies_to_starts_until__isnull=True)
                | Q(applies_to_starts_until__gte=models.F("applies_to_starts_from")),
                name="off_the_job_rule_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(kind="per_standard_minimum") | Q(value__gt=0),
                name="off_the_job_rule_has_value",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OffTheJobMinimum(models.Model):
    """A standard's published minimum off-the-job hours under a per-standard rule.
    A standard with no row here is "not yet imported" for that rule."""

    rule = models.ForeignKey(OffTheJobRule, on_delete=models.PROTECT, related_name="minimums")
    standard = models.ForeignKey(
        "standards.Standard", on_delete=models.PROTECT, related_name="off_the_job_minimums"
    )
    hours = models.DecimalField(max_digits=6, decimal_places=1)
    source = models.TextField(help_text="Where the figure is published.")

    class Meta:
        db_table = "apprentices_offthejobminimum"  # the table it had there
        constraints = [
            models.UniqueConstraint(fields=["rule", "standard"], name="unique_otj_minimum"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="otj_minimum_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.standard.reference}: {self.hours} h ({self.rule})"


class OffTheJobStateError(Exception):
    """The entry is no longer in a state that allows this; the message says why."""


class OffTheJobEntryQuerySet(models.QuerySet["OffTheJobEntry"]):
    def visible_to(self, user: User) -> OffTheJobEntryQuerySet:
        return self.filter(apprentice__in=Apprentice.objects.visible_to(user))

    def awaiting_approval(self) -> OffTheJobEntryQuerySet:
        return self.filter(status=OffTheJobEntry.Status.SUBMITTED)


class OffTheJobEntry(models.Model):
    """Off-the-job training an apprentice logged; provider staff approve or query it."""

    class Activity(models.TextChoices):
        TEACHING = "teaching", "Teaching of theory (lectures, role play, simulation, online)"
        PRACTICAL = "practical", "Practical training (shadowing, mentoring, visits)"
        LEARNING_SUPPORT = "learning_support", "Learning support"
        ASSIGNMENTS = "assignments", "Writing assessments and assignments"
        OTHER = "other", "Other training"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting approval"
        APPROVED = "approved", "Approved"
        QUERIED = "queried", "Queried"

    apprentice = models.ForeignKey(Apprentice, on_delete=models.PROTECT, related_name="off_the_job")
    date = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=2)
    activity = models.CharField("type of activity", max_length=20, choices=Activity.choices)
    description = models.TextField(help_text="What you did and what you learned.")
    evidence = models.ForeignKey(
        Evidence,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="off_the_job",
        verbose_name="related evidence",
    )
    ksbs = models.ManyToManyField(KSB, blank=True, related_name="off_the_job", verbose_name="KSBs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    query = models.TextField("question for the apprentice", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OffTheJobEntryQuerySet.as_manager()

    class Meta:
        db_table = "apprentices_offthejobentry"  # the table it had there
        verbose_name = "off-the-job training entry"
        verbose_name_plural = "off-the-job training entries"
        ordering = ["-date", "-id"]
        permissions = [("approve_offthejobentry", "Can approve or query off-the-job training")]
        indexes = [models.Index(fields=["apprentice", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=24), name="otj_entry_hours_in_a_day"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(reviewed_by__isnull=False),
                name="otj_entry_approved_has_reviewer",
            ),
            models.CheckConstraint(
                condition=~Q(status="queried") | ~Q(query=""), name="otj_entry_query_has_text"
            ),
        ]

    def __str__(self) -> str:
        on = dateformat.format(self.date, "j F Y")
        return f"{self.hours} h on {on}: {self.get_activity_display()}"

    def get_absolute_url(self) -> str:
        return reverse("progress:off_the_job_log", args=[self.apprentice_id]) + f"#entry-{self.pk}"

    def can_be_edited_by(self, user: User) -> bool:
        return self.status != self.Status.APPROVED and self.apprentice.can_add_to_portfolio(user)

    def can_be_reviewed_by(self, user: User) -> bool:
        return self.status == self.Status.SUBMITTED and self.apprentice.is_trained_by(user)

    @transaction.atomic
    def _decide(self, *, to: str, by: User, query: str = "") -> None:
        current = OffTheJobEntry.objects.select_for_update().get(pk=self.pk)
        if current.status != self.Status.SUBMITTED:
            raise OffTheJobStateError(
                f"This entry is now {current.get_status_display().lower()}, so it was not changed"
            )
        self.status, self.query = to, query
        self.reviewed_by, self.reviewed_at = by, timezone.now()
        self.save(update_fields=["status", "query", "reviewed_by", "reviewed_at", "updated_at"])

    def approve(self, *, by: User) -> None:
        self._decide(to=self.Status.APPROVED, by=by)

    def query_entry(self, *, by: User, query: str) -> None:
        if not query.strip():
            raise OffTheJobStateError("Say what the apprentice needs to clarify")
        self._decide(to=self.Status.QUERIED, by=by, query=query)


# Progress reviews: scheduled by the provider, prefilled, recorded, then signed by three people.


class ReviewStateError(Exception):
    """The review is not in a state that allows this; the message says why."""


class ProgressReviewQuerySet(models.QuerySet["ProgressReview"]):
    def visible_to(self, user: User) -> ProgressReviewQuerySet:
        return self.filter(apprentice__in=Apprentice.objects.visible_to(user))


class ProgressReview(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        AWAITING_SIGNATURES = "awaiting_signatures", "Waiting for signatures"
        SIGNED = "signed", "Signed"

    apprentice = models.ForeignKey(
        Apprentice, on_delete=models.PROTECT, related_name="progress_reviews"
    )
    due_on = models.DateField("review date")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scheduled_at = models.DateTimeField(default=timezone.now)
    due_notified_at = models.DateTimeField(null=True, blank=True)
    held_on = models.DateField("date the review was held", null=True, blank=True)
    period_start = models.DateField(
        null=True, blank=True, help_text="The review covers what happened from this day."
    )
    summary = models.TextField("progress since the last review", blank=True)
    prefill = models.JSONField(
        default=dict, blank=True, help_text="What happened since the last review, as recorded."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    objects = ProgressReviewQuerySet.as_manager()

    class Meta:
        db_table = "apprentices_progressreview"  # the table it had there
        ordering = ["apprentice", "due_on", "id"]
        permissions = [
            ("schedule_progressreview", "Can schedule and record progress reviews"),
            ("sign_progressreview", "Can sign progress reviews"),
        ]
        indexes = [models.Index(fields=["apprentice", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="scheduled")
                | (Q(held_on__isnull=False) & Q(recorded_by__isnull=False)),
                name="recorded_review_has_date_and_reviewer",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_at__isnull=False),
                name="signed_review_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Progress review of {self.apprentice} due {dateformat.format(self.due_on, 'j F Y')}"

    def get_absolute_url(self) -> str:
        return reverse("progress:progress_review_detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        """Signed by all three: nothing about it can change."""
        return self.status == self.Status.SIGNED

    def can_be_recorded_by(self, user: User) -> bool:
        """The provider records (and may correct) a review until the first person signs it."""
        return (
            self.status in (self.Status.SCHEDULED, self.Status.AWAITING_SIGNATURES)
            and self.apprentice.is_trained_by(user)
            and not self.signatures.exists()
        )

    def party_of(self, user: User) -> str | None:
        """Which side the user would sign for, if any."""
        apprentice = self.apprentice
        if user.pk == apprentice.user_id:
            return ReviewSignature.Party.APPRENTICE
        if apprentice.is_trained_by(user):
            return ReviewSignature.Party.PROVIDER
        if apprentice.is_employed_by(user):
            return ReviewSignature.Party.EMPLOYER
        return None

    def can_be_signed_by(self, user: User) -> bool:
        party = self.party_of(user)
        return (
            self.status == self.Status.AWAITING_SIGNATURES
            and party is not None
            and not self.signatures.filter(party=party).exists()
        )


class ReviewTarget(models.Model):
    """A target set in one review; the next review records progress against it."""

    class Progress(models.TextChoices):
        MET = "met", "Met"
        PARTLY_MET = "partly_met", "Partly met"
        NOT_MET = "not_met", "Not met"

    review = models.ForeignKey(ProgressReview, on_delete=models.CASCADE, related_name="targets")
    text = models.TextField()
    due_on = models.DateField("target date", null=True, blank=True)
    progress = models.CharField(max_length=20, choices=Progress.choices, blank=True)
    progress_note = models.TextField(blank=True)
    progress_review = models.ForeignKey(
        ProgressReview,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessed_targets",
        help_text="The review that recorded progress against this target.",
    )

    class Meta:
        db_table = "apprentices_reviewtarget"  # the table it had there
        ordering = ["review", "id"]

    def __str__(self) -> str:
        return self.text


class ReviewKsbComment(models.Model):
    review = models.ForeignKey(
        ProgressReview, on_delete=models.CASCADE, related_name="ksb_comments"
    )
    ksb = models.ForeignKey(KSB, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField()

    class Meta:
        db_table = "apprentices_reviewksbcomment"  # the table it had there
        verbose_name = "KSB comment"
        ordering = ["review", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "ksb"], name="unique_review_ksb_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.ksb.code}: {self.comment}"


class ReviewSigningLink(EmailOutbox):
    """An emailed link for an employer contact without an account to sign one review.

    The token in the link is signed with SECRET_KEY over this row's id and is not stored;
    the row says whether the link has expired or been used (it works once). The address is
    the signing contact on the employer's record (psp.models.Organisation), never typed by
    the sender. The email goes through the notifications' outbox (psp.notifications): a
    link asked for while the broker is down is sent when it is back.
    """

    review = models.ForeignKey(
        ProgressReview, on_delete=models.CASCADE, related_name="signing_links"
    )
    name = models.CharField("contact's name", max_length=200)
    email = models.EmailField("contact's email address")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "apprentices_reviewsigninglink"  # the table it had there
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Signing link for {self.name} <{self.email}>"


class ReviewSignature(models.Model):
    class Party(models.TextChoices):
        APPRENTICE = "apprentice", "Apprentice"
        PROVIDER = "provider", "Training provider"
        EMPLOYER = "employer", "Employer"

    review = models.ForeignKey(ProgressReview, on_delete=models.PROTECT, related_name="signatures")
    party = models.CharField(max_length=20, choices=Party.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    link = models.OneToOneField(
        ReviewSigningLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signature",
    )
    name = models.CharField(max_length=200)
    sent_to = models.EmailField(
        blank=True, help_text="By link: the address the link was emailed to."
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="By link: who asked for the link to be sent.",
    )
    signed_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(
        "SHA-256 of what was signed", max_length=64, help_text="The review as it was signed."
    )

    class Meta:
        db_table = "apprentices_reviewsignature"  # the table it had there
        ordering = ["review", "signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "party"], name="one_signature_per_party"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(link__isnull=False),
                name="signature_has_signer",
            ),
            models.CheckConstraint(
                condition=Q(link__isnull=True) | (~Q(sent_to="") & Q(sent_by__isnull=False)),
                name="link_signature_says_where_the_link_went",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()}: {self.name} at {self.signed_at:%Y-%m-%d %H:%M}"


class ProgressRevision(models.Model):
    """One row: a number that database triggers raise on every change to what the
    provider's progress flags are worked out from (progress.revision), so the flags can
    be cached under it."""

    number = models.BigIntegerField(default=0)

    class Meta:
        db_table = "apprentices_progressrevision"  # the table it had there
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_progress_revision_row")]

    def __str__(self) -> str:
        return f"progress revision {self.number}"
