import pytest
from django.db import connection
from django.urls import reverse

from apprentices import pages
from apprentices.listing import ApprenticeListQuery
from apprentices.models import Apprentice
from psp.models import Organisation
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_organisation,
    make_staff,
    make_user,
    make_version,
    valid_uln,
)


@pytest.fixture
def provider(db):
    return make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER, name="Imaginary Skills Ltd")


@pytest.fixture
def provider_client(client, provider):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    return client


def apprentice_form(version, employer, provider, **overrides):
    data = {
        "first_name": "Robin",
        "last_name": "Example",
        "email": "robin@example.org",
        "uln": valid_uln(77),
        "standard_version": version.pk,
        "start_date_0": "6",
        "start_date_1": "1",
        "start_date_2": "2030",
        "planned_gateway_date_0": "6",
        "planned_gateway_date_1": "7",
        "planned_gateway_date_2": "2031",
        "employer": employer.pk,
        "training_provider": provider.pk,
        "status": "on_programme",
    }
    data.update(overrides)
    return data


def test_provider_adds_an_apprentice_who_is_emailed_a_password_link(
    provider_client, provider, mailoutbox, send_emails_inline, django_capture_on_commit_callbacks
):
    version = make_version()
    employer = make_organisation()
    with django_capture_on_commit_callbacks(execute=True):
        response = provider_client.post(
            reverse("apprentices:apprentice_create"), apprentice_form(version, employer, provider)
        )
    apprentice = Apprentice.objects.get()
    assert response.status_code == 302
    assert apprentice.user.role == Role.APPRENTICE
    assert not apprentice.user.has_usable_password()
    assert apprentice.training_provider == provider
    assert mailoutbox[0].to == ["robin@example.org"]
    assert "/accounts/reset/" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"uln": "123"}, "Enter a ULN of exactly 10 digits"),
        ({"uln": "1000000044"}, "last digit does not match"),
        (
            {"planned_gateway_date_2": "2029"},
            "The planned gateway date must be after the start date",
        ),
        ({"start_date_2": "2020", "planned_gateway_date_2": "2021"}, "was not open for starts"),
        ({"start_date_1": "13"}, "Start date must be a real date, like 27 3 2025"),
        ({"start_date_2": "30"}, "Start date must include a four-digit year"),
    ],
)
def test_bad_apprentice_details_are_explained_and_nothing_is_saved(
    provider_client, provider, overrides, message
):
    version = make_version()
    response = provider_client.post(
        reverse("apprentices:apprentice_create"),
        apprentice_form(version, make_organisation(), provider, **overrides),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    assert Apprentice.objects.count() == 0


def test_provider_cannot_add_an_apprentice_to_another_provider(provider_client, provider):
    other = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    response = provider_client.post(
        reverse("apprentices:apprentice_create"),
        apprentice_form(make_version(), make_organisation(), other),
    )
    assert "Select a valid choice" in response.content.decode()
    assert Apprentice.objects.count() == 0


def test_provider_edits_their_apprentice_but_gets_404_for_another_providers(
    provider_client, provider
):
    mine = make_apprentice(training_provider=provider)
    theirs = make_apprentice()
    assert (
        provider_client.get(reverse("apprentices:apprentice_edit", args=[mine.pk])).status_code
        == 200
    )
    assert (
        provider_client.get(reverse("apprentices:apprentice_edit", args=[theirs.pk])).status_code
        == 404
    )


def test_employer_can_see_but_not_edit_their_apprentice(client, db):
    apprentice = make_apprentice()
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=apprentice.employer))
    assert client.get(apprentice.get_absolute_url()).status_code == 200
    assert (
        client.get(reverse("apprentices:apprentice_edit", args=[apprentice.pk])).status_code == 403
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.APPRENTICE, 404),
        (Role.PROVIDER, 404),
        (Role.EMPLOYER, 404),
        (Role.ASSESSOR, 404),
        (Role.EPAO_ADMIN, 404),
        (Role.ADMIN, 200),
    ],
)
def test_another_organisations_apprentice_is_a_404(client, db, role, expected):
    apprentice = make_apprentice()
    client.force_login(make_staff(role=role, organisation=make_organisation()))
    assert client.get(apprentice.get_absolute_url()).status_code == expected


def test_epao_admin_sees_their_apprentices_only_from_gateway(client, db):
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    on_programme = make_apprentice(epao=epao)
    at_gateway = make_apprentice(epao=epao, status="gateway")
    client.force_login(make_staff(role=Role.EPAO_ADMIN, organisation=epao))
    assert client.get(on_programme.get_absolute_url()).status_code == 404
    assert client.get(at_gateway.get_absolute_url()).status_code == 200


def test_apprentice_home_is_their_portfolio(client, db):
    apprentice = make_apprentice()
    client.force_login(apprentice.user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == apprentice.get_absolute_url()


def test_apprentice_list_searches_filters_sorts_and_paginates(provider_client, provider):
    version = make_version()
    for number in range(30):
        make_apprentice(
            version=version,
            training_provider=provider,
            user=make_user(role=Role.APPRENTICE, first_name="Sam", last_name=f"Tester{number:02d}"),
            status="break" if number == 3 else "on_programme",
        )
    make_apprentice(version=version)  # another provider's: never listed
    url = reverse("apprentices:apprentice_list")
    first_page = provider_client.get(url).context["page"]
    assert first_page.paginator.count == 30
    assert len(first_page.object_list) == 25
    assert provider_client.get(url, {"q": "Tester07"}).context["page"].paginator.count == 1
    assert provider_client.get(url, {"status": "break"}).context["page"].paginator.count == 1
    descending = provider_client.get(url, {"sort": "-name"}).context["page"]
    assert descending.object_list[0].user.last_name == "Tester29"


def test_apprentice_list_uses_a_fixed_number_of_queries(
    provider_client, provider, django_assert_max_num_queries
):
    version = make_version()
    for _ in range(10):
        make_apprentice(version=version, training_provider=provider)
    with django_assert_max_num_queries(9):
        provider_client.get(reverse("apprentices:apprentice_list"))


# Each write, in raw SQL, changes what the (cached) apprentice list shows on the next request.
LIST_WRITES = {
    "an apprentice's name": (
        "UPDATE psp_user SET last_name = 'Renamed' WHERE id = %(user)s",
        "Appr Renamed",
    ),
    "an apprentice's status": (
        "UPDATE apprentices_apprentice SET status = 'break' WHERE id = %(apprentice)s",
        "Break in learning",
    ),
    "an employer's name": (
        "UPDATE psp_organisation SET name = 'Renamed Ltd' WHERE id = %(employer)s",
        "Renamed Ltd",
    ),
    "a standard's reference": (
        "UPDATE standards_standard SET reference = 'ST9999' "
        "WHERE id = (SELECT standard_id FROM standards_standardversion WHERE id = %(version)s)",
        "ST9999",
    ),
}


@pytest.mark.parametrize(("sql", "shown"), LIST_WRITES.values(), ids=LIST_WRITES.keys())
def test_the_apprentice_list_shows_a_raw_sql_write_on_the_next_request(
    provider_client, provider, sql, shown
):
    apprentice = make_apprentice(training_provider=provider)
    url = reverse("apprentices:apprentice_list")

    def table():
        page = provider_client.get(url).content.decode()
        return page[page.index("<table") : page.index("</table>")]

    before = table()
    assert table() == before  # from the cache
    assert shown not in before
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "user": apprentice.user_id,
                "apprentice": apprentice.pk,
                "employer": apprentice.employer_id,
                "version": apprentice.standard_version_id,
            },
        )
    assert shown in table()


def test_each_organisation_gets_its_own_apprentice_list(client, provider):
    ours = make_apprentice(training_provider=provider)
    other_provider = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    theirs = make_apprentice(training_provider=other_provider)
    url = reverse("apprentices:apprentice_list")
    for organisation, shown, hidden in ((provider, ours, theirs), (other_provider, theirs, ours)):
        client.force_login(make_staff(role=Role.PROVIDER, organisation=organisation))
        page = client.get(url).content.decode()
        assert shown.name in page
        assert hidden.name not in page


@pytest.mark.parametrize(
    ("role", "query", "page", "cached"),
    [
        (Role.PROVIDER, {}, None, True),
        (Role.ADMIN, {"status": "break", "sort": "-start"}, "2", True),
        (Role.PROVIDER, {"q": "Sam"}, None, False),  # a search
        (Role.PROVIDER, {}, "last", False),  # not a page number
        (Role.PROVIDER, {}, "1234567", False),
        (Role.ASSESSOR, {}, None, False),  # an assessor's apprentices are chosen by EPAs
    ],
)
def test_which_apprentice_lists_are_cached(db, role, query, page, cached):
    user = make_staff(role=role, organisation=make_organisation())
    key = pages.apprentice_list_key(user, ApprenticeListQuery(**query), page)
    assert (key is not None) == cached


def test_apprentice_portfolio_uses_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries
):
    from tests.factories import make_evidence

    apprentice = make_apprentice()
    for _ in range(30):
        make_evidence(apprentice=apprentice)
    client.force_login(apprentice.user)
    # 11 with the header's unread-notifications COUNT.
    with django_assert_max_num_queries(11):
        client.get(apprentice.get_absolute_url())
