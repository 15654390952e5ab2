"""Reference data: standards, their versions, duties, KSBs and each version's EPA plan.

What the published sources do not give is stored as "not yet imported" (the *_imported
flags), never guessed: an admin adds it by importing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

if TYPE_CHECKING:
    from psp.models import User


class StandardManager(models.Manager["Standard"]):
    def get_by_natural_key(self, reference: str) -> Standard:
        return self.get(reference=reference)


class Standard(models.Model):
    reference = models.CharField(
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^ST\d{4}$", "A reference is ST followed by four digits.")],
    )
    title = models.CharField(max_length=200, help_text="Title of the latest version.")

    objects = StandardManager()

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("standards:standard_detail", args=[self.reference])

    def natural_key(self) -> tuple[str]:
        return (self.reference,)


class StandardVersionQuerySet(models.QuerySet["StandardVersion"]):
    def visible_to(self, user: User) -> StandardVersionQuerySet:
        # Published reference data: every signed-in user may read every version. (The
        # version page caches its head and body for everyone under this rule:
        # standards.pages.version_head; a rule that varied by user would change both.)
        return self if user.is_authenticated else self.none()


class StandardVersionManager(models.Manager["StandardVersion"]):
    def get_by_natural_key(self, reference: str, version: str) -> StandardVersion:
        return self.get(standard__reference=reference, version=version)


class StandardVersion(models.Model):
    class Status(models.TextChoices):
        IN_DEVELOPMENT = "in_development", "In development"
        APPROVED = "approved", "Approved for delivery"
        RETIRED = "retired", "Retired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(
        max_length=10,
        validators=[RegexValidator(r"^\d+\.\d+$", "A version is two numbers, such as 1.1.")],
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices)
    level = models.PositiveSmallIntegerField()
    route = models.CharField(max_length=100, blank=True)
    lars_code = models.CharField("LARS code", max_length=10, blank=True)
    integration = models.CharField(max_length=100, blank=True)
    typical_duration_months = models.PositiveSmallIntegerField(
        "typical duration to gateway (months)", null=True, blank=True
    )
    max_funding = models.PositiveIntegerField("maximum funding (£)", null=True, blank=True)
    eqa_provider = models.CharField("EQA provider", max_length=100, blank=True)
    approved_for_delivery = models.DateField(null=True, blank=True)
    date_updated = models.DateField(null=True, blank=True)
    earliest_start_date = models.DateField(null=True, blank=True)
    latest_start_date = models.DateField(null=True, blank=True)
    latest_end_date = models.DateField(null=True, blank=True)
    overview_of_role = models.TextField(blank=True)
    occupation_summary = models.TextField(blank=True)
    typical_job_titles = models.JSONField(default=list, blank=True)
    english_and_maths = models.TextField("English and maths requirement", blank=True)
    employers_involved = models.TextField(blank=True)
    change_detail = models.TextField("change detail (version log)", blank=True)
    off_the_job_minimum_hours = models.PositiveIntegerField(
        "minimum off-the-job hours",
        null=True,
        blank=True,
        help_text="The published minimum (the API's minimumHoursForCompliance).",
    )
    epa_length_months = models.PositiveSmallIntegerField(
        "typical EPA period (months)",
        null=True,
        blank=True,
        help_text="As the official record gives it (the API's ePALength).",
    )
    keywords = models.JSONField(default=list, blank=True)
    provenance = models.TextField(
        blank=True, help_text="Where this data came from, and any conflicts between sources."
    )
    duties_imported = models.BooleanField(default=False)
    ksbs_imported = models.BooleanField("KSBs imported", default=False)
    core_and_options = models.BooleanField(
        "core and options", default=False, help_text="Duties are core or part of an option."
    )

    objects = StandardVersionManager.from_queryset(StandardVersionQuerySet)()

    class Meta:
        ordering = ["standard__reference", "version"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "version"], name="unique_standard_version"),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=8), name="standard_version_level_1_to_8"
            ),
            models.CheckConstraint(
                condition=Q(latest_start_date__isnull=True)
                | Q(earliest_start_date__isnull=True)
                | Q(latest_start_date__gte=models.F("earliest_start_date")),
                name="standard_version_start_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.standard.reference} v{self.version} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("standards:version_detail", args=[self.standard.reference, self.version])

    def natural_key(self) -> tuple[str, str]:
        return (self.standard.reference, self.version)

    natural_key.dependencies = ["standards.standard"]  # type: ignore[attr-defined]

    @property
    def has_epa_plan(self) -> bool:
        return hasattr(self, "epa_plan")


def ksb_kind_order(field: str = "kind") -> Case:
    """An expression ordering KSB kinds as the standard does: K, then S, then B."""
    return Case(
        *(When(**{field: kind}, then=Value(i)) for i, kind in enumerate(("K", "S", "B"))),
        output_field=models.IntegerField(),
    )


class KSBQuerySet(models.QuerySet["KSB"]):
    def in_standard_order(self) -> KSBQuerySet:
        """Knowledge, then skills, then behaviours, each by number (K1, K2, ..., S1, ..., B1)."""
        return self.alias(kind_order=ksb_kind_order()).order_by(
            "version_id", "kind_order", "number"
        )

    def expected_of(self, option_id: int | None) -> KSBQuerySet:
        """The KSBs an apprentice doing the option `option_id` is expected to show: all but
        those mapped only to duties of other options (a KSB mapped to a core duty, to one of
        the option's duties or to no duty stays). With no option chosen, every KSB. No extra
        query: the duties are looked up in a subquery."""
        if option_id is None:
            return self
        mappings = Duty.ksbs.through.objects.filter(  # type: ignore[attr-defined]
            duty__version__options=option_id
        )
        elsewhere = mappings.filter(duty__options__isnull=False).exclude(duty__options=option_id)
        here = mappings.filter(Q(duty__options__isnull=True) | Q(duty__options=option_id))
        return self.exclude(Q(pk__in=elsewhere.values("ksb_id")) & ~Q(pk__in=here.values("ksb_id")))


class KSBManager(models.Manager["KSB"]):
    def get_by_natural_key(self, reference: str, version: str, kind: str, number: int) -> KSB:
        return self.get(
            version__standard__reference=reference,
            version__version=version,
            kind=kind,
            number=number,
        )


class KSB(models.Model):
    class Kind(models.TextChoices):
        KNOWLEDGE = "K", "Knowledge"
        SKILL = "S", "Skills"
        BEHAVIOUR = "B", "Behaviours"

    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="ksbs")
    kind = models.CharField(max_length=1, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(help_text="1-based position in its list.")
    text = models.TextField()
    guid = models.UUIDField("official GUID", null=True, blank=True)

    objects = KSBManager.from_queryset(KSBQuerySet)()

    class Meta:
        verbose_name = "KSB"
        verbose_name_plural = "KSBs"
        constraints = [
            models.UniqueConstraint(fields=["version", "kind", "number"], name="unique_ksb_code"),
            models.CheckConstraint(condition=Q(number__gte=1), name="ksb_number_positive"),
            models.CheckConstraint(condition=Q(kind__in=["K", "S", "B"]), name="ksb_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    def natural_key(self) -> tuple[str, str, str, int]:
        return (*self.version.natural_key(), self.kind, self.number)

    natural_key.dependencies = ["standards.standardversion"]  # type: ignore[attr-defined]

    @property
    def code(self) -> str:
        return f"{self.kind}{self.number}"


class Option(models.Model):
    """One option of a core-and-options standard version (the API's `options`): its
    duties are the option's, on top of the core duties every apprentice does."""

    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="options")
    number = models.PositiveSmallIntegerField(help_text="1-based position in the list.")
    title = models.CharField(max_length=200)
    guid = models.UUIDField("official GUID", null=True, blank=True)
    occupation_code = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="unique_option_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="option_number_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class DutyManager(models.Manager["Duty"]):
    def get_by_natural_key(self, reference: str, version: str, number: int) -> Duty:
        return self.get(
            version__standard__reference=reference, version__version=version, number=number
        )


class Duty(models.Model):
    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="duties")
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    is_core = models.BooleanField(null=True, blank=True, help_text="Unknown when not given.")
    criteria = models.JSONField("criteria for measuring performance", default=list, blank=True)
    ksbs = models.ManyToManyField(KSB, related_name="duties", blank=True)
    guid = models.UUIDField("official GUID", null=True, blank=True)
    options = models.ManyToManyField(
        Option, related_name="duties", blank=True, help_text="The options this duty is part of."
    )

    objects = DutyManager()

    class Meta:
        verbose_name_plural = "duties"
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="unique_duty_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="duty_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Duty {self.number}: {self.text}"

    def natural_key(self) -> tuple[str, str, int]:
        return (*self.version.natural_key(), self.number)

    natural_key.dependencies = ["standards.standardversion", "standards.ksb"]  # type: ignore[attr-defined]


class EpaPlanManager(models.Manager["EpaPlan"]):
    def get_by_natural_key(self, reference: str, version: str) -> EpaPlan:
        return self.get(version__standard__reference=reference, version__version=version)


class EpaPlan(models.Model):
    """A version's end-point assessment plan, as far as it has been imported.

    Each *_imported flag says whether that part came from a source; a part that has not
    is shown as "not yet imported" and cannot be used (for example, to enter gateway).
    """

    version = models.OneToOneField(
        StandardVersion, on_delete=models.CASCADE, related_name="epa_plan"
    )
    epa_period_months = models.PositiveSmallIntegerField(
        "typical EPA period (months)", null=True, blank=True
    )
    overall_grades = models.JSONField(
        default=list, blank=True, help_text="Overall grades, lowest first, e.g. fail, pass."
    )
    gateway_imported = models.BooleanField(default=False)
    methods_imported = models.BooleanField("assessment methods imported", default=False)
    ksb_mapping_imported = models.BooleanField("KSB-to-method mapping imported", default=False)
    grading_imported = models.BooleanField("grading criteria imported", default=False)
    combination_imported = models.BooleanField("grade combination rule imported", default=False)
    resits_imported = models.BooleanField("resit and retake rules imported", default=False)
    resit_grade_cap = models.CharField(
        max_length=20,
        blank=True,
        help_text="Highest overall grade a sitting with a resit or retake can get.",
    )
    resit_limit = models.PositiveSmallIntegerField(
        "resits and retakes allowed",
        null=True,
        blank=True,
        help_text="How many further sittings after the first; empty when the plan sets none.",
    )
    resit_within_months = models.PositiveSmallIntegerField(
        "resit period (months)",
        null=True,
        blank=True,
        help_text="A resit or retake must start within this many months of the first result.",
    )

    class ResitMethods(models.TextChoices):
        FAILED = "failed", "Only the failed methods are taken again"
        ALL = "all", "Every method is taken again"

    resit_methods = models.CharField(
        "methods taken again", max_length=10, choices=ResitMethods.choices, blank=True
    )
    provenance = models.TextField(blank=True)
    revision = models.PositiveSmallIntegerField(
        default=1,
        help_text="One more each time an import revises the plan's rules (EpaPlanRevision).",
    )

    objects = EpaPlanManager()

    class Meta:
        verbose_name = "EPA plan"

    def __str__(self) -> str:
        return f"EPA plan for {self.version}"

    def natural_key(self) -> tuple[str, str]:
        return self.version.natural_key()

    natural_key.dependencies = ["standards.standardversion"]  # type: ignore[attr-defined]

    @property
    def resit_rules(self) -> list[str]:
        """The resit and retake rules in words, as imported; empty when not imported."""
        if not self.resits_imported:
            return []
        rules = []
        if self.resit_limit is not None:
            times = "once" if self.resit_limit == 1 else f"{self.resit_limit} times"
            rules.append(
                "No resit or retake is allowed."
                if self.resit_limit == 0
                else f"The EPA can be resat or retaken at most {times}."
            )
        if self.resit_within_months:
            rules.append(
                f"A resit or retake must start within {self.resit_within_months} months of the "
                "first result."
            )
        if self.resit_methods:
            rules.append(f"{self.get_resit_methods_display()}.")
        rules.append(
            f"The overall grade of a resit or retake is capped at {self.resit_grade_cap}."
            if self.resit_grade_cap
            else "The overall grade of a resit or retake is not capped."
        )
        return rules


class EpaPlanRevision(models.Model):
    """An earlier revision of an EPA plan, kept whole (as exported) when an import revised its
    grade combination rule or its resit rules: results graded under it keep using it."""

    plan = models.ForeignKey(EpaPlan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField()
    content = models.JSONField(help_text="The plan in psp's EPA plan format, as it was.")
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_plan_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}, revision {self.number}"


class PlanPartManager(models.Manager[Any]):
    def get_by_natural_key(self, reference: str, version: str, number: int) -> Any:
        return self.get(
            plan__version__standard__reference=reference,
            plan__version__version=version,
            number=number,
        )


class GatewayRequirement(models.Model):
    class Kind(models.TextChoices):
        ENGLISH_MATHS = "english_maths", "English and maths"
        PORTFOLIO = "portfolio", "Portfolio of evidence"
        OTHER = "other", "Other"

    plan = models.ForeignKey(EpaPlan, on_delete=models.CASCADE, related_name="gateway_requirements")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()

    objects = PlanPartManager()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_gateway_requirement"),
        ]

    def __str__(self) -> str:
        return self.text

    def natural_key(self) -> tuple[str, str, int]:
        return (*self.plan.natural_key(), self.number)

    natural_key.dependencies = ["standards.epaplan"]  # type: ignore[attr-defined]


class AssessmentMethod(models.Model):
    plan = models.ForeignKey(EpaPlan, on_delete=models.CASCADE, related_name="methods")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_is_minimum = models.BooleanField(
        default=False, help_text="True when the plan says 'at least' this long."
    )
    minimum_questions = models.PositiveSmallIntegerField(null=True, blank=True)
    submission_deadline_week = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Material is due by the end of this week of the EPA period.",
    )
    submission_requirement = models.TextField(blank=True)
    requires_portfolio = models.BooleanField(default=False)
    grades = models.JSONField(
        default=list, blank=True, help_text="Method grades, lowest first; empty until imported."
    )
    ksbs = models.ManyToManyField(KSB, related_name="assessment_methods", blank=True)

    objects = PlanPartManager()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_assessment_method"),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str, str, int]:
        return (*self.plan.natural_key(), self.number)

    natural_key.dependencies = ["standards.epaplan", "standards.ksb"]  # type: ignore[attr-defined]

    @property
    def duration_text(self) -> str:
        if self.duration_minutes is None:
            return ""
        prefix = "at least " if self.duration_is_minimum else ""
        return f"{prefix}{self.duration_minutes} minutes"


class GradeCombination(models.Model):
    """One row of the table that turns method grades into the overall grade."""

    plan = models.ForeignKey(EpaPlan, on_delete=models.CASCADE, related_name="grade_combinations")
    method_grades = models.JSONField(help_text='Method number to grade, e.g. {"1": "pass"}.')
    overall_grade = models.CharField(max_length=20)

    class Meta:
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return f"{self.method_grades} → {self.overall_grade}"


class GradingCriterionManager(models.Manager["GradingCriterion"]):
    def get_by_natural_key(
        self, reference: str, version: str, method_number: int, code: str
    ) -> GradingCriterion:
        return self.get(
            method__plan__version__standard__reference=reference,
            method__plan__version__version=version,
            method__number=method_number,
            code=code,
        )


class GradingCriterion(models.Model):
    """One grading criterion of an assessment method, with its pass and distinction
    descriptors and the KSBs it assesses."""

    method = models.ForeignKey(
        AssessmentMethod, on_delete=models.CASCADE, related_name="grading_criteria"
    )
    code = models.CharField(max_length=20, help_text='As the EPA plan writes it, e.g. "PD1".')
    pass_descriptor = models.TextField()
    distinction_descriptor = models.TextField(blank=True)
    ksbs = models.ManyToManyField(KSB, related_name="grading_criteria", blank=True)

    objects = GradingCriterionManager()

    class Meta:
        ordering = ["method", "id"]
        verbose_name_plural = "grading criteria"
        constraints = [
            models.UniqueConstraint(fields=["method", "code"], name="unique_grading_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.pass_descriptor}"

    def natural_key(self) -> tuple[str, str, int, str]:
        return (*self.method.natural_key(), self.code)

    natural_key.dependencies = ["standards.assessmentmethod", "standards.ksb"]  # type: ignore[attr-defined]


class VersionRevision(models.Model):
    """One recorded change to a version psp already held: the official source corrects
    versions in place (a full stop, a renamed quality assurer, a filled-in field), and each
    correction an administrator applied is kept here with what it replaced."""

    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField(help_text="1 for the first revision, and so on.")
    changes = models.JSONField(default=list, help_text="What changed, one line each.")
    before = models.JSONField(
        default=dict, help_text="The values the revision replaced, by field or statement."
    )
    source = models.CharField(max_length=255, help_text="The file or command it came from.")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when applied from the command line.",
    )
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="unique_version_revision"),
            models.CheckConstraint(condition=Q(number__gte=1), name="version_revision_number_1_up"),
        ]

    def __str__(self) -> str:
        return f"{self.version} revision {self.number}"


class StandardImportQuerySet(models.QuerySet["StandardImport"]):
    def pending(self) -> StandardImportQuerySet:
        return self.filter(status=StandardImport.Status.PENDING)


class StandardImport(models.Model):
    """One file an administrator uploaded to import: the audit of who imported what.

    The validated payload is kept from preview to confirmation, so that what is applied
    is exactly what was previewed (its SHA-256 is checked on confirmation).
    """

    class Kind(models.TextChoices):
        STANDARD = "standard", "Standard version (official JSON)"
        EPA_PLAN = "epa_plan", "EPA plan (psp JSON)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        APPLIED = "applied", "Imported"
        DISCARDED = "discarded", "Discarded"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    reference = models.CharField(max_length=6)
    version = models.CharField(max_length=10)
    payload = models.JSONField(help_text="The validated JSON object that will be imported.")
    sha256 = models.CharField("SHA-256", max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who confirmed or discarded it.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True, help_text="What the import changed.")

    objects = StandardImportQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="standard_import_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(status="pending")
                | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="standard_import_decision_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference} v{self.version} ({self.filename})"

    def get_absolute_url(self) -> str:
        return reverse("standards:import_preview", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class KsbCrosswalk(models.Model):
    """An administrator's confirmed pairing of a KSB with its equivalent in a later version
    (to_ksb empty: it has no equivalent there)."""

    class Method(models.TextChoices):
        GUID = "guid", "Same official GUID"
        TEXT = "text", "Similar text"
        MANUAL = "manual", "Chosen by an administrator"

    from_ksb = models.ForeignKey(KSB, on_delete=models.CASCADE, related_name="crosswalk_from")
    to_version = models.ForeignKey(
        StandardVersion, on_delete=models.CASCADE, related_name="crosswalk_into"
    )
    to_ksb = models.ForeignKey(
        KSB, on_delete=models.CASCADE, null=True, blank=True, related_name="crosswalk_to"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "KSB crosswalk entry"
        verbose_name_plural = "KSB crosswalk"
        ordering = ["to_version", "from_ksb__kind", "from_ksb__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_ksb", "to_version"], name="unique_crosswalk_per_target_version"
            ),
        ]

    def __str__(self) -> str:
        target = self.to_ksb.code if self.to_ksb else "no equivalent"
        return f"{self.from_ksb.code} → {target} ({self.to_version})"


class Revision(models.Model):
    """One row: a number that database triggers raise on every change to any table of this
    app (standards.revision), so pages built from reference data can be cached under it."""

    number = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_revision_row")]

    def __str__(self) -> str:
        return f"reference data revision {self.number}"


class BulkImport(models.Model):
    """An uploaded file of the API's whole list of standard versions, imported version by
    version in the worker (`import_standard FILE --all` semantics): how far it got, what it
    did, and every refusal with its reason. The file is kept only until the import ends."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped"

    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="standard-imports/", blank=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    read = models.PositiveIntegerField("versions read", default=0)
    imported = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    revised = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    refusals = models.JSONField(default=list, blank=True, help_text="[version, reason] pairs.")
    error = models.TextField(blank=True, help_text="Why the import stopped, when it did.")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="bulk_import_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running"])
                | (Q(finished_at__isnull=False) & Q(file="")),
                name="bulk_import_finished_has_when_and_no_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("standards:bulk_import_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def work(self) -> dict[str, Any]:
        """Where the import is, for its status page (templates/work_status_page.html): the
        fields of psp.background.WorkStatus, which this app (below psp) does not import."""
        running = self.status == self.Status.RUNNING
        read = f"{self.read} version{pluralize(self.read)} read so far."
        announcements = {
            self.Status.DONE: "Import finished",
            self.Status.FAILED: "The import stopped",
            self.Status.RUNNING: "Importing",
        }
        return {
            "state": self.status,
            "pending": self.is_running,
            "url": self.get_absolute_url(),
            "announcement": announcements.get(self.Status(self.status), ""),
            "tag": self.get_status_display(),
            "tag_class": "govuk-tag--blue",
            "message": f"{read if running else 'Waiting for the background worker to start.'} "
            "Each version is imported on its own: you can leave this page and come back.",
        }

    @property
    def refused(self) -> int:
        return len(self.refusals)
