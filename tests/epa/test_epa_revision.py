"""The employer's and the EPAO administrator's home pages, cached under the EPA revision
(epa.revision: gateways, EPAs, their assessments and questions, apprentices, names) and the
evidence revision (apprentices.revision: apprentices by status, employer moves, organisation
names): every write that changes what they show, raw SQL included, shows on the next
request."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apprentices.models import EmployerMove
from epa import gateway, revision
from psp.models import Organisation
from psp.roles import Role
from tests.factories import make_organisation, make_staff

pytestmark = pytest.mark.django_db


def raw(sql: str, **params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def home(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def preparing(apprentice, provider_user):
    """A gateway attempt waiting for the employer's confirmation."""
    return gateway.start_gateway(apprentice, by=provider_user)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE epa_gatewayattempt SET status = 'accepted' WHERE id = %(attempt)s",
        "UPDATE epa_gatewayitem SET details = 'Changed' WHERE attempt_id = %(attempt)s",
        "UPDATE epa_epa SET status = 'moderation' WHERE id = %(epa)s",
        "UPDATE epa_methodassessment SET judgement = 'Changed' WHERE epa_id = %(epa)s",
        "INSERT INTO epa_question (assessment_id, number, text, notes) "
        "SELECT id, 1, 'Why?', '' FROM epa_methodassessment WHERE epa_id = %(epa)s",
        "UPDATE apprentices_apprentice SET uln = uln WHERE id = %(apprentice)s",
        "UPDATE psp_user SET first_name = 'Renamed' WHERE id = %(user)s",
    ],
)
def test_raw_sql_writes_to_what_the_homes_show_raise_the_revision(epa, sql):
    before = revision.current()
    raw(
        sql,
        attempt=epa.gateway_id,
        epa=epa.pk,
        apprentice=epa.apprentice_id,
        user=epa.apprentice.user_id,
    )
    assert revision.current() > before


def test_signing_in_does_not_raise_the_revision(apprentice):
    before = revision.current()
    raw(
        "UPDATE psp_user SET last_login = %(now)s WHERE id = %(user)s",
        now=timezone.now(),
        user=apprentice.user_id,
    )
    assert revision.current() == before


def test_the_employers_gateway_confirmations_follow_raw_sql(
    client, apprentice, employer_user, preparing
):
    client.force_login(employer_user)
    assert f"Confirm {apprentice.name} is ready for gateway" in home(client)
    raw("UPDATE psp_user SET first_name = 'Zebedee' WHERE id = %(id)s", id=apprentice.user_id)
    apprentice.user.refresh_from_db()
    assert f"Confirm {apprentice.name} is ready for gateway" in home(client)
    raw(
        "UPDATE epa_gatewayitem SET confirmed_at = %(now)s, confirmed_by_id = %(by)s "
        "WHERE attempt_id = %(attempt)s AND kind = 'employer'",
        now=timezone.now(),
        by=employer_user.pk,
        attempt=preparing.pk,
    )
    assert "To do: confirm gateway readiness" not in home(client)


def test_the_employers_moves_and_counts_follow_raw_sql(client, apprentice, provider_user):
    new_employer = make_organisation(kind=Organisation.Kind.EMPLOYER, name="Northfield Unit")
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=new_employer))
    assert "To do: apprentices moving to you" not in home(client)
    move = EmployerMove.objects.create(
        apprentice=apprentice,
        from_employer=apprentice.employer,
        to_employer=new_employer,
        reason="Transferred to the Northfield office",
        requested_by=provider_user,
    )
    assert f"from {apprentice.employer.name}: Transferred" in home(client)
    raw(
        "UPDATE psp_organisation SET name = 'Southfield Works' WHERE id = %(id)s",
        id=apprentice.employer_id,
    )
    assert "from Southfield Works: Transferred" in home(client)
    raw(
        "UPDATE apprentices_employermove SET status = 'accepted', decided_by_id = %(by)s, "
        "decided_at = %(now)s WHERE id = %(id)s",
        by=provider_user.pk,
        now=timezone.now(),
        id=move.pk,
    )
    assert "To do: apprentices moving to you" not in home(client)
    assert "?status=on_programme" not in home(client)
    raw(
        "UPDATE apprentices_apprentice SET employer_id = %(to)s WHERE id = %(id)s",
        to=new_employer.pk,
        id=apprentice.pk,
    )
    assert "?status=on_programme" in home(client)


def test_the_epao_home_follows_raw_sql(client, apprentice, epao_admin, submitted_attempt):
    client.force_login(epao_admin)
    html = home(client)
    assert str(apprentice) in html
    assert "0 EPAs awaiting moderation" in html
    raw(
        "UPDATE psp_user SET last_name = 'Renamed' WHERE id = %(id)s",
        id=apprentice.user_id,
    )
    apprentice.user.refresh_from_db()
    assert str(apprentice) in home(client)
    raw(
        "UPDATE epa_gatewayattempt SET status = 'preparing' WHERE id = %(id)s",
        id=submitted_attempt.pk,
    )
    assert "Gateways to decide" not in home(client)


def test_the_epao_counts_follow_raw_sql(client, epa, epao_admin):
    client.force_login(epao_admin)
    assert "0 EPAs awaiting moderation" in home(client)
    raw("UPDATE epa_epa SET status = 'moderation' WHERE id = %(id)s", id=epa.pk)
    assert "1 EPA awaiting moderation" in home(client)
    raw("UPDATE epa_epa SET assessor_id = NULL WHERE id = %(id)s", id=epa.pk)
    assert "1 EPA without an assessor" in home(client)


def test_each_organisation_sees_its_own(client, apprentice, preparing):
    other = make_organisation(kind=Organisation.Kind.EMPLOYER)
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=other))
    assert "To do: confirm gateway readiness" not in home(client)
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=apprentice.employer))
    assert "To do: confirm gateway readiness" in home(client)


def gateway_page(client, apprentice) -> str:
    response = client.get(reverse("epa:gateway", args=[apprentice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_gateway_page_follows_raw_sql(client, epa, provider_user, employer_user):
    apprentice = epa.apprentice
    client.force_login(provider_user)
    assert "Go to the end-point assessment" in gateway_page(client, apprentice)
    raw(
        "UPDATE epa_gatewayitem SET details = 'Certificate 12345' WHERE attempt_id = %(id)s",
        id=epa.gateway_id,
    )
    assert "Certificate 12345" in gateway_page(client, apprentice)
    raw("UPDATE psp_user SET first_name = 'Ottoline' WHERE id = %(id)s", id=employer_user.pk)
    assert "Confirmed by Ottoline" in gateway_page(client, apprentice)
    raw(
        "UPDATE epa_gatewayitem SET reason = 'Expired' WHERE attempt_id = %(id)s",
        id=epa.gateway_id,
    )
    assert "EPAO: accepted – Expired" in gateway_page(client, apprentice)


def test_the_gateway_pages_apprentice_follows_raw_sql(client, apprentice, provider_user):
    """The apprentice, their name, standard and EPA plan come from the cache (EPA and
    reference data revisions); whom they are visible to is asked of the cached row."""
    version = apprentice.standard_version
    client.force_login(provider_user)
    page = gateway_page(client, apprentice)
    assert "Start gateway" in page
    assert f"{version.standard.reference} version {version.version}" in page
    raw("UPDATE psp_user SET last_name = 'Quill' WHERE id = %(id)s", id=apprentice.user_id)
    assert f"{apprentice.user.first_name} Quill ·" in gateway_page(client, apprentice)
    raw("UPDATE standards_standardversion SET version = '9.9' WHERE id = %(id)s", id=version.pk)
    raw(
        "UPDATE standards_standard SET reference = 'ST9999' WHERE id = %(id)s",
        id=version.standard_id,
    )
    assert "ST9999 version 9.9" in gateway_page(client, apprentice)
    raw(
        "UPDATE standards_epaplan SET gateway_imported = FALSE WHERE version_id = %(id)s",
        id=version.pk,
    )
    page = gateway_page(client, apprentice)
    assert "The gateway requirements of ST9999 version 9.9 are not yet imported." in page
    assert "Start gateway" not in page
    raw("UPDATE apprentices_apprentice SET status = 'break' WHERE id = %(id)s", id=apprentice.pk)
    assert "The apprentice is on a break in learning." in gateway_page(client, apprentice)
    elsewhere = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    raw(
        "UPDATE apprentices_apprentice SET training_provider_id = %(org)s WHERE id = %(id)s",
        org=elsewhere.pk,
        id=apprentice.pk,
    )
    url = reverse("epa:gateway", args=[apprentice.pk])
    assert client.get(url).status_code == 404
    client.force_login(make_staff(role=Role.PROVIDER, organisation=elsewhere))
    assert client.get(url).status_code == 200


def test_the_gateway_pages_coverage_follows_raw_sql(client, version, provider_user):
    """The coverage while the pack is prepared is a fragment kept under the progress
    revision (KSB tallies, kept by their own triggers from evidence and mappings) and the
    reference data's (the plan's methods and their KSBs)."""
    from tests.factories import make_apprentice, make_evidence

    apprentice = make_apprentice(version=version, training_provider=provider_user.organisation)
    knows, fixes = version.ksbs.get(kind="K"), version.ksbs.get(kind="S")
    method = version.epa_plan.methods.get(number=1)
    method.ksbs.set([knows, fixes])
    make_evidence(apprentice=apprentice, status="accepted", ksbs=[knows])
    pending = make_evidence(apprentice=apprentice, status="submitted", ksbs=[fixes])
    client.force_login(provider_user)
    assert "1 of 2 KSBs have accepted evidence (50%)" in gateway_page(client, apprentice)
    raw(
        "UPDATE apprentices_evidence SET status = 'accepted', reviewed_by_id = %(by)s, "
        "reviewed_at = %(at)s WHERE id = %(id)s",
        by=provider_user.pk,
        at=timezone.now(),
        id=pending.pk,
    )
    assert "2 of 2 KSBs have accepted evidence (100%)" in gateway_page(client, apprentice)
    raw(
        "UPDATE standards_assessmentmethod SET name = 'Widget viva' WHERE id = %(id)s", id=method.pk
    )
    assert "Widget viva</th>" in gateway_page(client, apprentice)
    raw(
        "DELETE FROM standards_assessmentmethod_ksbs WHERE assessmentmethod_id = %(id)s "
        "AND ksb_id = %(ksb)s",
        id=method.pk,
        ksb=fixes.pk,
    )
    assert "1 of 1 (100%)" in gateway_page(client, apprentice)
    raw(
        "UPDATE apprentices_ksbtally SET accepted_count = 0 WHERE apprentice_id = %(id)s "
        "AND ksb_id = %(ksb)s",
        id=apprentice.pk,
        ksb=knows.pk,
    )
    assert "1 of 2 KSBs have accepted evidence (50%)" in gateway_page(client, apprentice)


def test_the_gateway_page_of_no_apprentice_is_a_404(client, provider_user):
    client.force_login(provider_user)
    assert client.get(reverse("epa:gateway", args=[987654])).status_code == 404


def test_the_cached_gateway_keeps_what_each_viewer_may_do(
    client, apprentice, provider_user, employer_user, preparing
):
    """The attempts come from the cache; who may confirm which item is worked out afresh."""
    employer_item = preparing.items.get(kind="employer")
    confirm = reverse("epa:gateway_item_confirm", args=[apprentice.pk, employer_item.pk])
    client.force_login(provider_user)
    assert confirm not in gateway_page(client, apprentice)
    client.force_login(employer_user)
    assert confirm in gateway_page(client, apprentice)
