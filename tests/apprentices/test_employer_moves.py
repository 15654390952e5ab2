"""Moving an apprentice to another employer is the provider's request, accepted by the new
employer's staff; until then the new employer sees nothing."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from apprentices.models import Apprentice, EmployerMove
from psp.models import Organisation
from psp.roles import Role
from tests.factories import make_apprentice, make_organisation, make_staff


@pytest.fixture
def apprentice(db):
    return make_apprentice()


@pytest.fixture
def provider(apprentice):
    return make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)


@pytest.fixture
def new_employer(db):
    return make_organisation(kind=Organisation.Kind.EMPLOYER, name="Northfield Unit")


@pytest.fixture
def new_staff(new_employer):
    return make_staff(role=Role.EMPLOYER, organisation=new_employer)


def ask(client, provider, apprentice, employer):
    client.force_login(provider)
    return client.post(
        reverse("apprentices:employer_move", args=[apprentice.pk]),
        {"to_employer": employer.pk, "reason": "Transferred to the Northfield office"},
    )


def test_a_move_waits_for_the_new_employer_who_sees_nothing_until_they_accept(
    client, apprentice, provider, new_employer, new_staff
):
    old_employer = apprentice.employer
    assert ask(client, provider, apprentice, new_employer).status_code == 302
    apprentice.refresh_from_db()
    assert apprentice.employer == old_employer
    client.force_login(new_staff)
    assert client.get(apprentice.get_absolute_url()).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert "To do: apprentices moving to you" in home
    assert "Transferred to the Northfield office" in home
    move = EmployerMove.objects.get()
    client.post(reverse("apprentices:employer_move_decide", args=[move.pk]), {"decision": "accept"})
    apprentice.refresh_from_db()
    move.refresh_from_db()
    assert (apprentice.employer, move.status, move.decided_by) == (
        new_employer,
        "accepted",
        new_staff,
    )
    assert client.get(apprentice.get_absolute_url()).status_code == 200


def test_a_declined_move_changes_nothing(client, apprentice, provider, new_employer, new_staff):
    ask(client, provider, apprentice, new_employer)
    client.force_login(new_staff)
    move = EmployerMove.objects.get()
    client.post(reverse("apprentices:employer_move_decide", args=[move.pk]), {"decision": "no"})
    apprentice.refresh_from_db()
    assert apprentice.employer != new_employer
    assert EmployerMove.objects.get().status == "declined"


def test_only_the_new_employers_staff_decide(client, apprentice, provider, new_employer):
    ask(client, provider, apprentice, new_employer)
    move = EmployerMove.objects.get()
    url = reverse("apprentices:employer_move_decide", args=[move.pk])
    old_staff = make_staff(role=Role.EMPLOYER, organisation=apprentice.employer)
    client.force_login(old_staff)
    assert client.post(url, {"decision": "accept"}).status_code == 404
    client.force_login(provider)
    assert client.post(url, {"decision": "accept"}).status_code == 403
    assert Apprentice.objects.get(pk=apprentice.pk).employer == apprentice.employer


def test_editing_the_apprentice_cannot_change_the_employer(client, apprentice, provider):
    from tests.apprentices.test_apprentice_views import apprentice_form

    other = make_organisation(kind=Organisation.Kind.EMPLOYER, name="Elsewhere")
    client.force_login(provider)
    data = apprentice_form(
        apprentice.standard_version,
        other,
        provider.organisation,
        uln=apprentice.uln,
        email="moved@example.org",
        start_date_0=str(apprentice.start_date.day),
        start_date_1=str(apprentice.start_date.month),
        start_date_2=str(apprentice.start_date.year),
        planned_gateway_date_0=str(apprentice.planned_gateway_date.day),
        planned_gateway_date_1=str(apprentice.planned_gateway_date.month),
        planned_gateway_date_2=str(apprentice.planned_gateway_date.year),
    )
    response = client.post(reverse("apprentices:apprentice_edit", args=[apprentice.pk]), data)
    assert response.status_code == 302  # the rest of the form was saved
    moved = Apprentice.objects.get(pk=apprentice.pk)
    assert (moved.employer, moved.user.email) == (apprentice.employer, "moved@example.org")


def test_the_database_allows_one_waiting_move_per_apprentice(apprentice, provider, new_employer):
    EmployerMove.objects.create(
        apprentice=apprentice,
        from_employer=apprentice.employer,
        to_employer=new_employer,
        reason="First",
        requested_by=provider,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        EmployerMove.objects.create(
            apprentice=apprentice,
            from_employer=apprentice.employer,
            to_employer=new_employer,
            reason="Second",
            requested_by=provider,
        )
