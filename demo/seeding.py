"""The demo's data for `make run` (the seed_demo command): apprentices with evidence at every
stage, the EPA at every stage on the fictional ST9999 (fixtures/demo/), off-the-job training
and progress reviews, all through the normal workflows, on the accounts of psp.demo_accounts.

Every name here is fictional. This app sits above every other (it seeds them all), so no
app imports it; the sign-in page's list of accounts is psp's own (psp.demo_accounts).
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apprentices import portfolio
from apprentices.models import (
    Apprentice,
    BreakInLearning,
    Evidence,
    EvidenceEvent,
    complete_uln,
)
from apprentices.uploads import check_upload
from epa import gateway, grading
from epa.grading import AssessmentRecord, Decision
from epa.models import (
    Amendment,
    ConflictOfInterest,
    Epa,
    EpaEvent,
    EpaResult,
    GatewayAttempt,
    GatewayItem,
    MethodAssessment,
    MethodModeration,
)
from progress import reviews
from progress.models import OffTheJobEntry
from psp.models import Organisation, User
from psp.roles import Role
from standards.importing import import_standard, parse_official
from standards.models import StandardVersion
from standards.plan_importing import import_epa_plan, parse_epa_plan

# The fictional standard of the demo (fixtures/demo/): ST9999 v1.0 "Demonstration
# practitioner (fictional)", with a complete EPA plan, imported like any other.
DEMO_VERSION = "ST9999 1.0"
DEMO_STANDARD_FILES = ("st9999-v1.0.json", "st9999-v1.0-epa-plan.json")


def seed_demo_standard() -> None:
    """Import the fictional demo standard and its EPA plan (the same files again change
    nothing)."""

    folder = settings.BASE_DIR / "fixtures" / "demo"
    standard, plan = (json.loads((folder / name).read_text()) for name in DEMO_STANDARD_FILES)
    if not StandardVersion.objects.filter(standard__reference="ST9999", version="1.0").exists():
        import_standard(parse_official(standard))
    import_epa_plan(parse_epa_plan(plan))


# Demo apprentices: (first, last, ULN base, version, start, planned gateway, status, login).
# The first is the `apprentice` demo account; the rest have no password.
DEMO_APPRENTICES = [
    (
        "Alex",
        "Morgan",
        "100000004",
        "1.0",
        (2023, 9, 4),
        (2025, 3, 3),
        "on_programme",
        "apprentice",
    ),
    ("Bea", "Nwosu", "100000012", "1.0", (2023, 1, 9), (2024, 7, 8), "on_programme", ""),
    ("Cal", "Reyes", "100000020", "1.0", (2022, 10, 3), (2024, 4, 1), "on_programme", ""),
    ("Dana", "Kowalski", "100000039", "1.0", (2024, 2, 5), (2025, 8, 4), "break", ""),
    ("Eli", "Hart", "100000047", "1.1", (2024, 9, 2), (2026, 3, 2), "on_programme", ""),
    # On the fictional ST9999, whose EPA plan is complete: the whole EPA can be tried.
    ("Fern", "Adeyemi", "100000055", DEMO_VERSION, (2024, 8, 5), (2026, 2, 2), "on_programme", ""),
    (
        "Gus",
        "Lindqvist",
        "100000063",
        DEMO_VERSION,
        (2024, 7, 22),
        (2026, 1, 19),
        "on_programme",
        "",
    ),
    ("Hal", "Ibrahim", "100000080", DEMO_VERSION, (2024, 7, 1), (2026, 1, 5), "on_programme", ""),
    ("Ivy", "Okoro", "100000098", DEMO_VERSION, (2024, 6, 3), (2025, 12, 1), "on_programme", ""),
]

# Evidence for the demo: (title, type, days before today, outcome, KSB codes).
DEMO_EVIDENCE = [
    ("Anonymised pre-sentence report", "work_product", 400, "accepted", ["K1", "K3", "S1", "S3"]),
    (
        "Reflective account: my first supervision",
        "reflective_account",
        380,
        "accepted",
        ["K11", "S12", "B5"],
    ),
    (
        "Witness testimony from my line manager",
        "witness_testimony",
        300,
        "accepted",
        ["S6", "B1", "B2", "B4"],
    ),
    (
        "Observation of a multi-agency meeting",
        "observation",
        240,
        "changes_requested",
        ["K6", "S13", "S14", "B6"],
    ),
    (
        "Sentence plan reviewed with a person on probation",
        "work_product",
        120,
        "submitted",
        ["K4", "S2", "S4", "B7"],
    ),
    ("Notes from a safeguarding referral", "professional_discussion", 30, "draft", ["K5", "S10"]),
]

_DEMO_PDF_OBJECTS = (
    b"<</Type/Catalog/Pages 2 0 R>>",
    b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>",
    b"<</Length 58>>stream\nBT /F1 18 Tf 72 770 Td (Demo evidence: fictional) Tj ET\nendstream",
    b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
)


def _demo_pdf() -> bytes:
    """A small real PDF, with the cross-reference table uploads are parsed with."""
    body, offsets = b"%PDF-1.4\n", []
    for number, value in enumerate(_DEMO_PDF_OBJECTS, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj" % number + value + b"endobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n"
    return body + trailer % (len(offsets) + 1, xref)


DEMO_PDF = _demo_pdf()


@transaction.atomic
def seed_demo_portfolios(users: list[User]) -> None:
    """Demo apprentices on ST0494 v1.0 and v1.1 with evidence at every stage (idempotent)."""

    by_username = {user.username: user for user in users}
    provider_user = by_username["provider"]
    provider = provider_user.organisation
    employer = by_username["employer"].organisation
    epao = by_username["assessor"].organisation
    assert provider is not None, "seed_demo() gives the provider account an organisation"
    assert employer is not None, "seed_demo() gives the employer account an organisation"
    seed_demo_standard()
    versions = {v.version: v for v in StandardVersion.objects.filter(standard__reference="ST0494")}
    versions[DEMO_VERSION] = StandardVersion.objects.get(
        standard__reference="ST9999", version="1.0"
    )
    apprentice_group = Group.objects.get(name=Role.APPRENTICE.label)
    today = timezone.localdate()
    for first, last, base, version, start, gateway_on, status, login in DEMO_APPRENTICES:
        if version not in versions:
            continue
        user = (
            by_username.get(login)
            or User.objects.get_or_create(
                username=f"{first}.{last}@example.org".lower(),
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{first}.{last}@example.org".lower(),
                },
            )[0]
        )
        if not login:
            user.set_unusable_password()
            user.save()
        user.groups.add(apprentice_group)
        apprentice, _ = Apprentice.objects.get_or_create(
            user=user,
            defaults={
                "uln": complete_uln(base),
                "standard_version": versions[version],
                "start_date": datetime.date(*start),
                "planned_gateway_date": datetime.date(*gateway_on),
                "employer": employer,
                "training_provider": provider,
                "epao": epao,
                "status": status,
            },
        )
        if apprentice.evidence.exists():
            continue
        for title, kind, days_ago, outcome, codes in DEMO_EVIDENCE:
            is_pdf = kind == "work_product"
            upload = SimpleUploadedFile(
                f"{title}.pdf" if is_pdf else f"{title}.txt",
                DEMO_PDF if is_pdf else f"{title}\n\nFictional demo evidence.\n".encode(),
            )
            evidence = portfolio.create_evidence(
                apprentice,
                by=user,
                files=[check_upload(upload)],
                title=title,
                activity_date=today - datetime.timedelta(days=days_ago),
                evidence_type=kind,
                reflection=f"Demo reflection for “{title}”. All details are fictional.",
                personal_data_removed=True,
            )
            if versions[version].ksbs_imported:
                ksbs = {k.code: k for k in versions[version].ksbs.all()}
                # The fictional ST9999 has fewer KSBs: an item none of whose codes it has
                # shows its first KSB.
                mapped = [c for c in codes if c in ksbs] or [next(iter(ksbs))]
                portfolio.set_mappings(evidence, {ksbs[c]: "Demo note" for c in mapped}, by=user)
            if outcome != "draft":
                evidence.submit(by=user)
            if outcome == "accepted":
                evidence.accept(by=provider_user, comment="Clear and well anonymised.")
            elif outcome == "changes_requested":
                evidence.request_changes(
                    by=provider_user, comment="Say more about your own part in the meeting."
                )
            _as_of_its_activity_date(evidence)


def _as_of_its_activity_date(evidence: Any) -> None:
    """The demo evidence's history as if it happened then, not when the demo was seeded:
    added and submitted on its activity date, reviewed a week later. Otherwise a progress
    review held after the activity but before the seeding would list none of it."""

    done = timezone.make_aware(datetime.datetime.combine(evidence.activity_date, datetime.time(10)))
    reviewed = done + datetime.timedelta(days=7)
    review_actions = [EvidenceEvent.Action.ACCEPTED, EvidenceEvent.Action.CHANGES_REQUESTED]
    evidence.events.exclude(action__in=review_actions).update(at=done)
    evidence.events.filter(action__in=review_actions).update(at=reviewed)
    Evidence.objects.filter(pk=evidence.pk, submitted_at__isnull=False).update(submitted_at=done)
    Evidence.objects.filter(pk=evidence.pk, reviewed_at__isnull=False).update(reviewed_at=reviewed)


@transaction.atomic
def seed_demo_epa(users: list[User]) -> None:
    """The EPA at every stage (idempotent): Eli (ST0494 v1.1) submitted to gateway; on the
    fictional ST9999, Fern in EPA with her slides handed in, Ivy awaiting moderation, Gus with
    a final merit (to amend as the second EPAO account), Hal with a final fail (to resit)."""

    # What the EPA workflow stamps with the time it runs (hand-ins take theirs: their time
    # is part of the gateway pack's supplement hash).
    EPA_TIMESTAMPS = [
        (EpaEvent, "at"),
        (GatewayAttempt, "created_at"),
        (GatewayAttempt, "submitted_at"),
        (GatewayAttempt, "decided_at"),
        (GatewayItem, "confirmed_at"),
        (GatewayItem, "decided_at"),
        (Epa, "submitted_at"),
        (Epa, "independence_checked_at"),
        (MethodAssessment, "recorded_at"),
        (MethodModeration, "at"),
        (EpaResult, "confirmed_at"),
        (Amendment, "at"),
    ]

    by_username = {user.username: user for user in users}
    provider, employer = by_username["provider"], by_username["employer"]
    epao_admin, assessor = by_username["epao-admin"], by_username["assessor"]
    today = timezone.localdate()

    def day(days_ago: int) -> datetime.date:
        """The working day that many days ago (a weekend moves back to the Friday)."""
        date = today - datetime.timedelta(days=days_ago)
        return date - datetime.timedelta(days=max(0, date.weekday() - 4))

    def at(days_ago: int, hour: int, minute: int = 0) -> datetime.datetime:
        moment = datetime.datetime.combine(day(days_ago), datetime.time(hour, minute))
        return timezone.make_aware(moment)

    if not ConflictOfInterest.objects.filter(assessor=assessor).exists():
        former, _ = Organisation.objects.get_or_create(
            name="Westbrook Probation Unit (demo)", kind=Organisation.Kind.EMPLOYER
        )
        ConflictOfInterest.objects.create(
            assessor=assessor,
            kind=ConflictOfInterest.Kind.EMPLOYER,
            organisation=former,
            starts_on=datetime.date(2016, 9, 1),
            ends_on=datetime.date(2021, 3, 31),
            details="Demo: worked there as a case administrator (fictional).",
            declared_at=at(300, 11, 20),
        )

    @contextlib.contextmanager
    def happened(when: datetime.datetime) -> Iterator[None]:
        """What the workflow stamps with the seeding time inside this block happened `when`
        instead (the timeline's entries a minute apart, in their order)."""
        started = timezone.now()
        yield
        for model, field in EPA_TIMESTAMPS:
            model._default_manager.filter(**{f"{field}__gte": started}).update(**{field: when})
        new_events = EpaEvent.objects.filter(at=when, id__gt=last_event[0]).order_by("id")
        for minute, event_id in enumerate(new_events.values_list("id", flat=True)):
            moved = when + datetime.timedelta(minutes=minute)
            EpaEvent.objects.filter(pk=event_id).update(at=moved)
            last_event[0] = event_id

    last_event = [EpaEvent.objects.aggregate(last=Max("id"))["last"] or 0]

    def through_gateway(apprentice: Apprentice, *, decide_days_ago: int | None) -> Any:
        if apprentice.gateway_attempts.exists():
            return None
        # Prepared over a fortnight before the EPAO's decision (Eli's is still waiting).
        begun = (decide_days_ago or 0) + 14
        with happened(at(begun, 9, 40)):
            attempt = gateway.start_gateway(apprentice, by=provider)
        for number, item in enumerate(attempt.items.all()):
            extra = {"english_maths": "level_2", "details": "Demo: level 2 certificates seen"}
            by_employer = item.kind == "employer"
            # Gone through at a meeting of the provider and the employer, 20 minutes each.
            with happened(at(begun - 3, 10) + datetime.timedelta(minutes=20 * number)):
                gateway.confirm_item(
                    item,
                    by=employer if by_employer else provider,
                    **(extra if item.kind == "english_maths" else {}),
                )
        # Each step saves the attempt: from the database, so with the times moved so far.
        attempt.refresh_from_db()
        with happened(at(begun - 7, 15, 30)):
            gateway.submit_gateway(attempt, by=provider)
        attempt.refresh_from_db()
        if decide_days_ago is None:
            return None
        decisions = {item.pk: ("accepted", "") for item in attempt.items.all()}
        with happened(at(decide_days_ago, 10, 20)):
            epa = gateway.decide_gateway(
                attempt, decisions, by=epao_admin, gateway_date=day(decide_days_ago)
            )
        assert epa is not None, "every demo gateway item is accepted"
        with happened(at(decide_days_ago, 11, 5)):
            grading.assign_assessor(epa, assessor, by=epao_admin)
        return epa

    def at_ten(days_ago: int) -> datetime.datetime:
        return at(days_ago, 10)

    def scheduled(assessment: Any, days_ago: int) -> None:
        """Booked a fortnight ahead, for ten o'clock that day."""
        with happened(at(days_ago + 14, 9, 50)):
            grading.schedule(
                assessment,
                by=epao_admin,
                scheduled_for=at_ten(days_ago),
                location="Online (demo video link)",
                adjustments="",
            )

    def recorded(assessment: Any, grade: str, days_ago: int) -> None:
        """Recorded in the afternoon after the assessment."""
        method = assessment.method
        decisions = [
            Decision(
                criterion=criterion,
                pass_met=grade != "fail",
                distinction_met=(grade == "distinction")
                if criterion.distinction_descriptor
                else None,
            )
            for criterion in method.grading_criteria.all()
        ]
        record = AssessmentRecord(
            assessed_on=day(days_ago),
            duration_minutes=method.duration_minutes or 60,
            questions=[(f"Demo question {n}", "") for n in range(method.minimum_questions or 1)],
            evidence_referred="Gateway pack items 1 to 3",
            judgement="Demo judgement: fictional.",
            decisions=decisions,
        )
        with happened(at(days_ago, 15, 45)):
            grading.record_assessment(
                assessment, record, by=assessor, seen_version=assessment.version
            )

    def named(first: str) -> Apprentice | None:
        return Apprentice.objects.filter(user__first_name=first).first()

    def graded(epa: Any, grades: tuple[str, str], days_ago: int) -> None:
        """The two methods a week apart, then sent for moderation the next day."""
        first, second = epa.assessments.order_by("method__number")
        scheduled(first, days_ago)
        scheduled(second, days_ago - 7)
        recorded(first, grades[0], days_ago)
        recorded(second, grades[1], days_ago - 7)
        epa.refresh_from_db()
        with happened(at(days_ago - 8, 16, 40)):
            grading.submit_for_moderation(epa, by=assessor)
        epa.refresh_from_db()

    def moderated(epa: Any, days_ago: int) -> None:
        with happened(at(days_ago, 14, 10)):
            grading.moderate(epa, by=epao_admin, confirm=True)

    if eli := named("Eli"):
        through_gateway(eli, decide_days_ago=None)
    if (fern := named("Fern")) and (epa := through_gateway(fern, decide_days_ago=40)):
        first, second = epa.assessments.order_by("method__number")
        scheduled(first, 10)
        recorded(first, "pass", 10)
        slides = SimpleUploadedFile("Demo presentation slides.pdf", DEMO_PDF)
        handed_in = at(8, 16, 25)
        with happened(handed_in):
            grading.hand_in(second, check_upload(slides), kind="slides", by=fern.user, at=handed_in)
        with happened(at(6, 16, 50)):
            grading.schedule(
                second,
                by=epao_admin,
                scheduled_for=at_ten(-21),
                location="Eastmoor office, room 2 (demo)",
                adjustments="Demo: 10 minutes extra time",
            )
    if (ivy := named("Ivy")) and (epa := through_gateway(ivy, decide_days_ago=100)):
        graded(epa, ("distinction", "distinction"), 30)
    if (gus := named("Gus")) and (epa := through_gateway(gus, decide_days_ago=130)):
        graded(epa, ("distinction", "pass"), 70)
        moderated(epa, 58)
    if (hal := named("Hal")) and (epa := through_gateway(hal, decide_days_ago=110)):
        graded(epa, ("pass", "fail"), 60)
        moderated(epa, 49)


# Off-the-job training and progress reviews for the demo (progress.training, .reviews):
# (first, last, ULN base, version, start, planned gateway, contracted hours a week).
# Hana started after 1 August 2025, when the per-standard minimum applies: 326 hours, the
# minimum the official record of ST0494 v1.1 gives (minimumHoursForCompliance).
DEMO_PROGRESS_APPRENTICES = [
    ("Hana", "Li", "100000900", "1.1", (2025, 9, 1), (2027, 3, 1), "30"),
]
# Contracted hours a week of the portfolio demo apprentices, by first name.
DEMO_CONTRACTED_HOURS = {"Alex": "30", "Bea": "37.5", "Cal": "30", "Dana": "22.5", "Eli": "25"}


@transaction.atomic
def seed_demo_progress(users: list[User]) -> None:
    """Contracted hours, breaks, off-the-job training logs and progress reviews for the demo
    apprentices, with one more apprentice under the latest funding rules (idempotent)."""

    by_username = {user.username: user for user in users}
    provider_user, employer_user = by_username["provider"], by_username["employer"]
    provider, employer = provider_user.organisation, employer_user.organisation
    assert provider is not None, "seed_demo() gives the provider account an organisation"
    assert employer is not None, "seed_demo() gives the employer account an organisation"
    epao = by_username["assessor"].organisation
    versions = {v.version: v for v in StandardVersion.objects.filter(standard__reference="ST0494")}
    apprentice_group = Group.objects.get(name=Role.APPRENTICE.label)
    today = timezone.localdate()
    for first, last, base, version, start, gateway_on, hours in DEMO_PROGRESS_APPRENTICES:
        if version not in versions:
            continue
        email = f"{first}.{last}@example.org".lower()
        user, _ = User.objects.get_or_create(
            username=email, defaults={"first_name": first, "last_name": last, "email": email}
        )
        user.set_unusable_password()
        user.save()
        user.groups.add(apprentice_group)
        Apprentice.objects.update_or_create(
            user=user,
            defaults={
                "uln": complete_uln(base),
                "standard_version": versions[version],
                "start_date": datetime.date(*start),
                "planned_gateway_date": datetime.date(*gateway_on),
                "employer": employer,
                "training_provider": provider,
                "epao": epao,
                "contracted_hours_per_week": Decimal(hours),
            },
        )
    demo = Apprentice.objects.filter(training_provider=provider).select_related("user")
    for apprentice in demo:
        if apprentice.user.first_name in DEMO_CONTRACTED_HOURS:
            apprentice.contracted_hours_per_week = Decimal(
                DEMO_CONTRACTED_HOURS[apprentice.user.first_name]
            )
            apprentice.save(update_fields=["contracted_hours_per_week"])
    named = {a.user.first_name: a for a in demo}
    breaks = {"Dana": ((2025, 1, 6), None)}
    for first, (starts, ends) in breaks.items():
        if first in named and not named[first].breaks.exists():
            BreakInLearning.objects.create(
                apprentice=named[first],
                starts_on=datetime.date(*starts),
                ends_on=datetime.date(*ends) if ends else None,
                reason="Demo: fictional",
                recorded_by=provider_user,
            )
    # A fortnightly log at a pace per apprentice: some keep up, some fall behind.
    pace = {"Alex": 11, "Bea": 12, "Cal": 9, "Dana": 6, "Eli": 10, "Hana": 8}
    activities = list(OffTheJobEntry.Activity.values)
    for first, hours_a_fortnight in pace.items():
        learner = named.get(first)
        if learner is None or learner.off_the_job.exists():
            continue
        end = min(learner.planned_end_date, today)
        day, n, entries = learner.start_date + datetime.timedelta(days=3), 0, []
        own_breaks = list(learner.breaks.all())
        while day <= end:
            if not any(b.starts_on <= day <= (b.ends_on or today) for b in own_breaks):
                status = (
                    OffTheJobEntry.Status.SUBMITTED
                    if day > end - datetime.timedelta(days=30)
                    else OffTheJobEntry.Status.QUERIED
                    if n % 17 == 5
                    else OffTheJobEntry.Status.APPROVED
                )
                entries.append(
                    OffTheJobEntry(
                        apprentice=learner,
                        date=day,
                        hours=Decimal(hours_a_fortnight) - Decimal(n % 3),
                        activity=activities[n % len(activities)],
                        description=f"Demo training session {n + 1}: fictional.",
                        status=status,
                        reviewed_by=None if status == "submitted" else provider_user,
                        reviewed_at=None if status == "submitted" else timezone.now(),
                        query="Which KSBs did this cover?" if status == "queried" else "",
                    )
                )
                n += 1
            day += datetime.timedelta(days=14)
        OffTheJobEntry.objects.bulk_create(entries)
    # Alex: a signed review, one waiting for signatures, and the next one scheduled.
    alex = named.get("Alex")
    if alex is not None and not alex.progress_reviews.exists():
        for weeks, signers in ((12, ["apprentice", "provider", "employer"]), (24, ["apprentice"])):
            held = alex.start_date + datetime.timedelta(weeks=weeks)
            review = reviews.schedule_review(alex, by=provider_user, due_on=held)
            previous = reviews.prefill_for(review, until=held).previous_targets
            reviews.record_review(
                review,
                reviews.Record(
                    held_on=held,
                    summary="Demo review: steady progress on assessment skills. All fictional.",
                    progress={t.pk: ("partly_met", "Demo: some progress.") for t in previous},
                    targets=[
                        (
                            "Submit a reflective account on risk assessment",
                            held + datetime.timedelta(weeks=8),
                        ),
                        ("Shadow a multi-agency public protection meeting", None),
                    ],
                    comments={},
                ),
                by=provider_user,
            )
            people = {"apprentice": alex.user, "provider": provider_user, "employer": employer_user}
            for party in signers:
                reviews.sign_review(review, by=people[party])
        reviews.schedule_review(alex, by=provider_user, due_on=today + datetime.timedelta(days=10))
    for first, due_in_days in (("Bea", -20), ("Cal", 40)):
        learner = named.get(first)
        if learner is not None and not learner.progress_reviews.exists():
            reviews.schedule_review(
                learner, by=provider_user, due_on=today + datetime.timedelta(days=due_in_days)
            )
