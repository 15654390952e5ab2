"""Every list page makes the same number of queries whatever the number of rows (#17).

Each page is requested once to warm the per-user caches (role and permissions, psp.access)
and the cached lists (the evidence revision: tests/apprentices/test_evidence_revision.py
pins the portfolio and review queue uncached too),
then counted at two sizes; the count is pinned exactly, so a query added per row, or a new
query on every page, fails here.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from psp.models import Organisation
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_evidence,
    make_organisation,
    make_otj_entry,
    make_staff,
    make_version,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return make_version(
        earliest_start_date=datetime.date(2024, 1, 1),
        ksbs={"K": ["Knows widgets", "Knows gadgets"], "S": ["Fixes"]},
    )


@pytest.fixture
def provider():
    return make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)


@pytest.fixture
def provider_client(client, provider):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    return client


def queries(client, url: str) -> int:
    assert client.get(url).status_code == 200  # warm: the user's role and permissions
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grow(version, provider, *, apprentices: int, items: int) -> list:
    """Apprentices of the provider, each with submitted evidence mapped to every KSB."""
    made = []
    for _ in range(apprentices):
        apprentice = make_apprentice(version=version, training_provider=provider)
        for _ in range(items):
            make_evidence(apprentice=apprentice, status="submitted", ksbs=list(version.ksbs.all()))
            make_otj_entry(apprentice=apprentice)
        made.append(apprentice)
    return made


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("apprentices:review_queue", 4),  # cached after the warm request (6 when not)
        ("apprentices:apprentice_list", 4),  # the table cached after the warm request (5 when not)
        ("apprentices:cohort", 7),  # cached after the warm request (13 when not)
        ("home", 4),  # the progress flags from the cache (tests/psp/test_homes.py: 14 without)
    ],
)
def test_provider_lists_make_a_fixed_number_of_queries(
    provider_client, version, provider, page, expected
):
    grow(version, provider, apprentices=1, items=1)
    small = queries(provider_client, reverse(page))
    grow(version, provider, apprentices=6, items=5)
    assert (small, queries(provider_client, reverse(page))) == (expected, expected)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # The list and the heading's apprentice cached after the warm request (8 when not).
        ("apprentices:apprentice_detail", 4),
        ("apprentices:apprentice_coverage", 5),
        ("progress:off_the_job_log", 4),  # cached after the warm request
    ],
)
def test_an_apprentices_lists_make_a_fixed_number_of_queries(
    provider_client, version, provider, page, expected
):
    (apprentice,) = grow(version, provider, apprentices=1, items=1)
    small = queries(provider_client, reverse(page, args=[apprentice.pk]))
    for _ in range(30):
        make_evidence(apprentice=apprentice, status="submitted", ksbs=list(version.ksbs.all()))
        make_otj_entry(apprentice=apprentice)
    assert (small, queries(provider_client, reverse(page, args=[apprentice.pk]))) == (
        expected,
        expected,
    )


def test_the_review_queue_counts_each_items_ksbs(provider_client, version, provider):
    (apprentice,) = grow(version, provider, apprentices=1, items=1)
    make_evidence(apprentice=apprentice, status="submitted", ksbs=list(version.ksbs.all())[:1])
    html = provider_client.get(reverse("apprentices:review_queue")).content.decode()
    cells = html.split('govuk-table__cell--numeric">')[1:]
    assert sorted(cell.split("<")[0] for cell in cells) == ["1", "3"]


def test_the_portfolio_counts_each_items_files_and_ksbs(provider_client, version, provider):
    from django.utils import timezone

    from apprentices.models import EvidenceFile

    (apprentice,) = grow(version, provider, apprentices=1, items=1)
    one_ksb = make_evidence(
        apprentice=apprentice, status="submitted", ksbs=list(version.ksbs.all())[:1]
    )
    for removed in (False, False, True):
        EvidenceFile.objects.create(
            evidence=one_ksb,
            file=f"evidence/{one_ksb.pk}/{removed}.txt",
            original_name="notes.txt",
            content_type="text/plain",
            size=1,
            sha256="0" * 64,
            uploaded_by=apprentice.user,
            removed_at=timezone.now() if removed else None,
            removed_by=apprentice.user if removed else None,
        )
    html = provider_client.get(reverse("apprentices:apprentice_detail", args=[apprentice.pk]))
    rows = html.content.decode().split('<tr class="govuk-table__row">')[2:]
    cells = {
        row.split('">', 2)[2].split("<")[0]: [
            cell.split("<")[0] for cell in row.split('govuk-table__cell--numeric">')[1:]
        ]
        for row in rows
    }
    # Files not removed, then KSBs: the item grow() made has none and 3 KSBs.
    assert sorted(cells.values()) == [["0", "3"], ["2", "1"]]
