"""Assessor independence: declared conflicts of interest refuse an assignment, and the EPA
record keeps the declaration that was checked."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from epa import grading
from epa.models import ConflictOfInterest, EpaStateError
from psp.models import Organisation
from psp.roles import Role
from tests.factories import make_apprentice, make_organisation, make_staff


def declare(
    assessor,
    *,
    kind,
    starts_on=datetime.date(2020, 1, 1),
    ends_on=None,
    details="Worked there as a team leader",
    **whom,
):
    return ConflictOfInterest.objects.create(
        assessor=assessor,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        details=details,
        **whom,
    )


@pytest.fixture
def second_assessor(apprentice):
    return make_staff(role=Role.ASSESSOR, organisation=apprentice.epao)


def test_an_assessor_who_worked_for_the_employer_during_the_apprenticeship_is_refused(
    epa, apprentice, second_assessor, epao_admin
):
    declare(
        second_assessor,
        kind="employer",
        organisation=apprentice.employer,
        starts_on=apprentice.start_date - datetime.timedelta(days=400),
        ends_on=apprentice.start_date + datetime.timedelta(days=30),
    )
    with pytest.raises(
        EpaStateError, match="declared a conflict of interest with the apprentice's employer"
    ):
        grading.assign_assessor(epa, second_assessor, by=epao_admin)
    epa.refresh_from_db()
    assert epa.assessor != second_assessor


def test_a_refusal_quotes_the_declaration_in_one_sentence(
    epa, apprentice, second_assessor, epao_admin
):
    declare(
        second_assessor,
        kind="apprentice",
        apprentice=apprentice,
        details="Supervised their placement.",
    )
    with pytest.raises(EpaStateError) as refused:
        grading.assign_assessor(epa, second_assessor, by=epao_admin)
    assert "Supervised their placement. Choose another assessor" in str(refused.value)


def test_employment_that_ended_before_the_apprenticeship_is_not_a_conflict(
    epa, apprentice, second_assessor, epao_admin
):
    declare(
        second_assessor,
        kind="employer",
        organisation=apprentice.employer,
        starts_on=apprentice.start_date - datetime.timedelta(days=900),
        ends_on=apprentice.start_date - datetime.timedelta(days=1),
    )
    grading.assign_assessor(epa, second_assessor, by=epao_admin)
    epa.refresh_from_db()
    assert epa.assessor == second_assessor
    [checked] = epa.independence_declaration
    assert (checked["whom"], checked["kind"]) == (str(apprentice.employer), "employer")
    assert epa.independence_checked_at is not None
    event = apprentice.epa_events.filter(title="Assessor assigned").first()  # newest
    assert "1 declared conflict of interest checked: none concerns this apprentice" in (
        event.description
    )


def test_an_assessor_who_worked_for_the_provider_is_refused(
    epa, apprentice, second_assessor, epao_admin
):
    declare(second_assessor, kind="provider", organisation=apprentice.training_provider)
    with pytest.raises(EpaStateError, match="with the apprentice's training provider"):
        grading.assign_assessor(epa, second_assessor, by=epao_admin)


def test_an_assessor_who_knows_the_apprentice_is_refused_whatever_the_dates(
    epa, apprentice, second_assessor, epao_admin
):
    declare(
        second_assessor,
        kind="apprentice",
        apprentice=apprentice,
        starts_on=datetime.date(2001, 1, 1),
        ends_on=datetime.date(2002, 1, 1),
    )
    with pytest.raises(EpaStateError, match="conflict of interest with the apprentice \\("):
        grading.assign_assessor(epa, second_assessor, by=epao_admin)


def test_a_conflict_with_another_employer_does_not_refuse(epa, second_assessor, epao_admin):
    declare(second_assessor, kind="employer", organisation=make_organisation(name="Elsewhere"))
    grading.assign_assessor(epa, second_assessor, by=epao_admin)
    assert len(epa.independence_declaration) == 1


def test_the_database_refuses_a_declaration_that_names_no_one_or_has_dates_backwards(
    second_assessor, apprentice
):
    with pytest.raises(IntegrityError), transaction.atomic():
        declare(second_assessor, kind="employer")
    with pytest.raises(IntegrityError), transaction.atomic():
        declare(
            second_assessor,
            kind="apprentice",
            apprentice=apprentice,
            organisation=apprentice.employer,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        declare(
            second_assessor,
            kind="provider",
            organisation=apprentice.training_provider,
            starts_on=datetime.date(2024, 1, 2),
            ends_on=datetime.date(2024, 1, 1),
        )


def test_the_assign_form_refuses_a_conflicted_assessor_and_says_why(
    client, epa, apprentice, second_assessor, epao_admin
):
    declare(second_assessor, kind="provider", organisation=apprentice.training_provider)
    client.force_login(epao_admin)
    url = reverse("epa:epa_assign", args=[epa.pk])
    page = client.post(url, {"assessor": second_assessor.pk}).content.decode()
    assert "is not independent of this apprentice" in page
    assert "Worked there as a team leader" in page
    epa.refresh_from_db()
    assert epa.assessor != second_assessor


def test_the_epa_record_shows_the_declaration_that_was_checked(
    client, epa, apprentice, second_assessor, epao_admin
):
    declare(second_assessor, kind="employer", organisation=make_organisation(name="Elsewhere"))
    grading.assign_assessor(epa, second_assessor, by=epao_admin)
    client.force_login(epao_admin)
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "the assessor's declaration: 1 declared conflict of interest" in page
    assert "Elsewhere (employer), 2020-01-01 to now: Worked there as a team leader" in page


def test_an_assessor_declares_a_conflict_with_an_apprentice_by_uln(
    client, apprentice, second_assessor
):
    client.force_login(second_assessor)
    url = reverse("epa:conflict_add")
    data = {
        "kind": "apprentice",
        "uln": "9999999999",
        "starts_on_0": "1",
        "starts_on_1": "9",
        "starts_on_2": "2024",
        "details": "My nephew",
    }
    page = client.post(url, data).content.decode()
    assert "No apprentice of your EPAO has the ULN 9999999999" in page
    other_epao = make_apprentice(epao=make_organisation(kind=Organisation.Kind.EPAO, name="X"))
    page = client.post(url, {**data, "uln": other_epao.uln}).content.decode()
    assert "No apprentice of your EPAO has the ULN" in page
    response = client.post(url, {**data, "uln": apprentice.uln})
    assert response.status_code == 302
    conflict = ConflictOfInterest.objects.get(assessor=second_assessor)
    assert (conflict.apprentice, conflict.organisation) == (apprentice, None)
    page = client.get(reverse("epa:conflict_list")).content.decode()
    assert "My nephew" in page


def test_an_employer_conflict_must_name_an_employer(client, apprentice, second_assessor):
    client.force_login(second_assessor)
    data = {
        "kind": "employer",
        "organisation": apprentice.training_provider.pk,
        "starts_on_0": "1",
        "starts_on_1": "9",
        "starts_on_2": "2024",
        "details": "Taught there",
    }
    page = client.post(reverse("epa:conflict_add"), data).content.decode()
    assert f"{apprentice.training_provider} is not an employer" in page
    assert not ConflictOfInterest.objects.exists()


def test_declarations_are_seen_by_their_assessor_and_their_epaos_admins_only(
    client, apprentice, second_assessor, epao_admin, assessor, provider_user
):
    declare(second_assessor, kind="provider", organisation=apprentice.training_provider)
    for user, seen in ((second_assessor, True), (epao_admin, True), (assessor, False)):
        client.force_login(user)
        with_details = (
            "Worked there as a team leader"
            in client.get(reverse("epa:conflict_list")).content.decode()
        )
        assert with_details == seen, user
    other_admin = make_staff(
        role=Role.EPAO_ADMIN, organisation=make_organisation(kind=Organisation.Kind.EPAO)
    )
    client.force_login(other_admin)
    assert "Worked there" not in client.get(reverse("epa:conflict_list")).content.decode()
    client.force_login(provider_user)
    assert client.get(reverse("epa:conflict_list")).status_code == 403
    client.force_login(epao_admin)
    assert client.get(reverse("epa:conflict_add")).status_code == 403
    client.logout()
    assert client.get(reverse("epa:conflict_list")).status_code == 302
