"""Journeys 3 and 4 of issue 8: gateway, then grading and moderation, with and without
JavaScript, on a fictional standard with a full EPA plan (tests.factories.make_full_plan)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from epa import gateway
from epa.grading import assign_assessor
from epa.models import Epa, GatewayAttempt
from tests.browser.actions import Person, error_summary, success_banner
from tests.browser.people import Cast, add_evidence, make_cast

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
