"""Statuses from gateway on are the workflow's; a final result closes the portfolio."""

import pytest
from django.urls import reverse

from apprentices.models import Apprentice
from epa import grading
from tests.apprentices.test_apprentice_views import apprentice_form
from tests.epa.test_grading import grade_all
from tests.factories import make_apprentice, make_evidence


@pytest.mark.parametrize("status", ["gateway", "in_epa", "completed"])
def test_a_provider_cannot_set_a_workflow_status_by_editing(client, provider_user, status):
    apprentice = make_apprentice(training_provider=provider_user.organisation)
    client.force_login(provider_user)
    data = apprentice_form(
        apprentice.standard_version,
        apprentice.employer,
        provider_user.organisation,
        uln=apprentice.uln,
        email=apprentice.user.email or "a@example.org",
        status=status,
    )
    page = client.post(reverse("apprentices:apprentice_edit", args=[apprentice.pk]), data)
    assert "Select a valid choice" in page.content.decode()
    apprentice.refresh_from_db()
    assert apprentice.status == "on_programme"


def test_a_status_set_by_the_workflow_cannot_be_edited(client, epa, provider_user):
    apprentice = Apprentice.objects.get(pk=epa.apprentice_id)
    assert apprentice.status == "in_epa"
    client.force_login(provider_user)
    data = apprentice_form(
        apprentice.standard_version,
        apprentice.employer,
        provider_user.organisation,
        uln=apprentice.uln,
        email=apprentice.user.email or "a@example.org",
        status="on_programme",
        start_date_0=str(apprentice.start_date.day),
        start_date_1=str(apprentice.start_date.month),
        start_date_2=str(apprentice.start_date.year),
        planned_gateway_date_0=str(apprentice.planned_gateway_date.day),
        planned_gateway_date_1=str(apprentice.planned_gateway_date.month),
        planned_gateway_date_2=str(apprentice.planned_gateway_date.year),
        epao=apprentice.epao_id,
    )
    url = reverse("apprentices:apprentice_edit", args=[apprentice.pk])
    assert "Set by gateway and the end-point assessment" in client.get(url).content.decode()
    client.post(url, data)
    apprentice.refresh_from_db()
    assert apprentice.status == "in_epa"


def test_a_final_result_closes_the_portfolio_and_the_training_log(client, epa, epao_admin):
    draft = make_evidence(apprentice=epa.apprentice, status="draft")
    held = epa.apprentice.evidence.count()
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)
    apprentice = Apprentice.objects.get(pk=epa.apprentice_id)
    assert apprentice.is_closed
    client.force_login(apprentice.user)
    page = client.get(apprentice.get_absolute_url()).content.decode()
    assert "closed to changes" in page
    assert reverse("apprentices:evidence_create", args=[apprentice.pk]) not in page
    for name in ("apprentices:evidence_create", "progress:off_the_job_create"):
        response = client.post(reverse(name, args=[apprentice.pk]), {}, follow=True)
        assert "portfolio and training log are closed to changes" in response.content.decode()
    assert client.get(reverse("apprentices:evidence_edit", args=[draft.pk])).status_code == 403
    assert apprentice.evidence.count() == held
