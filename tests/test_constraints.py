"""Every database constraint of the domain refuses a violating write.

The constraints are enumerated from the models, so a new constraint without a violating
write here fails test_every_constraint_has_a_violating_write.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from apprentices.models import (
    BreakInLearning,
    EmployerMove,
    EvidenceFile,
    EvidenceKSB,
    EvidenceRevision,
    KsbTally,
    VersionMove,
)
from epa.models import (
    Amendment,
    ConflictOfInterest,
    CriterionDecision,
    Epa,
    EpaResult,
    EpaRevision,
    GatewayAttempt,
    GatewayItem,
    MethodAssessment,
    MethodModeration,
    MethodSubmission,
    Question,
)
from progress.models import (
    OffTheJobEntry,
    OffTheJobMinimum,
    OffTheJobRule,
    ProgressReview,
    ProgressRevision,
    ReviewKsbComment,
    ReviewSignature,
    ReviewSigningLink,
)
from psp.models import (
    Notification,
    NotificationPreference,
    Organisation,
)
from psp.roles import Role
from reports.models import Report, ReportRevision
from standards.models import (
    Duty,
    EpaPlanRevision,
    GatewayRequirement,
    GradingCriterion,
    KsbCrosswalk,
    Option,
    Revision,
    StandardImport,
    VersionRevision,
)
from tests.factories import (
    make_apprentice,
    make_evidence,
    make_full_plan,
    make_organisation,
    make_staff,
    make_user,
    make_version,
)

APPS = ("psp", "apprentices", "progress", "epa", "reports", "standards", "api")
HEX = "a" * 64
TODAY = datetime.date(2031, 1, 6)


def constraints() -> list[tuple[type[models.Model], models.BaseConstraint]]:
    return [
        (model, constraint)
        for model in apps.get_models()
        if model._meta.app_label in APPS
        for constraint in model._meta.constraints
    ]


def clone(row: models.Model, **changes: Any) -> models.Model:
    """A new row with the same values as row, but for the changes."""
    values = {
        f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key
    }
    values.update(changes)
    return type(row)._default_manager.create(**values)


def update(row: models.Model, **changes: Any) -> None:
    type(row)._default_manager.filter(pk=row.pk).update(**changes)


def raw_update(row: models.Model, **changes: Any) -> None:
    """As update, in SQL, past the fields' own conversions."""
    table = connection.ops.quote_name(row._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in changes)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {columns} WHERE id = %s", [*changes.values(), row.pk])


@pytest.fixture
def w(db):
    """One valid row of every model with a constraint."""
    w = SimpleNamespace()
    w.version = make_version(ksbs={"K": ["Knows"], "S": ["Fixes"]}, duties=[("Does", ["K1"])])
    w.plan = make_full_plan(version=w.version)
    w.other_version = make_version(version="2.0", ksbs={"K": ["Knows"]})
    w.ksb = w.version.ksbs.order_by("kind", "number").first()
    w.duty = Duty.objects.get(version=w.version)
    w.method = w.plan.methods.order_by("number").first()
    w.criterion = GradingCriterion.objects.filter(method=w.method).first()
    w.requirement = GatewayRequirement.objects.filter(plan=w.plan).first()
    w.epao = make_organisation(kind=Organisation.Kind.EPAO)
    w.apprentice = make_apprentice(version=w.version, epao=w.epao)
    w.user = w.apprentice.user
    w.provider = make_staff(role=Role.PROVIDER, organisation=w.apprentice.training_provider)
    w.assessor = make_staff(role=Role.ASSESSOR, organisation=w.epao)
    w.moderator = make_staff(role=Role.EPAO_ADMIN, organisation=w.epao)
    w.admin = make_user(role=Role.ADMIN, email="admin@example.org")
    w.evidence = make_evidence(apprentice=w.apprentice, ksbs=[w.ksb])
    w.mapping = EvidenceKSB.objects.get(evidence=w.evidence)
    w.file = EvidenceFile.objects.create(
        evidence=w.evidence,
        file="evidence/x",
        original_name="x.txt",
        content_type="text/plain",
        size=1,
        sha256=HEX,
        uploaded_by=w.user,
    )
    w.move = VersionMove.objects.create(
        apprentice=w.apprentice,
        from_version=w.version,
        to_version=w.other_version,
        by=w.provider,
        reason="Moved",
        old_mappings={},
        carried={},
        unmapped={},
    )
    w.employer_move = EmployerMove.objects.create(
        apprentice=w.apprentice,
        from_employer=w.apprentice.employer,
        to_employer=make_organisation(),
        reason="Changed jobs",
        requested_by=w.provider,
    )
    w.rule = OffTheJobRule.objects.create(
        name="Test rule",
        applies_to_starts_from=datetime.date(2040, 1, 1),
        kind=OffTheJobRule.Kind.HOURS_PER_WEEK,
        value=Decimal("6"),
        source="Tests",
    )
    w.minimum = OffTheJobMinimum.objects.create(
        rule=w.rule, standard=w.version.standard, hours=Decimal("100"), source="Tests"
    )
    w.break_ = BreakInLearning.objects.create(
        apprentice=w.apprentice, starts_on=TODAY, recorded_by=w.provider
    )
    w.entry = OffTheJobEntry.objects.create(
        apprentice=w.apprentice,
        date=TODAY,
        hours=Decimal("2"),
        activity=OffTheJobEntry.Activity.TEACHING,
        description="Training",
    )
    w.review = ProgressReview.objects.create(
        apprentice=w.apprentice, due_on=TODAY, scheduled_by=w.provider
    )
    w.ksb_comment = ReviewKsbComment.objects.create(review=w.review, ksb=w.ksb, comment="Good")
    w.signature = ReviewSignature.objects.create(
        review=w.review,
        party=ReviewSignature.Party.APPRENTICE,
        user=w.user,
        name="A",
        content_hash=HEX,
    )
    w.link = ReviewSigningLink.objects.create(
        review=w.review,
        name="Robin",
        email="robin@example.org",
        created_by=w.provider,
        expires_at=timezone.now(),
    )
    w.attempt = GatewayAttempt.objects.create(
        apprentice=w.apprentice, number=1, created_by=w.provider
    )
    w.item = GatewayItem.objects.create(
        attempt=w.attempt, kind=GatewayItem.Kind.OTHER, requirement=w.requirement, text="Req"
    )
    w.epa = Epa.objects.create(
        apprentice=w.apprentice,
        gateway=w.attempt,
        period_start=TODAY,
        period_end=TODAY + datetime.timedelta(days=90),
        assessor=w.assessor,
    )
    w.assessment = MethodAssessment.objects.create(epa=w.epa, method=w.method)
    w.submission = MethodSubmission.objects.create(
        assessment=w.assessment,
        kind=MethodSubmission.Kind.SLIDES,
        file="epa/x",
        original_name="slides.pdf",
        content_type="application/pdf",
        size=1,
        sha256=HEX,
        supplement_hash=HEX,
        uploaded_by=w.user,
        due_on=TODAY,
    )
    w.moderation = MethodModeration.objects.create(
        assessment=w.assessment, moderator=w.moderator, grade="pass", agrees=True
    )
    w.conflict = ConflictOfInterest.objects.create(
        assessor=w.assessor,
        kind=ConflictOfInterest.Kind.EMPLOYER,
        organisation=w.employer_move.to_employer,
        starts_on=TODAY,
        details="Worked there",
    )
    w.question = Question.objects.create(assessment=w.assessment, number=1, text="Why?")
    w.decision = CriterionDecision.objects.create(
        assessment=w.assessment, criterion=w.criterion, pass_met=True
    )
    w.result = EpaResult.objects.create(
        epa=w.epa,
        sitting=1,
        overall_grade="pass",
        method_grades={"1": "pass"},
        assessor=w.assessor,
        moderator=w.moderator,
    )
    w.amendment = Amendment.objects.create(
        result=w.result, by=w.moderator, reason="Typo", overall_before="pass", overall_after="merit"
    )
    w.report = Report.objects.create(
        kind=Report.Kind.PORTFOLIO, requested_by=w.provider, apprentice=w.apprentice
    )
    w.notification = Notification.objects.create(
        user=w.user, kind=Notification.Kind.REPORT_READY, subject="Ready", url="/"
    )
    w.preference = NotificationPreference.objects.create(
        user=w.user, kind=Notification.Kind.REPORT_READY
    )
    w.import_ = StandardImport.objects.create(
        kind=StandardImport.Kind.STANDARD,
        filename="x.json",
        reference="ST9990",
        version="1.0",
        payload={},
        sha256=HEX,
        uploaded_by=w.admin,
    )
    w.crosswalk = KsbCrosswalk.objects.create(
        from_ksb=w.ksb,
        to_version=w.other_version,
        to_ksb=w.other_version.ksbs.first(),
        method=KsbCrosswalk.Method.choices[0][0],
        confirmed_by=w.admin,
    )
    w.option = Option.objects.create(version=w.version, number=1, title="Imaginary option")
    w.revision = VersionRevision.objects.create(
        version=w.version, number=1, changes=["K1 reworded"], source="test"
    )
    w.plan_revision = EpaPlanRevision.objects.create(plan=w.plan, number=1, content={})
    return w


# A write that breaks each constraint, by name.
def tally_of(mapping: EvidenceKSB) -> KsbTally:
    """The tally the database triggers keep for a mapping's apprentice and KSB."""
    return KsbTally.objects.get(apprentice_id=mapping.evidence.apprentice_id, ksb=mapping.ksb)


VIOLATIONS: dict[str, Callable[[Any], Any]] = {
    # psp
    "unique_organisation_name": lambda w: clone(w.epao),
    "signing_contact_has_a_name": lambda w: update(
        w.epao, signing_contact_email="someone@example.org", signing_contact_name=""
    ),
    "unique_user_email": lambda w: clone(w.admin, username="another-admin"),
    "notification_url_is_a_path": lambda w: update(w.notification, url="//evil.example/"),
    "sending_email_is_claimed": lambda w: update(
        w.notification, email_status="sending", email_claimed_at=None
    ),
    "unique_notification_preference": lambda w: clone(w.preference),
    # standards
    "unique_standard_version": lambda w: clone(w.version),
    "standard_version_level_1_to_8": lambda w: update(w.version, level=9),
    "standard_version_start_dates_in_order": lambda w: update(
        w.version,
        earliest_start_date=datetime.date(2030, 1, 1),
        latest_start_date=datetime.date(2029, 1, 1),
    ),
    "unique_ksb_code": lambda w: clone(w.ksb),
    "ksb_number_positive": lambda w: update(w.ksb, number=0),
    "ksb_kind_valid": lambda w: update(w.ksb, kind="X"),
    "unique_duty_number": lambda w: clone(w.duty),
    "duty_number_positive": lambda w: update(w.duty, number=0),
    "unique_gateway_requirement": lambda w: clone(w.requirement),
    "unique_assessment_method": lambda w: clone(w.method),
    "unique_grading_criterion": lambda w: clone(w.criterion),
    "unique_plan_revision": lambda w: clone(w.plan_revision),
    "standard_import_sha256_hex": lambda w: update(w.import_, sha256="nothex"),
    "standard_import_decision_has_who_and_when": lambda w: update(
        w.import_, status=StandardImport.Status.APPLIED, decided_by=None
    ),
    "unique_crosswalk_per_target_version": lambda w: clone(w.crosswalk),
    "unique_option_number": lambda w: clone(w.option),
    "option_number_positive": lambda w: update(w.option, number=0),
    "unique_version_revision": lambda w: clone(w.revision),
    "version_revision_number_1_up": lambda w: update(w.revision, number=0),
    # apprentices
    "apprentice_gateway_after_start": lambda w: update(
        w.apprentice, planned_gateway_date=w.apprentice.start_date
    ),
    "apprentice_uln_ten_digits": lambda w: update(w.apprentice, uln="012345678"),
    "apprentice_contracted_hours_in_a_week": lambda w: update(
        w.apprentice, contracted_hours_per_week=Decimal("169")
    ),
    "apprentice_prior_learning_reduction_in_range": lambda w: update(
        w.apprentice, prior_learning_unit="percent", prior_learning_reduction=Decimal("101")
    ),
    "apprentice_review_interval_in_range": lambda w: update(w.apprentice, review_interval_weeks=53),
    "evidence_accepted_has_reviewer": lambda w: update(
        w.evidence, status="accepted", submission_count=1, reviewed_by=None
    ),
    "evidence_changes_requested_has_comment": lambda w: update(
        w.evidence, status="changes_requested", submission_count=1, review_comment=""
    ),
    "evidence_submitted_was_counted": lambda w: update(
        w.evidence, status="submitted", submission_count=0
    ),
    "evidence_file_sha256_hex": lambda w: update(w.file, sha256="NOT-HEX"),
    "evidence_file_removal_has_who": lambda w: update(
        w.file, removed_at=timezone.now(), removed_by=None
    ),
    "unique_evidence_ksb": lambda w: clone(w.mapping),
    "unique_ksb_tally": lambda w: clone(tally_of(w.mapping)),
    "ksb_tally_counts_consistent": lambda w: update(
        tally_of(w.mapping), accepted_count=tally_of(w.mapping).evidence_count + 1
    ),
    "version_move_has_reason": lambda w: update(w.move, reason=""),
    "version_move_changes_version": lambda w: update(w.move, to_version=w.version),
    "employer_move_has_reason": lambda w: update(w.employer_move, reason=""),
    "employer_move_changes_employer": lambda w: update(
        w.employer_move, to_employer=w.apprentice.employer
    ),
    "employer_move_decision_has_who": lambda w: update(
        w.employer_move, status="accepted", decided_at=timezone.now(), decided_by=None
    ),
    "one_pending_employer_move": lambda w: clone(w.employer_move),
    "break_in_learning_ends_after_start": lambda w: update(
        w.break_, ends_on=TODAY - datetime.timedelta(days=1)
    ),
    "off_the_job_rule_dates_in_order": lambda w: update(
        w.rule, applies_to_starts_until=datetime.date(2039, 1, 1)
    ),
    "off_the_job_rule_has_value": lambda w: update(w.rule, value=Decimal("0")),
    "unique_otj_minimum": lambda w: clone(w.minimum),
    "otj_minimum_positive": lambda w: update(w.minimum, hours=Decimal("0")),
    "otj_entry_hours_in_a_day": lambda w: update(w.entry, hours=Decimal("25")),
    "otj_entry_approved_has_reviewer": lambda w: update(
        w.entry, status="approved", reviewed_by=None
    ),
    "otj_entry_query_has_text": lambda w: update(w.entry, status="queried", query=""),
    "recorded_review_has_date_and_reviewer": lambda w: update(
        w.review, status="awaiting_signatures", held_on=None
    ),
    "signed_review_has_time": lambda w: update(
        w.review, status="signed", held_on=TODAY, recorded_by=w.provider, signed_at=None
    ),
    "unique_review_ksb_comment": lambda w: clone(w.ksb_comment),
    "one_signature_per_party": lambda w: clone(w.signature),
    "signature_has_signer": lambda w: update(w.signature, user=None, link=None),
    "link_signature_says_where_the_link_went": lambda w: update(
        w.signature, link=w.link, sent_to="", sent_by=None
    ),
    # epa
    "unique_gateway_attempt": lambda w: clone(w.attempt, status="rejected", pack={}, pack_hash=HEX),
    "one_live_gateway_attempt": lambda w: clone(w.attempt, number=2),
    "submitted_gateway_has_pack": lambda w: update(w.attempt, status="submitted"),
    "accepted_gateway_has_date": lambda w: update(
        w.attempt, status="accepted", pack={}, pack_hash=HEX, gateway_date=None
    ),
    "gateway_decision_has_who": lambda w: update(w.item, decision="accepted", decided_by=None),
    "gateway_rejection_has_reason": lambda w: update(
        w.item, decision="rejected", decided_by=w.moderator, reason=""
    ),
    "gateway_confirmation_has_who": lambda w: update(
        w.item, confirmed_at=timezone.now(), confirmed_by=None
    ),
    "epa_period_in_order": lambda w: update(w.epa, period_end=w.epa.period_start),
    "conflict_names_whom": lambda w: update(w.conflict, organisation=None),
    "conflict_dates_in_order": lambda w: update(
        w.conflict, ends_on=TODAY - datetime.timedelta(days=1)
    ),
    "conflict_has_details": lambda w: update(w.conflict, details=""),
    "unique_method_attempt": lambda w: clone(w.assessment),
    "graded_assessment_has_assessor": lambda w: update(
        w.assessment, grade="pass", recorded_by=None
    ),
    # Each breaks one of the two rules on kind, attempt and follows, not both.
    "resits_are_later_attempts": lambda w: update(w.assessment, attempt=2),
    "resit_follows_an_attempt": lambda w: update(w.assessment, kind="resit", attempt=2),
    "final_assessment_has_grade": lambda w: update(w.assessment, is_final=True),
    "method_submission_sha256_hex": lambda w: update(w.submission, sha256="NOT-HEX"),
    "method_submission_supplement_hash_hex": lambda w: update(w.submission, supplement_hash=""),
    "conflict_withdrawal_says_why": lambda w: update(w.conflict, withdrawn_at=timezone.now()),
    "moderation_disagreement_says_why": lambda w: update(w.moderation, agrees=False, comment=""),
    "unique_question_number": lambda w: clone(w.question),
    "unique_criterion_decision": lambda w: clone(w.decision),
    "one_result_per_sitting": lambda w: clone(w.result),
    "one_revision_row": lambda w: Revision.objects.create(pk=2),
    "one_progress_revision_row": lambda w: ProgressRevision.objects.create(pk=2),
    "one_evidence_revision_row": lambda w: EvidenceRevision.objects.create(pk=2),
    "one_epa_revision_row": lambda w: EpaRevision.objects.create(pk=2),
    "one_report_revision_row": lambda w: ReportRevision.objects.create(pk=2),
    # A result is final once written (epa.finality), so the violating write is a new one.
    "moderator_is_not_the_assessor": lambda w: clone(
        w.result, sitting=2, moderator_id=w.assessor.pk
    ),
    "amendment_has_reason": lambda w: update(w.amendment, reason=""),
    "report_has_its_subject": lambda w: update(w.report, apprentice=None),
    "ready_report_has_file": lambda w: update(w.report, status="ready", file=""),
    "failed_report_has_reason": lambda w: update(w.report, status="failed", failure_reason=""),
}


# Bulk onboarding and API tokens: their rows are made by the violating write itself.
def _batch(w: Any, **fields: Any) -> Any:
    from apprentices.models import OnboardingBatch

    fields.setdefault("content", "uln\n1")
    return OnboardingBatch.objects.create(
        provider=w.apprentice.training_provider,
        uploaded_by=w.provider,
        filename="a.csv",
        sha256=HEX,
        rows_total=1,
        **fields,
    )


def _token(w: Any) -> Any:
    from api.models import ApiToken

    return ApiToken.objects.create(
        organisation=w.apprentice.training_provider,
        name="MIS",
        prefix="abcd1234",
        secret_hash=HEX,
        created_by=w.provider,
    )


VIOLATIONS.update(
    {
        "onboarding_checked_at_most_total": lambda w: update(_batch(w), rows_checked=2),
        "onboarding_applied_has_who_when_and_no_file": lambda w: update(
            _batch(w), status="applied", applied_at=timezone.now(), applied_by=w.provider
        ),
        "onboarding_discarded_keeps_no_file": lambda w: update(_batch(w), status="discarded"),
        "api_token_hash_hex": lambda w: update(_token(w), secret_hash="not-a-hash"),
        "api_token_revoked_by_someone": lambda w: update(_token(w), revoked_at=timezone.now()),
        "api_token_unique_active_name": lambda w: clone(
            _token(w), prefix="efgh5678", secret_hash="b" * 64
        ),
    }
)


def test_every_constraint_has_a_violating_write():
    names = {constraint.name for _, constraint in constraints()}
    assert names - VIOLATIONS.keys() == set(), "Add a violating write to VIOLATIONS"
    assert VIOLATIONS.keys() - names == set(), "These constraints no longer exist"


@pytest.mark.parametrize(
    ("model", "constraint"),
    constraints(),
    ids=[constraint.name for _, constraint in constraints()],
)
def test_a_violating_write_is_refused_by_the_database(w, model, constraint):
    violate = VIOLATIONS.get(constraint.name)
    if violate is None:
        pytest.fail(f"No violating write for {constraint.name}")
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        violate(w)
    # The error comes from this constraint, not another one.
    message = str(error.value)
    if isinstance(constraint, models.UniqueConstraint) and constraint.name not in message:
        # SQLite names the columns of a unique constraint, not the constraint.
        columns = [model._meta.get_field(name).column for name in constraint.fields]
        assert all(f"{model._meta.db_table}.{column}" in message for column in columns), message
    else:
        assert constraint.name in message, message


def test_a_progress_review_report_needs_its_review(w):
    """report_has_its_subject for the REVIEW kind: the apprentice alone is not enough."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        update(w.report, kind=Report.Kind.REVIEW)
    assert "report_has_its_subject" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        update(w.report, kind=Report.Kind.REVIEW, apprentice=None, review=w.review)
    update(w.report, kind=Report.Kind.REVIEW, review=w.review)  # both: allowed
    assert Report.objects.get(pk=w.report.pk).review == w.review


def _bulk_import(w: Any) -> Any:
    from standards.models import BulkImport

    return BulkImport.objects.create(
        filename="list.json", file="standard-imports/1-abc", sha256=HEX, uploaded_by=w.provider
    )


VIOLATIONS.update(
    {
        "bulk_import_sha256_hex": lambda w: update(_bulk_import(w), sha256="not-a-hash"),
        "bulk_import_finished_has_when_and_no_file": lambda w: update(
            _bulk_import(w), status="done", finished_at=timezone.now()
        ),
    }
)
