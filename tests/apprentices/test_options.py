"""Each apprentice's chosen option on a core-and-options version (apprentices.options)."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from apprentices import moving
from apprentices.models import Apprentice, EvidenceStateError, VersionMove
from psp.models import Organisation
from psp.roles import Role
from standards.models import Option
from tests.apprentices.test_apprentice_views import apprentice_form
from tests.factories import make_apprentice, make_organisation, make_staff, make_version


@pytest.fixture
def with_options(db):
    version = make_version(version="2.0", ksbs={"K": ["Knows widgets"]}, core_and_options=True)
    Option.objects.create(version=version, number=1, title="Widget repair")
    Option.objects.create(version=version, number=2, title="Widget design")
    return version


@pytest.fixture
def plain(with_options):
    return make_version(
        standard=with_options.standard, version="1.0", ksbs={"K": ["Knows widgets"]}
    )


def raw_update(apprentice, **columns):
    assignments = ", ".join(f"{column} = %s" for column in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE apprentices_apprentice SET {assignments} WHERE id = %s",
            [*columns.values(), apprentice.pk],
        )


def test_database_refuses_an_apprentice_without_an_option_on_a_version_with_options(
    with_options,
):
    with pytest.raises(IntegrityError, match="must have a chosen option"), transaction.atomic():
        make_apprentice(version=with_options)


def test_database_refuses_an_option_of_another_version(with_options, plain):
    apprentice = make_apprentice(version=plain)
    option = with_options.options.first()
    with pytest.raises(IntegrityError, match="option of the version of the apprentice"):
        raw_update(apprentice, option_id=option.pk)


def test_database_refuses_clearing_the_option_or_moving_away_from_it(with_options, plain):
    apprentice = make_apprentice(version=with_options, option=with_options.options.first())
    with pytest.raises(IntegrityError, match="must have a chosen option"):
        raw_update(apprentice, option_id=None)
    with pytest.raises(IntegrityError, match="option of the version of the apprentice"):
        raw_update(apprentice, standard_version_id=plain.pk)
    raw_update(apprentice, standard_version_id=plain.pk, option_id=None)
    apprentice.refresh_from_db()
    assert apprentice.option is None


def test_database_accepts_an_option_of_the_apprentices_version(with_options):
    apprentice = make_apprentice(version=with_options, option=with_options.options.first())
    raw_update(apprentice, option_id=with_options.options.get(number=2).pk)
    apprentice.refresh_from_db()
    assert apprentice.option.title == "Widget design"


def test_other_changes_leave_an_apprentice_added_before_the_options_were_imported(plain):
    apprentice = make_apprentice(version=plain)
    Option.objects.create(version=plain, number=1, title="Imported later")
    raw_update(apprentice, status="break")  # not the version or the option: not checked
    apprentice.refresh_from_db()
    assert apprentice.status == "break"


@pytest.fixture
def provider(db):
    return make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)


@pytest.fixture
def provider_client(client, provider):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    return client


def test_form_asks_for_the_option_of_a_core_and_options_version(
    provider_client, provider, with_options
):
    data = apprentice_form(with_options, make_organisation(), provider)
    response = provider_client.post(reverse("apprentices:apprentice_create"), data)
    assert response.status_code == 200
    assert "Choose the apprentice&#x27;s option: version 2.0 is core and options" in (
        response.content.decode()
    )
    assert not Apprentice.objects.exists()
    assert 'value="robin@example.org"' in response.content.decode()  # what was typed is kept

    data["option"] = with_options.options.get(number=2).pk
    response = provider_client.post(reverse("apprentices:apprentice_create"), data)
    assert response.status_code == 302
    apprentice = Apprentice.objects.get()
    assert apprentice.option.title == "Widget design"
    page = provider_client.get(apprentice.get_absolute_url()).content.decode()
    assert "Widget design" in page


def test_form_refuses_an_option_of_another_version(provider_client, provider, with_options, plain):
    data = apprentice_form(
        plain, make_organisation(), provider, option=with_options.options.first().pk
    )
    response = provider_client.post(reverse("apprentices:apprentice_create"), data)
    assert response.status_code == 200
    assert "“Widget repair” is not an option of version 1.0" in response.content.decode()
    assert not Apprentice.objects.exists()


def test_editing_sets_the_option_of_an_apprentice_added_before_the_options(
    provider_client, provider, plain
):
    apprentice = make_apprentice(
        version=plain,
        training_provider=provider,
        start_date=datetime.date(2030, 1, 6),
        planned_gateway_date=datetime.date(2031, 7, 6),
    )
    option = Option.objects.create(version=plain, number=1, title="Imported later")
    url = reverse("apprentices:apprentice_edit", args=[apprentice.pk])
    data = apprentice_form(plain, apprentice.employer, provider, uln=apprentice.uln)
    response = provider_client.post(url, data)
    assert response.status_code == 200
    assert "Choose the apprentice&#x27;s option" in response.content.decode()
    response = provider_client.post(url, {**data, "option": option.pk})
    assert response.status_code == 302, response.context["form"].errors
    apprentice.refresh_from_db()
    assert apprentice.option == option


def test_moving_to_a_core_and_options_version_needs_an_option_there(with_options, plain):
    apprentice = make_apprentice(version=plain)
    admin = make_staff(role=Role.ADMIN, organisation=None)
    with pytest.raises(EvidenceStateError, match="Choose the apprentice's option"):
        moving.move_apprentice(apprentice, with_options, by=admin, reason="New version")
    option = with_options.options.get(number=1)
    record = moving.move_apprentice(
        apprentice, with_options, by=admin, reason="New version", option=option
    )
    apprentice.refresh_from_db()
    assert (apprentice.standard_version, apprentice.option) == (with_options, option)
    assert (record.from_option, record.to_option) == (None, option)


def test_moving_back_to_a_version_without_options_clears_the_option(with_options, plain):
    option = with_options.options.get(number=2)
    apprentice = make_apprentice(version=with_options, option=option)
    admin = make_staff(role=Role.ADMIN, organisation=None)
    with pytest.raises(EvidenceStateError, match=r"not an option of version 1\.0"):
        moving.move_apprentice(apprentice, plain, by=admin, reason="Back", option=option)
    moving.move_apprentice(apprentice, plain, by=admin, reason="Back")
    apprentice.refresh_from_db()
    assert apprentice.option is None
    assert VersionMove.objects.get().from_option == option


def test_move_page_asks_for_the_option_in_the_new_version(client, with_options, plain):
    apprentice = make_apprentice(version=plain)
    client.force_login(make_staff(role=Role.ADMIN, organisation=None))
    url = reverse("apprentices:apprentice_move", args=[apprentice.pk])
    url = f"{url}?to_version={with_options.pk}"
    page = client.get(url).content.decode()
    assert "Option in version 2.0" in page
    response = client.post(url, {"reason": "New version"})
    assert "Choose the apprentice&#x27;s option in the new version" in response.content.decode()
    option = with_options.options.get(number=1)
    response = client.post(url, {"reason": "New version", "option": option.pk})
    assert response.status_code == 302
    apprentice.refresh_from_db()
    assert apprentice.option == option
