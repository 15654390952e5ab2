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


def started_in(apprentice, year):
    """The apprenticeship began in the past (the test standard's start dates are in 2030)."""
    type(apprentice).objects.filter(pk=apprentice.pk).update(start_date=datetime.date(year, 9, 2))
    apprentice.refresh_from_db()


def end_url(conflict):
    return reverse("epa:conflict_end", args=[conflict.pk])


def withdraw_url(conflict):
    return reverse("epa:conflict_withdraw", args=[conflict.pk])


def test_an_assessor_ends_a_conflict_and_it_no_longer_blocks_later_apprenticeships(
    client, epa, apprentice, second_assessor, epao_admin
):
    from psp.models import AuditEntry

    started_in(apprentice, 2024)
    conflict = declare(
        second_assessor,
        kind="employer",
        organisation=apprentice.employer,
        starts_on=datetime.date(2019, 5, 1),
    )
    with pytest.raises(EpaStateError, match="not independent"):
        grading.assign_assessor(epa, second_assessor, by=epao_admin)
    client.force_login(second_assessor)
    assert "End<span" in client.get(reverse("epa:conflict_list")).content.decode()
    page = client.post(
        end_url(conflict),
        {"ends_on_0": "30", "ends_on_1": "8", "ends_on_2": "2024"},
        follow=True,
    ).content.decode()
    assert "Conflict of interest ended" in page
    conflict.refresh_from_db()
    assert conflict.ends_on == datetime.date(2024, 8, 30)
    change = AuditEntry.objects.filter(
        object_type="epa_conflictofinterest", object_id=str(conflict.pk), action="update"
    ).get()
    assert change.actor_id == second_assessor.pk
    assert "2024-08-30" in change.after
    grading.assign_assessor(epa, second_assessor, by=epao_admin)
    epa.refresh_from_db()
    assert epa.assessor == second_assessor
    assert epa.independence_declaration[0]["to"] == "2024-08-30"
    # Ended once: it cannot be ended again.
    assert client.get(end_url(conflict)).status_code == 403


def test_a_conflict_that_ended_during_the_apprenticeship_still_blocks(
    client, epa, apprentice, second_assessor, epao_admin
):
    started_in(apprentice, 2024)
    conflict = declare(second_assessor, kind="provider", organisation=apprentice.training_provider)
    client.force_login(second_assessor)
    client.post(end_url(conflict), {"ends_on_0": "1", "ends_on_1": "2", "ends_on_2": "2025"})
    conflict.refresh_from_db()
    assert conflict.ends_on == datetime.date(2025, 2, 1)
    with pytest.raises(EpaStateError, match="training provider"):
        grading.assign_assessor(epa, second_assessor, by=epao_admin)


@pytest.mark.parametrize(
    ("day", "error"),
    [
        (("31", "12", "2019"), "on or after the start date, 1 January 2020"),
        (("1", "1", "2099"), "cannot be in the future"),
        (("31", "2", "2024"), ""),
    ],
)
def test_an_end_date_before_the_start_or_in_the_future_is_refused(
    client, apprentice, second_assessor, day, error
):
    conflict = declare(second_assessor, kind="employer", organisation=apprentice.employer)
    client.force_login(second_assessor)
    page = client.post(
        end_url(conflict), {"ends_on_0": day[0], "ends_on_1": day[1], "ends_on_2": day[2]}
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "There is a problem" in body
    assert error in body
    assert f'value="{day[2]}"' in body  # what they typed is kept
    conflict.refresh_from_db()
    assert conflict.ends_on is None


def test_a_withdrawn_declaration_no_longer_counts_but_stays_on_record(
    client, epa, apprentice, second_assessor, epao_admin
):
    conflict = declare(second_assessor, kind="apprentice", apprentice=apprentice)
    with pytest.raises(EpaStateError, match="conflict of interest with the apprentice"):
        grading.assign_assessor(epa, second_assessor, by=epao_admin)
    client.force_login(second_assessor)
    page = client.post(withdraw_url(conflict), {"reason": ""})
    assert "Say why the declaration was made in error" in page.content.decode()
    page = client.post(
        withdraw_url(conflict), {"reason": "Wrong ULN: I meant another apprentice"}, follow=True
    ).content.decode()
    assert "Declaration withdrawn" in page
    conflict.refresh_from_db()
    assert conflict.is_withdrawn
    assert client.get(withdraw_url(conflict)).status_code == 403
    grading.assign_assessor(epa, second_assessor, by=epao_admin)
    epa.refresh_from_db()
    assert epa.assessor == second_assessor
    assert epa.independence_declaration == []
    client.force_login(epao_admin)
    listed = client.get(reverse("epa:conflict_list")).content.decode()
    assert "Withdrawn" in listed
    assert "Wrong ULN: I meant another apprentice" in listed


def test_only_the_declaring_assessor_may_end_or_withdraw(
    client, apprentice, assessor, second_assessor, epao_admin
):
    conflict = declare(second_assessor, kind="employer", organisation=apprentice.employer)
    for url in (end_url(conflict), withdraw_url(conflict)):
        client.force_login(assessor)
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "x"}).status_code == 404
        client.force_login(epao_admin)
        assert client.get(url).status_code == 403
        client.logout()
        assert client.get(url).status_code == 302
    conflict.refresh_from_db()
    assert (conflict.ends_on, conflict.is_withdrawn) == (None, False)


def test_the_database_refuses_a_withdrawal_without_a_reason(apprentice, second_assessor):
    from django.db import connection

    conflict = declare(second_assessor, kind="employer", organisation=apprentice.employer)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE epa_conflictofinterest SET withdrawn_at = %s WHERE id = %s",
            [datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.UTC), conflict.pk],
        )
