import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apprentices import revision as apprentices_revision
from epa import revision as epa_revision
from progress import revision
from psp.models import Organisation
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_apprentice_in_learning,
    make_apprentice_keeping_up,
    make_evidence,
    make_organisation,
    make_otj_entry,
    make_progress_review,
    make_staff,
    make_version,
    page_context,
)


@pytest.fixture
def provider(db):
    return make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)


@pytest.fixture
def version(db):
    return make_version(
        earliest_start_date=datetime.date(2017, 5, 1), ksbs={"K": ["Knows widgets", "Fixes"]}
    )


@pytest.fixture
def behind(version, provider):
    """No review for 40 weeks, no contracted hours, no evidence."""
    return make_apprentice_in_learning(version=version, provider=provider, name="Behind")


@pytest.fixture
def keeping_up(version, provider):
    return make_apprentice_keeping_up(version=version, provider=provider)


@pytest.fixture
def provider_client(client, provider):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    return client


def flags(response):
    """Each shown apprentice's first name (the factories' are "<name> Tester") and flags."""
    return {
        row.name.removesuffix(" Tester"): row.rags
        for row in page_context(response, "progress_page").object_list
    }


def test_provider_dashboard_flags_reviews_training_and_coverage(
    provider_client, behind, keeping_up
):
    response = provider_client.get(reverse("home"))
    assert flags(response) == {
        "Behind": ("red", None, "red"),
        "Keeping": ("green", "green", "green"),
    }
    html = response.content.decode()
    assert "No review scheduled; one overdue since" in html
    assert "Cannot be worked out" in html  # no contracted hours: not guessed
    assert "Your apprentices" in html  # the existing content stays


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({}, {"Behind", "Keeping"}),
        ({"level": "red"}, {"Behind"}),
        ({"level": "flagged", "area": "reviews"}, {"Behind"}),
        ({"level": "amber", "area": "coverage"}, set()),
        ({"level": "bogus", "area": "nowhere"}, {"Behind", "Keeping"}),
    ],
)
def test_progress_flags_can_be_filtered(provider_client, behind, keeping_up, query, names):
    assert set(flags(provider_client.get(reverse("home"), query))) == names


def test_other_providers_apprentices_are_not_on_the_dashboard(provider_client, behind, version):
    make_apprentice_in_learning(
        version=version,
        provider=make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER),
        name="Other",
    )
    assert set(flags(provider_client.get(reverse("home")))) == {"Behind"}


@pytest.mark.parametrize("count", [2, 12, 30])
def test_provider_dashboard_uses_a_fixed_number_of_queries(
    provider_client, version, provider, count, django_assert_num_queries
):
    for n in range(count):
        apprentice = make_apprentice_in_learning(
            version=version,
            provider=provider,
            name=f"A{n}",
            contracted_hours_per_week=Decimal("30"),
        )
        make_otj_entry(apprentice=apprentice, status="approved")
        make_progress_review(apprentice=apprentice)
        make_evidence(apprentice=apprentice, status="accepted", ksbs=list(version.ksbs.all()))
    provider_client.get(reverse("home"))  # the user's role and permissions, now cached
    with connection.cursor() as cursor:
        cursor.execute(revision.BUMP)  # the progress flags are worked out again
    with django_assert_num_queries(14):
        response = provider_client.get(reverse("home"))
    assert page_context(response, "progress_page").paginator.count == count
    with django_assert_num_queries(4):  # and now read from the cache
        response = provider_client.get(reverse("home"))
    assert page_context(response, "progress_page").paginator.count == count


def test_progress_rows_link_to_each_apprentices_pages(provider_client, behind):
    html = provider_client.get(reverse("home")).content.decode()
    for name in (
        "apprentices:apprentice_detail",
        "progress:progress_review_list",
        "progress:off_the_job_log",
        "apprentices:apprentice_coverage",
    ):
        assert f'href="{reverse(name, args=[behind.pk])}"' in html


def test_the_employer_home_makes_a_fixed_number_of_queries(client, version):
    # the EPAO administrator's: tests/epa/test_epao_home.py
    employer = make_organisation(kind=Organisation.Kind.EMPLOYER)
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=employer))

    def grow(count):
        for _ in range(count):
            apprentice = make_apprentice(version=version, status="gateway", employer=employer)
            make_evidence(apprentice=apprentice, status="submitted")

    def queries():
        client.get(reverse("home"))  # the user's role and permissions, now cached
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("home"))
        return len(captured), dict((v, n) for v, _, n in response.context["apprentice_counts"])

    grow(1)
    small, counts = queries()
    assert counts["gateway"] == 1
    grow(8)
    large, counts = queries()
    assert counts["gateway"] == 9
    # session, user, the evidence and EPA revisions (one query), unread notifications: the
    # organisation, the counts by status, the moves and the gateway items come from the cache
    assert (small, large) == (4, 4)
    with connection.cursor() as cursor:
        cursor.execute(apprentices_revision.BUMP)
        cursor.execute(epa_revision.BUMP)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("home"))
    # and, when not, the counts, the moves, the gateway items waiting and their number
    assert len(captured) == 9


def test_the_count_to_review_follows_raw_sql_changes(provider_client, behind, version, provider):
    item = make_evidence(apprentice=behind, status="submitted")
    make_evidence(apprentice=behind, status="submitted")

    def awaiting():
        return provider_client.get(reverse("home")).context["awaiting_review"]

    assert awaiting() == 2
    assert awaiting() == 2  # from the cache
    with connection.cursor() as cursor:
        cursor.execute("UPDATE apprentices_evidence SET status = 'draft' WHERE id = %s", [item.pk])
    assert awaiting() == 1
    other = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apprentices_apprentice SET training_provider_id = %s WHERE id = %s",
            [other.pk, behind.pk],
        )
    assert awaiting() == 0


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.EMPLOYER, Role.EPAO_ADMIN])
def test_the_account_summary_follows_raw_sql_changes_of_the_organisation(client, db, role):
    kind = {
        Role.PROVIDER: Organisation.Kind.TRAINING_PROVIDER,
        Role.EMPLOYER: Organisation.Kind.EMPLOYER,
        Role.EPAO_ADMIN: Organisation.Kind.EPAO,
    }[role]
    organisation = make_organisation(kind=kind, name="Before Ltd")
    client.force_login(make_staff(role=role, organisation=organisation))

    def summary():
        html = client.get(reverse("home")).content.decode()
        return html.split('<dt class="govuk-summary-list__key">Organisation</dt>')[1][:160]

    label = organisation.get_kind_display()
    assert f'Before Ltd <span class="govuk-hint govuk-!-display-inline">({label})' in summary()
    assert "Before Ltd" in summary()  # from the cache
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE psp_organisation SET name = 'After Ltd' WHERE id = %s", [organisation.pk]
        )
    assert "After Ltd" in summary()
    other = Organisation.Kind.EPAO if role == Role.EMPLOYER else Organisation.Kind.EMPLOYER
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE psp_organisation SET kind = %s WHERE id = %s", [other.value, organisation.pk]
        )
    assert f"({other.label})" in summary()
