"""The data the page-by-page checks (test_accessibility.py) visit: every page in an empty
state (nothing to show yet), an error state and a populated state.

Built in two steps: bare() makes people whose organisations have nothing yet, for the
empty lists; populate() then adds apprentices at every stage on fictional standards
(ST9990, ST9998), the published ST0494, and ST9994, a fictional version with nothing
imported (the "not yet imported" states).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apprentices import portfolio
from apprentices.models import BreakInLearning, Evidence
from apprentices.uploads import check_upload
from demo.seeding import DEMO_PDF
from epa import gateway, grading
from epa.grading import AssessmentRecord, Decision
from epa.models import ConflictOfInterest
from progress import reviews
from progress.models import OffTheJobEntry
from psp import notifications
from psp.models import Notification, Organisation
from psp.roles import Role
from reports import building
from reports.models import Report
from standards.importing import import_standard, parse_official
from standards.models import StandardImport
from standards.reference_data import load_reference_data
from standards.uploads import apply_import, stage_import
from tests.browser.people import KSBS, Cast, add_evidence, make_cast
from tests.factories import (
    make_apprentice,
    make_organisation,
    make_staff,
    make_standard,
    make_user,
    make_version,
)
from tests.standards.samples import official_json


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def bare() -> World:
    """People whose organisations have no apprentices, evidence, EPAs or imports yet."""
    world = World()
    provider = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER, name="New Training")
    employer = make_organisation(kind=Organisation.Kind.EMPLOYER, name="New Probation Unit")
    epao = make_organisation(kind=Organisation.Kind.EPAO, name="New Assessments Ltd")
    world.users.update(
        new_provider=make_staff(role=Role.PROVIDER, organisation=provider),
        new_employer=make_staff(role=Role.EMPLOYER, organisation=employer),
        new_epao_admin=make_staff(role=Role.EPAO_ADMIN, organisation=epao),
        new_assessor=make_staff(role=Role.ASSESSOR, organisation=epao),
        new_apprentice=make_user(role=Role.APPRENTICE, first_name="Nell", last_name="New"),
        no_role=make_user(first_name="Noor", last_name="Norole"),
        admin=make_user(role=Role.ADMIN, first_name="Ade", last_name="Admin", is_staff=True),
    )
    return world


def _upload(name: str, content: bytes) -> Any:
    return check_upload(SimpleUploadedFile(name, content))


def _through_gateway(cast: Cast, apprentice: Any, *, decide: bool = True) -> Any:
    add_evidence(
        cast, apprentice=apprentice, title="Risk assessment", codes=["K1", "S1"], outcome="accepted"
    )
    attempt = gateway.start_gateway(apprentice, by=cast.provider)
    for item in attempt.items.all():
        by = cast.employer if item.kind == "employer" else cast.provider
        fields = {"english_maths": "level_2", "details": "GCSEs"}
        gateway.confirm_item(item, by=by, **(fields if item.kind == "english_maths" else {}))
    gateway.submit_gateway(attempt, by=cast.provider)
    if not decide:
        return attempt
    decisions = {item.pk: ("accepted", "") for item in attempt.items.all()}
    return gateway.decide_gateway(attempt, decisions, by=cast.epao_admin)


def _grade(epa: Any, cast: Cast, grades: dict[int, str]) -> None:
    """Record every method with criteria giving each method's grade, as the assessor."""
    for assessment in epa.assessments.select_related("method"):
        assessment.epa = epa
        grade = grades[assessment.method.number]
        criteria = list(assessment.method.grading_criteria.all())
        decisions = [
            Decision(
                criterion=criterion,
                pass_met=grade != "fail",
                distinction_met=(
                    grade == "distinction" if criterion.distinction_descriptor else None
                ),
            )
            for criterion in criteria
        ]
        record = AssessmentRecord(
            assessed_on=timezone.localdate(),
            duration_minutes=60,
            questions=[(f"Question {n}?", "Answered well.") for n in range(1, 4)],
            evidence_referred="Risk assessment",
            judgement="A fictional judgement.",
            decisions=decisions,
        )
        grading.record_assessment(
            assessment, record, by=cast.assessor, seen_version=assessment.version
        )


def populate(world: World) -> None:
    cast = make_cast()
    world.users.update(
        apprentice=cast.apprentice.user,
        provider=cast.provider,
        employer=cast.employer,
        epao_admin=cast.epao_admin,
        assessor=cast.assessor,
        second_epao_admin=cast.second_epao_admin,
    )
    objects = world.objects
    objects["cast"] = cast
    objects["version"] = cast.version
    load_reference_data()
    # Nothing of it imported: no duties, KSBs or EPA plan.
    not_imported = make_version(
        standard=make_standard(reference="ST9994", title="Imaginary gadget tester"),
        title="Imaginary gadget tester",
    )
    objects["version_not_imported"] = not_imported
    objects["version_two"] = make_version(
        standard=cast.version.standard,
        version="2.0",
        ksbs={**KSBS, "K": [*KSBS["K"], "How imaginary gadgets differ from widgets"]},
    )
    objects["single_version"] = make_version(standard=make_standard(reference="ST9998"))

    # The apprentice of the cast: evidence at every stage.
    objects["apprentice"] = apprentice = cast.apprentice
    objects["accepted"] = add_evidence(
        cast, title="Anonymised risk assessment", codes=["K1", "K3", "S1"], outcome="accepted"
    )
    objects["returned"] = add_evidence(
        cast, title="Supervision reflection", codes=["B1"], outcome="changes_requested"
    )
    objects["submitted"] = add_evidence(
        cast, title="Witness testimony", codes=["K2", "S2"], outcome="submitted"
    )
    objects["draft"] = add_evidence(
        cast, title="Notes from a home visit", codes=["S1"], outcome="draft"
    )
    objects["empty_draft"] = portfolio.create_evidence(
        apprentice,
        by=apprentice.user,
        files=[],
        title="Unfinished evidence",
        activity_date=datetime.date(2030, 2, 1),
        evidence_type=Evidence.Type.OTHER,
        personal_data_removed=True,
    )
    withdrawn = add_evidence(cast, title="A duplicate", codes=["K1"], outcome="draft")
    withdrawn.withdraw(by=apprentice.user, reason="Uploaded twice")
    objects["file"] = objects["accepted"].files.first()

    def another(first: str, version: Any = None) -> Any:
        return make_apprentice(
            version=version or cast.version,
            epao=apprentice.epao,
            employer=apprentice.employer,
            training_provider=apprentice.training_provider,
            user=make_user(role=Role.APPRENTICE, first_name=first, last_name="Imaginary"),
        )

    objects["blank_apprentice"] = another("Bea")
    objects["withdrawn_apprentice"] = withdrawn_apprentice = another("Wyn")
    withdrawn_apprentice.status = withdrawn_apprentice.Status.WITHDRAWN
    withdrawn_apprentice.save(update_fields=["status"])
    objects["unimported_apprentice"] = unimported = another("Cal", not_imported)
    world.users["unimported_apprentice"] = unimported.user
    objects["unimported_draft"] = portfolio.create_evidence(
        unimported,
        by=unimported.user,
        files=[_upload("notes.txt", b"Fictional notes.\n")],
        title="Notes on a version without KSBs",
        activity_date=datetime.date(2030, 2, 1),
        evidence_type=Evidence.Type.OTHER,
        personal_data_removed=True,
    )

    # Gateway and EPA at every stage, each on its own apprentice.
    preparing = another("Dee")
    add_evidence(
        cast, apprentice=preparing, title="Risk assessment", codes=["K1"], outcome="accepted"
    )
    objects["preparing"] = gateway.start_gateway(preparing, by=cast.provider)
    objects["english_maths_item"] = objects["preparing"].items.get(kind="english_maths")
    objects["portfolio_item"] = objects["preparing"].items.get(kind="portfolio")
    objects["submitted_gateway"] = _through_gateway(cast, another("Eli"), decide=False)
    ConflictOfInterest.objects.create(
        assessor=cast.assessor,
        kind=ConflictOfInterest.Kind.EMPLOYER,
        organisation=make_organisation(name="Imaginary Former Employer"),
        starts_on=datetime.date(2018, 9, 1),
        ends_on=datetime.date(2021, 7, 31),
        details="Worked there as a case officer.",
    )
    objects["open_conflict"] = ConflictOfInterest.objects.create(
        assessor=cast.assessor,
        kind=ConflictOfInterest.Kind.EMPLOYER,
        organisation=make_organisation(name="Imaginary Volunteer Centre"),
        starts_on=datetime.date(2022, 1, 10),
        details="Volunteer mentor there.",
    )
    objects["unassigned_epa"] = _through_gateway(cast, another("Fern"))
    objects["assigned_epa"] = assigned = _through_gateway(cast, another("Gus"))
    grading.assign_assessor(assigned, cast.assessor, by=cast.epao_admin)
    world.users["epa_apprentice"] = assigned.apprentice.user
    objects["assigned_demonstration"] = demonstration = assigned.assessments.get(method__number=2)
    objects["submission"] = grading.hand_in(
        demonstration,
        _upload("slides.pdf", DEMO_PDF),
        kind="slides",
        by=assigned.apprentice.user,
    )
    objects["moderation_epa"] = moderation = _through_gateway(cast, another("Hana"))
    grading.assign_assessor(moderation, cast.assessor, by=cast.epao_admin)
    _grade(moderation, cast, {1: "distinction", 2: "pass"})
    grading.submit_for_moderation(moderation, by=cast.assessor)
    objects["final_epa"] = final = _through_gateway(cast, apprentice_with_epa := another("Ivo"))
    objects["final_apprentice"] = apprentice_with_epa
    grading.assign_assessor(final, cast.assessor, by=cast.epao_admin)
    _grade(final, cast, {1: "distinction", 2: "pass"})
    grading.submit_for_moderation(final, by=cast.assessor)
    grading.moderate(final, by=cast.second_epao_admin, confirm=True)
    grading.amend_result(
        final.latest_result,
        by=cast.epao_admin,
        method_grades={1: "distinction", 2: "distinction"},
        overall_after="distinction",
        reason="A marking error in method 2",
    )
    objects["failed_epa"] = failed = _through_gateway(cast, another("Jas"))
    grading.assign_assessor(failed, cast.assessor, by=cast.epao_admin)
    _grade(failed, cast, {1: "fail", 2: "pass"})
    grading.submit_for_moderation(failed, by=cast.assessor)
    grading.moderate(failed, by=cast.epao_admin, confirm=True)
    for epa in ("assigned_epa", "moderation_epa", "final_epa", "failed_epa", "unassigned_epa"):
        objects[epa].refresh_from_db()
    objects["unrecorded"] = assigned.assessments.order_by("method__number").first()
    objects["recorded"] = moderation.assessments.order_by("method__number").first()

    # Imports: one waiting to be confirmed, one applied, one that can no longer apply.
    admin = world.users["admin"]
    revised = official_json(reference="ST9997", version="1.1")
    import_standard(parse_official(official_json(reference="ST9997")))
    objects["pending_import"] = _stage(revised, by=admin)
    applied = _stage(official_json(reference="ST9996"), by=admin)
    apply_import(applied, by=admin)
    objects["applied_import"] = applied
    objects["stale_import"] = _stage(
        official_json(reference="ST9995", title="Widget examiner"), by=admin
    )
    import_standard(parse_official(official_json(reference="ST9995")))
    populate_training(world)
    populate_accounts(world)


def populate_training(world: World) -> None:
    """Off-the-job training, a break in learning, progress reviews and a signing link."""
    objects, cast = world.objects, world.cast
    apprentice, provider = cast.apprentice, cast.provider

    def entry(hours: str, **fields: Any) -> OffTheJobEntry:
        return OffTheJobEntry.objects.create(
            apprentice=apprentice,
            date=apprentice.start_date + datetime.timedelta(days=7),
            hours=Decimal(hours),
            activity=OffTheJobEntry.Activity.TEACHING,
            description="A fictional workshop on risk assessment.",
            **fields,
        )

    objects["submitted_entry"] = entry("3.5", evidence=objects["accepted"])
    objects["submitted_entry"].ksbs.set(cast.version.ksbs.filter(kind="K")[:2])
    entry("2").approve(by=provider)
    objects["queried_entry"] = entry("1.5")
    objects["queried_entry"].query_entry(by=provider, query="Which module was this?")
    BreakInLearning.objects.create(
        apprentice=apprentice,
        starts_on=apprentice.start_date + datetime.timedelta(days=60),
        ends_on=apprentice.start_date + datetime.timedelta(days=90),
        reason="Fictional leave",
        recorded_by=provider,
    )

    today = timezone.localdate()
    recorded = reviews.schedule_review(apprentice, by=provider, due_on=today)
    ksb = cast.version.ksbs.get(kind="K", number=1)
    reviews.record_review(
        recorded,
        reviews.Record(
            held_on=today,
            summary="Good progress on risk assessment; fictional.",
            progress={},
            targets=[("Map two more pieces of evidence to S2", today)],
            comments={ksb: "Explains the law clearly"},
        ),
        by=provider,
    )
    reviews.sign_review(recorded, by=apprentice.user)
    objects["recorded_review"] = recorded
    employer = apprentice.employer
    employer.signing_contact_name = "Erin Employer"
    employer.signing_contact_email = "erin@example.org"
    employer.save()
    link = reviews.create_signing_link(recorded, by=provider)
    objects["signing_path"] = reviews.signing_path(link)
    unsigned = reviews.schedule_review(apprentice, by=provider, due_on=today)
    reviews.record_review(
        unsigned,
        reviews.Record(
            held_on=today,
            summary="Two more pieces of evidence mapped; fictional.",
            progress={target.pk: ("partly_met", "One of two") for target in recorded.targets.all()},
            targets=[],
            comments={},
        ),
        by=provider,
    )
    objects["unsigned_review"] = unsigned
    objects["scheduled_review"] = reviews.schedule_review(
        apprentice, by=provider, due_on=today + datetime.timedelta(days=28)
    )


def populate_accounts(world: World) -> None:
    """Notifications, notification settings, two-factor authentication and reports."""
    objects, cast = world.objects, world.cast
    notifications.notify(
        cast.apprentice.user,
        Notification.Kind.RESULT_RELEASED,
        subject="Your end-point assessment result",
        body="A fictional result was released.",
        url=cast.apprentice.get_absolute_url(),
    )
    for notification in Notification.objects.filter(user=cast.apprentice.user)[:1]:
        notification.mark_read()
    notifications.set_preferences(cast.provider, [Notification.Kind.REPORT_READY])

    # Two-factor authentication: one with an authenticator app (signed in), one with an
    # authenticator app who signs in with the password on the page, and one about to set
    # one up.
    for key in ("two_factor", "two_factor_unverified"):
        user = make_user(role=Role.APPRENTICE, first_name="Tess", last_name=key.title())
        TOTP.activate(user, generate_totp_secret())
        RecoveryCodes.activate(user)
        world.users[key] = user
    world.users["enrolling"] = make_user(role=Role.APPRENTICE, first_name="Eve", last_name="New")

    # Reports: queued, ready and failed.
    provider, apprentice = cast.provider, cast.apprentice
    objects["queued_report"] = Report.objects.create(
        kind=Report.Kind.PORTFOLIO, requested_by=provider, apprentice=apprentice
    )
    ready = Report.objects.create(
        kind=Report.Kind.EPA_RESULT,
        requested_by=provider,
        apprentice=objects["final_apprentice"],
        epa=objects["final_epa"],
        started_at=timezone.now(),
    )
    name = default_storage.save(f"reports/report-{ready.pk}.pdf", ContentFile(DEMO_PDF))
    Report.objects.filter(pk=ready.pk).update(
        status=Report.Status.READY,
        file=name,
        sha256=hashlib.sha256(DEMO_PDF).hexdigest(),
        size=len(DEMO_PDF),
        finished_at=timezone.now(),
    )
    objects["ready_report"] = ready
    failed = Report.objects.create(
        kind=Report.Kind.COHORT,
        requested_by=provider,
        organisation=apprentice.employer,
        standard_version=cast.version,
    )
    building.fail(failed.pk, reason="The PDF could not be built: a fictional failure.")
    objects["failed_report"] = failed


def _stage(payload: dict[str, Any], *, by: Any) -> StandardImport:
    upload = SimpleUploadedFile("standard.json", json.dumps(payload).encode())
    staged, _note = stage_import(upload, kind="standard", filename="standard.json", by=by)
    return staged


def populate_demo(world: World) -> None:
    """The demo that `make run` serves (demo.seeding, on ST0494 as loaded from the fixtures):
    real standard text, demo-sized lists, long names. Its people are demo_<username>."""
    from demo.seeding import seed_demo_epa, seed_demo_portfolios, seed_demo_progress
    from epa.models import MethodAssessment
    from psp.demo_accounts import seed_demo

    users = seed_demo()
    seed_demo_portfolios(users)
    seed_demo_epa(users)
    seed_demo_progress(users)
    for user in users:
        world.users[f"demo_{user.username.replace('-', '_')}"] = user
    objects = world.objects
    objects["demo_apprentice"] = world.users["demo_apprentice"].apprentice
    assessor = world.users["demo_assessor"]
    objects["demo_assessment"] = (
        MethodAssessment.objects.filter(epa__assessor=assessor, grade="")
        .select_related("epa")
        .order_by("pk")
        .first()
    )
    objects["demo_submitted"] = Evidence.objects.filter(
        apprentice=objects["demo_apprentice"], status=Evidence.Status.SUBMITTED
    ).first()
