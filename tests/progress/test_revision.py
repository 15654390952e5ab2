"""The provider's progress flags, cached under the progress revision that database triggers
raise on every write they are worked out from (progress.revision)."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apprentices.models import Apprentice, BreakInLearning
from progress import revision
from progress.flags import flag_row, progress_rows
from progress.models import OffTheJobMinimum, OffTheJobRule
from psp.models import Organisation
from psp.roles import Role
from standards.models import KSB
from tests.factories import (
    make_apprentice_in_learning,
    make_apprentice_keeping_up,
    make_evidence,
    make_organisation,
    make_progress_review,
    make_staff,
    make_version,
    page_context,
)

HOME = reverse("home")
STATUSES = [value for value, _ in Apprentice.Status.choices]


@pytest.fixture
def provider(db):
    return make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)


@pytest.fixture
def version(db):
    return make_version(
        earliest_start_date=datetime.date(2017, 5, 1), ksbs={"K": ["Knows widgets", "Fixes"]}
    )


@pytest.fixture
def staff(provider):
    return make_staff(role=Role.PROVIDER, organisation=provider)


@pytest.fixture
def provider_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def behind(version, provider):
    return make_apprentice_in_learning(version=version, provider=provider, name="Behind")


@pytest.fixture
def keeping_up(version, provider):
    return make_apprentice_keeping_up(version=version, provider=provider)


def shown(rows):
    """What the progress table shows of each row: its HTML, rendered afresh."""
    return [flag_row(row).html for row in rows]


def page(client):
    """The rows the provider's home shows, each checked to be in the page as sent (the
    first page comes as HTML kept with the rows: progress.flags.provider_home)."""
    response = client.get(HOME)
    rows = [row.html for row in page_context(response, "progress_page").object_list]
    sent = response.content.decode()
    assert all(html in sent for html in rows)
    return rows


def run(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Each write, in raw SQL, changes what the page shows; the page shows it on the next request.
WRITES = {
    "an apprentice's contracted hours": (
        "UPDATE apprentices_apprentice SET contracted_hours_per_week = 30 WHERE id = %(behind)s"
    ),
    "a review's due date": (
        "UPDATE apprentices_progressreview SET due_on = %(long_ago)s "
        "WHERE apprentice_id = %(keeping)s"
    ),
    "off-the-job entries": (
        "DELETE FROM apprentices_offthejobentry WHERE apprentice_id = %(keeping)s"
    ),
    "evidence no longer accepted (the KSB tallies)": (
        "UPDATE apprentices_evidence SET status = 'submitted' WHERE apprentice_id = %(keeping)s"
    ),
    "the version's KSBs not imported": (
        "UPDATE standards_standardversion SET ksbs_imported = %(false)s"
    ),
    "a KSB removed": "DELETE FROM standards_ksb WHERE id = %(spare_ksb)s",
    "an apprentice's name": "UPDATE psp_user SET last_name = 'Renamed' WHERE id = %(behind_user)s",
    "an employer's name": (
        "UPDATE psp_organisation SET name = 'Renamed Ltd' WHERE id = %(behind_employer)s"
    ),
}


@pytest.mark.parametrize("sql", WRITES.values(), ids=WRITES.keys())
def test_a_write_in_raw_sql_changes_the_flags_on_the_next_request(
    provider_client, staff, behind, keeping_up, version, sql
):
    spare = KSB.objects.create(version=version, kind="S", number=1, text="Spare")
    before = page(provider_client)
    assert page(provider_client) == before  # from the cache
    number = revision.current()
    run(
        sql,
        {
            "behind": behind.pk,
            "keeping": keeping_up.pk,
            "behind_user": behind.user_id,
            "behind_employer": behind.employer_id,
            "long_ago": timezone.localdate() - datetime.timedelta(days=100),
            "false": False,
            "spare_ksb": spare.pk,
        },
    )
    assert revision.current() > number
    after = page(provider_client)
    assert after == shown(progress_rows(staff))
    assert after != before


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM apprentices_breakinlearning",
        "UPDATE apprentices_offthejobrule SET name = name || ' (amended)'",
        "DELETE FROM apprentices_offthejobminimum",
        "UPDATE standards_standard SET title = title || ' (amended)'",
    ],
)
def test_every_other_source_of_the_flags_raises_the_revision(
    provider_client, staff, behind, version, sql
):
    BreakInLearning.objects.create(
        apprentice=behind,
        starts_on=behind.start_date + datetime.timedelta(days=30),
        ends_on=behind.start_date + datetime.timedelta(days=60),
        recorded_by=staff,
    )
    OffTheJobMinimum.objects.create(
        rule=OffTheJobRule.objects.first(), standard=version.standard, hours=100, source="Test"
    )
    page(provider_client)
    number = revision.current()
    run(sql, {})
    assert revision.current() > number
    assert page(provider_client) == shown(progress_rows(staff))


def test_the_workflow_is_seen_as_well(provider_client, staff, behind, version):
    def rags():
        return [row.rags for row in page_context(provider_client.get(HOME), "progress_page")]

    before = rags()
    make_progress_review(
        apprentice=behind, due_on=timezone.localdate() + datetime.timedelta(days=60)
    )
    make_evidence(apprentice=behind, status="accepted", ksbs=list(version.ksbs.all()))
    assert page(provider_client) == shown(progress_rows(staff))
    after = rags()
    assert after[0][0] != before[0][0]  # the review flag
    assert after[0][2] != before[0][2]  # the coverage flag


def test_the_counts_beside_the_flags_follow_raw_sql(provider_client, behind, keeping_up):
    def counts():
        context = provider_client.get(HOME).context
        return dict((v, n) for v, _, n in context["apprentice_counts"]), context[
            "training_to_approve"
        ]

    assert counts() == ({**dict.fromkeys(STATUSES, 0), "on_programme": 2}, 0)
    run("UPDATE apprentices_apprentice SET status = 'break' WHERE id = %s", [behind.pk])
    run(
        "UPDATE apprentices_offthejobentry SET status = 'submitted' WHERE apprentice_id = %s",
        [keeping_up.pk],
    )
    assert counts() == ({**dict.fromkeys(STATUSES, 0), "on_programme": 1, "break": 1}, 30)


def test_signing_in_and_unrelated_user_changes_keep_the_revision(behind, staff):
    number = revision.current()
    run(
        "UPDATE psp_user SET last_login = %(now)s, access_version = access_version + 1",
        {"now": timezone.now()},
    )
    run("UPDATE psp_user SET last_name = last_name", {})  # the same value
    assert revision.current() == number


def test_the_flags_follow_the_date(provider_client, behind, monkeypatch):
    before = page(provider_client)
    earlier = behind.start_date + datetime.timedelta(days=1)  # nothing due yet
    monkeypatch.setattr("progress.flags.timezone.localdate", lambda: earlier)
    after = page(provider_client)
    assert after != before


def test_another_provider_gets_its_own_flags(client, behind, version):
    other = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    make_apprentice_in_learning(version=version, provider=other, name="Elsewhere")
    client.force_login(make_staff(role=Role.PROVIDER, organisation=behind.training_provider))

    def names():
        return [row.name for row in page_context(client.get(HOME), "progress_page")]

    assert names() == ["Behind Tester"]
    client.force_login(make_staff(role=Role.PROVIDER, organisation=other))
    assert names() == ["Elsewhere Tester"]


def test_a_cached_home_costs_one_query_for_the_flags_and_counts(
    provider_client, behind, keeping_up, django_assert_num_queries
):
    provider_client.get(HOME)
    # session, user, the evidence and progress revisions in one query (the organisation and
    # the evidence awaiting review come from the evidence revision's entry), unread
    # notifications
    with django_assert_num_queries(4):
        provider_client.get(HOME)


def test_the_revision_row_comes_back_if_the_table_is_emptied(behind):
    run(f"DELETE FROM {revision.TABLE}", {})
    assert revision.current() == 0
    run("UPDATE apprentices_apprentice SET uln = uln", {})
    assert revision.current() >= 1
