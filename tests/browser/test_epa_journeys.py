"""Journeys 3 and 4 of issue 8: gateway, then grading and moderation, with and without
JavaScript, on a fictional standard with a full EPA plan (tests.factories.make_full_plan)."""

import datetime
import hashlib
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from demo.seeding import DEMO_PDF
from epa import gateway, grading
from epa.grading import AssessmentRecord, Decision, assign_assessor
from epa.models import Epa, GatewayAttempt
from psp.roles import Role
from tests.browser.actions import Person, error_summary, success_banner
from tests.browser.people import Cast, add_evidence, make_cast
from tests.factories import make_apprentice, make_staff

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_employer_and_provider_confirm_gateway_epao_accepts_and_the_pack_hash_is_shown(
    new_page, person, js
):
    cast = make_cast()
    add_evidence(cast, title="Anonymised risk assessment", codes=["K1", "S1"], outcome="accepted")
    provider = new_page(user=cast.provider, js=js)
    employer = new_page(user=cast.employer, js=js)
    epao = new_page(user=cast.epao_admin, js=js)
    name = cast.apprentice.name

    provider.goto("/")
    person.click_nav(provider, "Apprentices")
    person.click(provider.get_by_role("link", name=name))
    person.click(provider.get_by_role("link", name="Gateway"))
    person.click(provider.get_by_role("button", name="Start gateway"))
    expect(success_banner(provider)).to_contain_text("Gateway started.")

    person.click(provider.get_by_role("link", name="English and maths"))
    person.check(provider.get_by_label("Level 2 English and maths achieved"))
    person.fill(provider.get_by_label("Evidence"), "GCSE English and maths, grade 5, June 2024")
    person.click(provider.get_by_role("button", name="Confirm English and maths"))
    for item in ["A portfolio", "Training provider confirms the apprentice is ready"]:
        person.click(provider.get_by_role("link", name=item))
        person.click(provider.get_by_role("button", name="Confirm"))
        expect(success_banner(provider)).to_contain_text(f"Confirmed: {item}")
    expect(provider.get_by_text("Before you can submit:")).to_be_visible()
    expect(provider.locator(".govuk-inset-text")).to_contain_text(
        "Employer confirms the apprentice is ready: not yet confirmed"
    )

    employer.goto("/")
    person.click_nav(employer, "Apprentices")
    person.click(employer.get_by_role("link", name=name))
    person.click(employer.get_by_role("link", name="Gateway"))
    person.click(employer.get_by_role("link", name="Employer confirms the apprentice is ready"))
    person.fill(
        employer.get_by_label("Comment (optional)"), "Ready: signed off by the line manager."
    )
    person.click(employer.get_by_role("button", name="Confirm"))
    expect(success_banner(employer)).to_contain_text("Confirmed: Employer confirms")

    provider.reload()
    person.click(provider.get_by_role("button", name="Submit gateway to the EPAO"))
    expect(success_banner(provider)).to_contain_text("Pack hash ")
    attempt = GatewayAttempt.objects.get()
    assert re.fullmatch(r"[0-9a-f]{64}", attempt.pack_hash)
    expect(success_banner(provider)).to_contain_text(f"Pack hash {attempt.pack_hash}.")
    expect(provider.locator("[data-pack-hash]")).to_have_text(attempt.pack_hash)

    epao.goto("/")
    person.click(
        epao.get_by_role("region", name="Gateways to decide").get_by_role("link", name=name)
    )
    expect(epao.get_by_role("heading", level=1)).to_have_text("Decide gateway")
    expect(epao.locator("main")).to_contain_text(attempt.pack_hash)
    for item in attempt.items.all():
        person.check(epao.get_by_role("group", name=item.text).get_by_label("Accept"))
    person.click(epao.get_by_role("button", name="Save decisions"))

    expect(success_banner(epao)).to_contain_text("Gateway accepted. The EPA period has started.")
    expect(epao.get_by_role("heading", level=1)).to_have_text("End-point assessment")
    expect(epao.get_by_text(attempt.pack_hash[:16] + "…", exact=True)).to_be_visible()
    person.click(epao.get_by_role("link", name="gateway pack"))
    expect(epao.locator("main")).to_contain_text(f"Pack hash (SHA-256): {attempt.pack_hash}")
    expect(epao.get_by_role("heading", name="Anonymised risk assessment")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.status == GatewayAttempt.Status.ACCEPTED
    assert attempt.gateway_date == timezone.localdate()


def epa_assigned_to_the_assessor(cast: Cast) -> Epa:
    """An accepted gateway and an assigned assessor, through the workflow."""
    add_evidence(cast, title="Anonymised risk assessment", codes=["K1", "S1"], outcome="accepted")
    attempt = gateway.start_gateway(cast.apprentice, by=cast.provider)
    for item in attempt.items.all():
        by = cast.employer if item.kind == "employer" else cast.provider
        fields = {"english_maths": "level_2"} if item.kind == "english_maths" else {}
        gateway.confirm_item(item, by=by, **fields)
    gateway.submit_gateway(attempt, by=cast.provider)
    decisions = {item.pk: ("accepted", "") for item in attempt.items.all()}
    epa = gateway.decide_gateway(attempt, decisions, by=cast.epao_admin)
    assert epa is not None
    assign_assessor(epa, cast.assessor, by=cast.epao_admin)
    return epa


def record(person: Person, page, *, questions: int, criteria: dict[str, str]) -> None:
    """Fill the assessor's record of one method; criteria maps a label start to Met/Not met."""
    person.fill_date(page, "Date of the assessment", timezone.localdate())
    person.fill(page.get_by_label("Actual duration in minutes"), "60")
    for n in range(1, questions + 1):
        person.fill(page.get_by_label(f"Question {n}", exact=True), f"Imaginary question {n}?")
        person.fill(page.get_by_label(f"Notes on the answer to question {n}"), "A sound answer.")
    person.fill(page.get_by_label("Judgement"), "Knows widgets well; fictional judgement.")
    for label, answer in criteria.items():
        group = page.get_by_role("group", name=re.compile(f"^{label}"))
        person.check(group.get_by_label(answer, exact=True))


def test_assessor_grades_both_methods_moderator_confirms_and_every_role_sees_the_grade(
    new_page, person, js
):
    cast = make_cast()
    epa = epa_assigned_to_the_assessor(cast)
    assessor = new_page(user=cast.assessor, js=js)

    assessor.goto("/")
    person.click(assessor.get_by_role("link", name="See your assessments and what is due next"))
    person.click(assessor.get_by_role("link", name=cast.apprentice.name))
    person.click(assessor.get_by_role("link", name="Record assessment of Imaginary interview"))
    interview = {"M1A pass": "Met", "M1A distinction": "Met", "M1B pass": "Met"}
    record(person, assessor, questions=2, criteria=interview)
    person.click(assessor.get_by_role("button", name="Save assessment"))
    expect(error_summary(assessor)).to_contain_text(
        "The EPA plan needs at least 3 questions for Imaginary interview: you recorded 2."
    )
    if js:
        expect(error_summary(assessor)).to_be_focused()
    person.fill(assessor.get_by_label("Question 3", exact=True), "Imaginary question 3?")
    person.click(assessor.get_by_role("button", name="Save assessment"))
    expect(success_banner(assessor)).to_contain_text(
        "Imaginary interview saved: provisional grade distinction."
    )

    person.click(assessor.get_by_role("link", name="Record assessment of Imaginary demonstration"))
    demonstration = {"M2A pass": "Met", "M2A distinction": "Not met", "M2B pass": "Met"}
    record(person, assessor, questions=2, criteria=demonstration)
    person.click(assessor.get_by_role("button", name="Save assessment"))
    expect(success_banner(assessor)).to_contain_text("provisional grade pass.")
    expect(assessor.get_by_text("Provisional overall grade: Merit.")).to_be_visible()
    person.click(assessor.get_by_role("button", name="Submit grades for moderation"))
    expect(success_banner(assessor)).to_contain_text("submitted for moderation")

    moderator = new_page(user=cast.epao_admin, js=js)
    moderator.goto("/")
    person.click_nav(moderator, "End-point assessments")
    person.click(moderator.get_by_role("link", name=cast.apprentice.name))
    person.click(moderator.get_by_role("link", name="Moderate the grades"))
    for method in ("Imaginary interview", "Imaginary demonstration"):
        group = moderator.get_by_role("group", name=re.compile(f"^{method}: do you agree"))
        person.check(group.get_by_label("Agree", exact=True))
    person.check(moderator.get_by_label("Confirm the grades"))
    person.click(moderator.get_by_role("button", name="Save moderation"))
    expect(success_banner(moderator)).to_contain_text("Result confirmed: merit.")

    apprentice = new_page(user=cast.apprentice.user, js=js)
    apprentice.goto("/")
    person.click(apprentice.get_by_role("link", name="End-point assessment"))
    for page in [apprentice, moderator, assessor] + [
        new_page(user=user, js=js) for user in (cast.provider, cast.employer)
    ]:
        page.goto(epa.get_absolute_url())
        expect(page.get_by_role("heading", name="Overall grade: Merit")).to_be_visible()
    epa.refresh_from_db()
    assert epa.status == Epa.Status.FINAL
    assert epa.latest_result.overall_grade == "merit"


# Issue 14: results you can trust. Each journey reaches its starting point through the
# workflow (epa.gateway and epa.grading), never by editing rows.


def accepted_epa(cast: Cast, apprentice: Any = None, *, days_ago: int = 0) -> Epa:
    """Gateway accepted (days_ago: the gateway date the EPAO gives), no assessor yet."""
    apprentice = apprentice or cast.apprentice
    add_evidence(
        cast,
        apprentice=apprentice,
        title="Anonymised risk assessment",
        codes=["K1", "S1"],
        outcome="accepted",
    )
    attempt = gateway.start_gateway(apprentice, by=cast.provider)
    for item in attempt.items.all():
        by = cast.employer if item.kind == "employer" else cast.provider
        fields = {"english_maths": "level_2"} if item.kind == "english_maths" else {}
        gateway.confirm_item(item, by=by, **fields)
    gateway.submit_gateway(attempt, by=cast.provider)
    decisions = {item.pk: ("accepted", "") for item in attempt.items.all()}
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    epa = gateway.decide_gateway(attempt, decisions, by=cast.epao_admin, gateway_date=day)
    assert epa is not None
    return epa


def grade_open_sitting(epa: Epa, cast: Cast, grades: dict[int, str]) -> None:
    """The assessor records every method of the open sitting with criteria giving grades."""
    for assessment in epa.assessments.filter(sitting=epa.sitting, grade="").select_related(
        "method"
    ):
        assessment.epa = epa
        grade = grades[assessment.method.number]
        decisions = [
            Decision(
                criterion=c,
                pass_met=grade != "fail",
                distinction_met=(grade == "distinction") if c.distinction_descriptor else None,
            )
            for c in assessment.method.grading_criteria.all()
        ]
        record = AssessmentRecord(
            assessed_on=timezone.localdate(),
            duration_minutes=60,
            questions=[(f"Question {n}?", "Answered.") for n in range(1, 4)],
            evidence_referred="Risk assessment",
            judgement="A fictional judgement.",
            decisions=decisions,
        )
        grading.record_assessment(
            assessment, record, by=cast.assessor, seen_version=assessment.version
        )
    grading.submit_for_moderation(epa, by=cast.assessor)
    epa.refresh_from_db()


def test_a_conflicted_assessor_is_refused_and_a_schedule_outside_the_period_too(
    new_page, person, js
):
    cast = make_cast()
    epa = accepted_epa(cast)
    conflicted = make_staff(
        role=Role.ASSESSOR,
        organisation=cast.apprentice.epao,
        first_name="Cory",
        last_name="Conflicted",
    )
    declaring = new_page(user=conflicted, js=js)
    declaring.goto("/")
    person.click(declaring.get_by_role("link", name="Your conflicts of interest"))
    person.click(declaring.get_by_role("link", name="Declare a conflict of interest"))
    person.check(declaring.get_by_label("A training provider", exact=False))
    declaring.get_by_label("Employer or training provider").select_option(
        label="Imaginary Training"
    )
    person.fill_date(declaring, "Start date", datetime.date(2023, 9, 1))
    person.fill(declaring.get_by_label("What was the involvement?"), "Taught there until now.")
    person.click(declaring.get_by_role("button", name="Declare conflict of interest"))
    expect(success_banner(declaring)).to_contain_text("Conflict of interest declared")

    epao = new_page(user=cast.epao_admin, js=js)
    epao.goto(epa.get_absolute_url())
    person.click(epao.get_by_role("link", name="Assign assessor"))
    epao.get_by_label("Independent assessor").select_option(label="Cory Conflicted")
    person.click(epao.get_by_role("button", name="Assign assessor"))
    expect(error_summary(epao)).to_contain_text(
        "Cory Conflicted is not independent of this apprentice: they declared a conflict of "
        "interest with the apprentice's training provider (Imaginary Training)"
    )
    if js:
        expect(error_summary(epao)).to_be_focused()
    epao.get_by_label("Independent assessor").select_option(label="Sam Assessor")
    person.click(epao.get_by_role("button", name="Assign assessor"))
    expect(success_banner(epao)).to_contain_text("Sam Assessor assigned.")
    expect(epao.locator("[data-independence]")).to_contain_text("no conflicts of interest declared")

    person.click(epao.get_by_role("link", name="Schedule Imaginary interview"))
    person.fill_date(epao, "Date", epa.period_end + datetime.timedelta(days=1))
    person.fill(epao.get_by_label("Start time"), "10:00")
    person.fill(epao.get_by_label("Place or online link"), "Room 2")
    person.click(epao.get_by_role("button", name="Save schedule"))
    expect(error_summary(epao)).to_contain_text("Choose a date within the EPA period")
    expect(epao.get_by_label("Place or online link")).to_have_value("Room 2")
    person.fill_date(epao, "Date", epa.period_start + datetime.timedelta(days=10))
    person.click(epao.get_by_role("button", name="Save schedule"))
    expect(success_banner(epao)).to_contain_text("Imaginary interview scheduled.")
    epa.refresh_from_db()
    assert epa.assessor == cast.assessor


def test_slides_handed_in_late_are_shown_late_to_the_assessor(new_page, person, js):
    cast = make_cast()
    epa = accepted_epa(cast, days_ago=70)  # week 8 of the EPA period has ended
    assign_assessor(epa, cast.assessor, by=cast.epao_admin)
    apprentice = new_page(user=cast.apprentice.user, js=js)
    apprentice.goto("/")
    person.click(apprentice.get_by_role("link", name="End-point assessment"))
    person.click(
        apprentice.get_by_role("link", name="Hand in material for Imaginary demonstration")
    )
    person.check(apprentice.get_by_label("Presentation slides"))
    person.choose_files(apprentice, "#id_upload", [("slides.pdf", "application/pdf", DEMO_PDF)])
    person.click(apprentice.get_by_role("button", name="Hand in"))
    expect(apprentice.locator(".govuk-notification-banner")).to_contain_text(
        "slides.pdf handed in after the deadline"
    )

    assessor = new_page(user=cast.assessor, js=js)
    assessor.goto(epa.get_absolute_url())
    handed_in = assessor.locator("[data-submissions]")
    expect(handed_in).to_contain_text("Late")
    expect(handed_in).to_contain_text(hashlib.sha256(DEMO_PDF).hexdigest())


def test_moderation_per_method_then_a_second_persons_amendment_within_the_rule(
    new_page, person, js
):
    cast = make_cast()
    epa = accepted_epa(cast)
    assign_assessor(epa, cast.assessor, by=cast.epao_admin)
    grade_open_sitting(epa, cast, {1: "distinction", 2: "pass"})

    moderator = new_page(user=cast.epao_admin, js=js)
    moderator.goto(epa.get_absolute_url())
    person.click(moderator.get_by_role("link", name="Moderate the grades"))
    expect(moderator.locator("[data-rule]")).to_contain_text(
        "combination table gives merit for method 1 distinction, method 2 pass"
    )
    for method in ("Imaginary interview", "Imaginary demonstration"):
        group = moderator.get_by_role("group", name=re.compile(f"^{method}: do you agree"))
        person.check(group.get_by_label("Agree", exact=True))
    person.check(moderator.get_by_label("Confirm the grades"))
    person.click(moderator.get_by_role("button", name="Save moderation"))
    expect(success_banner(moderator)).to_contain_text("Result confirmed: merit.")
    expect(moderator.get_by_role("link", name="Amend the result")).to_have_count(0)

    second = new_page(user=cast.second_epao_admin, js=js)
    second.goto(epa.get_absolute_url())
    person.click(second.get_by_role("link", name="Amend the result"))
    for label in ("Imaginary interview", "Imaginary demonstration", "overall grade"):
        expect(second.get_by_label(re.compile(label))).to_have_value("")  # nothing chosen
    second.get_by_label("Corrected grade: Imaginary interview").select_option("distinction")
    second.get_by_label("Corrected grade: Imaginary demonstration").select_option("pass")
    second.get_by_label("Corrected overall grade").select_option("distinction")
    person.fill(second.get_by_label("Reason for the amendment"), "Marking error in method 2.")
    person.click(second.get_by_role("button", name="Record amendment"))
    expect(error_summary(second)).to_contain_text(
        "The EPA plan's rule gives merit for these method grades, not distinction"
    )
    second.get_by_label("Corrected grade: Imaginary demonstration").select_option("distinction")
    person.click(second.get_by_role("button", name="Record amendment"))
    expect(success_banner(second)).to_contain_text("Amendment recorded.")
    expect(second.get_by_role("heading", name="Overall grade: Distinction")).to_be_visible()

    # The final method results cannot be recorded again: no link, and the address refuses.
    assessor = new_page(user=cast.assessor, js=js)
    assessor.goto(epa.get_absolute_url())
    expect(assessor.get_by_role("link", name=re.compile("record of Imaginary"))).to_have_count(0)
    interview = epa.assessments.get(method__number=1)
    assessor.goto(f"{epa.get_absolute_url()}methods/{interview.pk}/record/")
    expect(assessor.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    interview.refresh_from_db()
    assert (interview.grade, interview.is_final) == ("distinction", True)


def test_a_resit_is_capped_on_the_overall_grade_and_one_past_the_limit_is_refused(
    new_page, person, js
):
    cast = make_cast()
    plan = cast.version.epa_plan
    plan.resit_limit = 1  # the fictional plan's rule: one resit or retake
    plan.save(update_fields=["resit_limit"])
    epa = accepted_epa(cast)
    assign_assessor(epa, cast.assessor, by=cast.epao_admin)
    grade_open_sitting(epa, cast, {1: "distinction", 2: "fail"})
    grading.moderate(epa, by=cast.epao_admin, confirm=True)

    epao = new_page(user=cast.epao_admin, js=js)
    epao.goto(epa.get_absolute_url())
    expect(epao.locator("[data-resit-rules]")).to_contain_text(
        "The EPA can be resat or retaken at most once."
    )
    person.click(epao.get_by_role("link", name="Record a resit or retake"))
    person.check(epao.get_by_label("Resit (no further training)"))
    person.check(epao.get_by_label("Imaginary demonstration"))
    person.click(epao.get_by_role("button", name="Record resit or retake"))
    expect(success_banner(epao)).to_contain_text("Recorded. Schedule the new assessment.")

    assessor = new_page(user=cast.assessor, js=js)
    assessor.goto(epa.get_absolute_url())
    person.click(assessor.get_by_role("link", name="Record assessment of Imaginary demonstration"))
    demonstration = {"M2A pass": "Met", "M2A distinction": "Met", "M2B pass": "Met"}
    record(person, assessor, questions=2, criteria=demonstration)
    person.click(assessor.get_by_role("button", name="Save assessment"))
    expect(success_banner(assessor)).to_contain_text("provisional grade distinction.")
    # Distinction and distinction is a distinction by the table; the resit cap makes it pass.
    expect(assessor.get_by_text("Provisional overall grade: Pass.")).to_be_visible()
    person.click(assessor.get_by_role("button", name="Submit grades for moderation"))
    epa.refresh_from_db()
    grading.moderate(epa, by=cast.epao_admin, confirm=True)
    epao.goto(epa.get_absolute_url())
    expect(epao.get_by_role("heading", name="Overall grade: Pass")).to_be_visible()
    expect(epao.locator(".psp-result-rule")).to_contain_text(
        "gives distinction for method 1 distinction, method 2 distinction; capped at pass"
    )

    # Another apprentice fails twice: the plan allows no third sitting.
    other = make_apprentice(
        version=cast.version,
        epao=cast.apprentice.epao,
        employer=cast.apprentice.employer,
        training_provider=cast.apprentice.training_provider,
    )
    failing = accepted_epa(cast, other)
    assign_assessor(failing, cast.assessor, by=cast.epao_admin)
    grade_open_sitting(failing, cast, {1: "pass", 2: "fail"})
    grading.moderate(failing, by=cast.epao_admin, confirm=True)
    failed = failing.assessments.get(method__number=2)
    grading.record_resit(failing, by=cast.epao_admin, kind="retake", method_ids=[failed.method_id])
    failing.refresh_from_db()
    grade_open_sitting(failing, cast, {2: "fail"})
    grading.moderate(failing, by=cast.epao_admin, confirm=True)
    epao.goto(failing.get_absolute_url())
    refusal = "allows at most 1 resits or retakes and 1 has been taken"
    expect(epao.locator("[data-resit-rules]")).to_contain_text(refusal)
    expect(epao.get_by_role("link", name="Record a resit or retake")).to_have_count(0)
    epao.goto(f"{failing.get_absolute_url()}resit/")
    expect(epao.locator(".govuk-notification-banner")).to_contain_text(refusal)
    failing.refresh_from_db()
    assert (failing.sitting, failing.status) == (2, Epa.Status.FINAL)
