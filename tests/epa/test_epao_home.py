"""The EPAO administrator's home: gateways to decide and EPA counts in a fixed number of
queries, whatever the number of gateways (#17)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from epa import gateway, grading
from psp.roles import Role
from tests.epa.test_grading import grade_all
from tests.factories import make_apprentice, make_evidence, make_staff


def submit_gateway_of(apprentice):
    provider = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    employer = make_staff(role=Role.EMPLOYER, organisation=apprentice.employer)
    attempt = gateway.start_gateway(apprentice, by=provider)
    for item in attempt.items.all():
        fields = {"english_maths": "level_2", "details": "GCSEs"}
        gateway.confirm_item(
            item,
            by=employer if item.kind == "employer" else provider,
            **(fields if item.kind == "english_maths" else {}),
        )
    gateway.submit_gateway(attempt, by=provider)


def home_queries(client) -> tuple[int, str]:
    client.get(reverse("home"))  # warm: the user's role and permissions
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("home")).content.decode()
    return len(captured), html


def test_gateways_to_decide_and_counts_take_a_fixed_number_of_queries(
    client, version, apprentice, submitted_attempt, epao_admin
):
    client.force_login(epao_admin)
    few, html = home_queries(client)
    assert str(apprentice) in html
    assert "0 EPAs awaiting moderation" in html
    others = []
    for _ in range(3):
        other = make_apprentice(version=version, epao=apprentice.epao)
        make_evidence(apprentice=other, status="accepted", ksbs=list(version.ksbs.all()))
        submit_gateway_of(other)
        others.append(other)
    many, html = home_queries(client)
    assert all(str(other) in html for other in others)
    # session, user, the evidence and EPA revisions (one query), unread notifications: the
    # organisation, the counts by status, the EPA counts and the gateways from the cache (no
    # count of evidence to review: the page does not show it)
    assert (few, many) == (4, 4)


def test_the_epa_counts_are_right(client, epa, epao_admin):
    client.force_login(epao_admin)
    html = client.get(reverse("home")).content.decode()
    assert "0 EPAs awaiting moderation" in html
    assert "0 EPAs without an assessor" in html
    epa.assessor = None
    epa.save()
    html = client.get(reverse("home")).content.decode()
    assert "1 EPA without an assessor" in html


def test_the_count_of_epas_awaiting_moderation_leads_to_them(client, epa, epao_admin):
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    client.force_login(epao_admin)
    html = client.get(reverse("home")).content.decode()
    link = f'<a class="govuk-link" href="{reverse("epa:epa_list")}?status=moderation">'
    assert f"{link}1 EPA awaiting moderation</a>" in html
