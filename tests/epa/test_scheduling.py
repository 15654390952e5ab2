"""Gateway rejection lands on a page that exists; schedules fit the gateway, the EPA period
and the deadline for submitted material; durations are checked against the plan."""

import pytest
from django.urls import reverse

from epa import grading
from epa.models import EpaStateError
from tests.epa.test_grading import record


def schedule_post(day, month, year):
    return {
        "date_0": str(day),
        "date_1": str(month),
        "date_2": str(year),
        "time": "10:00",
        "location": "Room 4",
        "adjustments": "",
    }


@pytest.mark.parametrize(
    ("method_number", "date", "words"),
    [
        (1, (2, 3, 2031), "on or after the gateway date, 3 March 2031"),
        (1, (4, 7, 2031), "within the EPA period, 3 March 2031 to 3 July 2031"),
        (2, (27, 4, 2031), "after 27 April 2031, when the material for Imaginary demonstration"),
    ],
)
def test_a_schedule_outside_what_the_plan_allows_is_refused_and_keeps_the_input(
    client, epa, epao_admin, method_number, date, words
):
    assessment = epa.assessments.get(method__number=method_number)
    client.force_login(epao_admin)
    url = reverse("epa:assessment_schedule", args=[epa.pk, assessment.pk])
    response = client.post(url, schedule_post(*date))
    page = response.content.decode()
    assert response.status_code == 200
    assert words in page
    assert 'value="Room 4"' in page
    assessment.refresh_from_db()
    assert assessment.scheduled_for is None


def test_a_schedule_inside_the_period_and_after_the_deadline_is_saved(client, epa, epao_admin):
    assessment = epa.assessments.get(method__number=2)
    client.force_login(epao_admin)
    url = reverse("epa:assessment_schedule", args=[epa.pk, assessment.pk])
    assert client.post(url, schedule_post(28, 4, 2031)).status_code == 302
    assessment.refresh_from_db()
    assert assessment.scheduled_for is not None
    # The timeline says dates in words, as every other page does.
    described = [event.description for event in epa.apprentice.epa_events.all()]
    assert "28 April 2031, 10:00, Room 4" in described
    assert "EPA period 3 March 2031 to 3 July 2031" in described


def test_rejecting_a_gateway_lands_on_the_home_page_with_a_confirmation(
    client, submitted_attempt, epao_admin
):
    client.force_login(epao_admin)
    data = {"gateway_date_0": "2", "gateway_date_1": "3", "gateway_date_2": "2026"}
    for item in submitted_attempt.items.all():
        data[f"decision_{item.pk}"] = "accepted"
    data[f"decision_{submitted_attempt.items.first().pk}"] = "rejected"
    data[f"reason_{submitted_attempt.items.first().pk}"] = "Certificate not seen"
    response = client.post(
        reverse("epa:gateway_decide", args=[submitted_attempt.apprentice_id]), data, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Gateway attempt 1 for" in response.content.decode()
    assert "rejected. The training provider has been told why" in response.content.decode()


def test_a_duration_below_the_plans_minimum_is_refused(epa):
    demonstration = epa.assessments.get(method__number=2)  # at least 45 minutes
    with pytest.raises(EpaStateError, match="lasts at least 45 minutes; you recorded 30"):
        grading.record_assessment(
            demonstration,
            record(demonstration, duration=30),
            by=epa.assessor,
            seen_version=demonstration.version,
        )


def test_a_duration_shorter_than_the_plans_is_saved_with_a_warning(client, epa):
    interview = epa.assessments.get(method__number=1)  # 60 minutes, not a minimum
    grading.record_assessment(
        interview, record(interview, duration=20), by=epa.assessor, seen_version=interview.version
    )
    interview.refresh_from_db()
    assert interview.duration_warning == (
        "20 minutes is shorter than the 60 minutes the EPA plan sets"
    )
    client.force_login(epa.assessor)
    assert (
        "20 minutes is shorter than the 60 minutes"
        in client.get(epa.get_absolute_url()).content.decode()
    )


def test_the_employers_gateway_confirmation_is_a_to_do_on_their_home(
    client, apprentice, provider_user, employer_user
):
    from epa import gateway

    client.force_login(employer_user)
    assert "confirm gateway readiness" not in client.get(reverse("home")).content.decode()
    attempt = gateway.start_gateway(apprentice, by=provider_user)
    item = attempt.item("employer")
    page = client.get(reverse("home")).content.decode()
    assert "To do: confirm gateway readiness" in page
    assert reverse("epa:gateway_item_confirm", args=[apprentice.pk, item.pk]) in page
    gateway.confirm_item(item, by=employer_user)
    assert "confirm gateway readiness" not in client.get(reverse("home")).content.decode()


def test_the_provider_sees_coverage_per_method_and_a_warning_when_low(
    client, version, provider_user
):
    from tests.factories import make_apprentice, make_evidence

    apprentice = make_apprentice(version=version, training_provider=provider_user.organisation)
    knows = version.ksbs.get(kind="K", number=1)
    plan = version.epa_plan
    plan.methods.get(number=1).ksbs.set(version.ksbs.all())
    plan.methods.get(number=2).ksbs.set([knows])
    make_evidence(apprentice=apprentice, status="accepted", ksbs=[knows])
    client.force_login(provider_user)
    page = client.get(reverse("epa:gateway", args=[apprentice.pk])).content.decode()
    assert "1 of 2 KSBs have accepted evidence (50%)" in page
    assert "Imaginary interview</th>" in page
    assert "1 of 2 (50%)" in page
    assert "1 of 1 (100%)" in page
    assert "1 KSB has no accepted evidence." in page
