"""The portfolio's evidence list and the review queue, cached under the evidence revision
(apprentices.revision): every write that changes what they show, raw SQL included, shows on
the next request."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apprentices import revision
from apprentices.models import EvidenceFile
from psp.models import Organisation
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_evidence,
    make_organisation,
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
def apprentice(version, provider):
    return make_apprentice(version=version, training_provider=provider)


@pytest.fixture
def item(apprentice, version):
    item = make_evidence(
        apprentice=apprentice, status="submitted", title="Wiring a panel", ksbs=version.ksbs.all()
    )
    EvidenceFile.objects.create(
        evidence=item,
        file=f"evidence/{item.pk}/notes.txt",
        original_name="notes.txt",
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        uploaded_by=apprentice.user,
    )
    return item


@pytest.fixture
def provider_client(client, provider):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    return client


def raw(sql: str, **params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def page(client, url: str) -> str:
    """The page's HTML, its CSRF tokens (different every time) left out."""
    response = client.get(url)
    assert response.status_code == 200
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())


def portfolio(client, apprentice) -> str:
    return page(client, reverse("apprentices:apprentice_detail", args=[apprentice.pk]))


def queue(client) -> str:
    return page(client, reverse("apprentices:review_queue"))


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE apprentices_evidence SET title = 'Renamed' WHERE id = %(item)s",
        "DELETE FROM apprentices_evidenceksb WHERE evidence_id = %(item)s",
        "UPDATE apprentices_evidencefile SET original_name = 'a.txt' WHERE evidence_id = %(item)s",
        "INSERT INTO apprentices_evidenceevent (evidence_id, actor_id, action, at, comment, "
        "changes) VALUES (%(item)s, %(user)s, 'submitted', CURRENT_TIMESTAMP, '', '{}')",
        "UPDATE apprentices_apprentice SET uln = uln WHERE id = %(apprentice)s",
        "UPDATE psp_user SET last_name = 'Renamed' WHERE id = %(user)s",
        "UPDATE standards_ksb SET text = 'Reworded' WHERE id IN "
        "(SELECT ksb_id FROM apprentices_evidenceksb WHERE evidence_id = %(item)s)",
    ],
)
def test_raw_sql_writes_to_what_the_lists_show_raise_the_revision(apprentice, item, sql):
    before = revision.current()
    raw(sql, item=item.pk, apprentice=apprentice.pk, user=apprentice.user_id)
    assert revision.current() > before


def test_signing_in_does_not_raise_the_revision(apprentice):
    before = revision.current()
    raw(
        "UPDATE psp_user SET last_login = %(now)s WHERE id = %(user)s",
        now=timezone.now(),
        user=apprentice.user_id,
    )
    assert revision.current() == before


def test_new_evidence_raises_the_revision(apprentice):
    before = revision.current()
    make_evidence(apprentice=apprentice)
    assert revision.current() > before


@pytest.mark.parametrize(
    ("sql", "gone", "shown"),
    [
        (
            "UPDATE apprentices_evidence SET title = 'Renamed in SQL' WHERE id = %(item)s",
            "Wiring a panel",
            "Renamed in SQL",
        ),
        (
            "UPDATE apprentices_evidence SET status = 'accepted', reviewed_by_id = %(user)s "
            "WHERE id = %(item)s",
            "Submitted (1)",
            "Accepted (1)",
        ),
        (
            "UPDATE apprentices_evidencefile SET removed_at = CURRENT_TIMESTAMP, "
            "removed_by_id = %(user)s WHERE evidence_id = %(item)s",
            'data-label="Files" class="govuk-table__cell govuk-table__cell--numeric">1<',
            'data-label="Files" class="govuk-table__cell govuk-table__cell--numeric">0<',
        ),
        (
            "DELETE FROM apprentices_evidenceksb WHERE evidence_id = %(item)s",
            'data-label="KSBs" class="govuk-table__cell govuk-table__cell--numeric">3<',
            'data-label="KSBs" class="govuk-table__cell govuk-table__cell--numeric">0<',
        ),
    ],
)
def test_the_portfolio_follows_raw_sql_writes(provider_client, apprentice, item, sql, gone, shown):
    before = portfolio(provider_client, apprentice)
    assert gone in before
    assert portfolio(provider_client, apprentice) == before  # from the cache
    raw(sql, item=item.pk, user=apprentice.user_id)
    after = portfolio(provider_client, apprentice)
    assert gone not in after
    assert shown in after


def test_the_cached_list_keeps_what_each_viewer_may_do(client, provider_client, apprentice):
    # The provider sees the empty portfolio first; the apprentice is offered to add evidence.
    assert "Add your first piece of evidence" not in portfolio(provider_client, apprentice)
    client.force_login(apprentice.user)
    assert "Add your first piece of evidence" in portfolio(client, apprentice)


def test_the_portfolio_heading_names_the_organisations_and_links_the_epa(
    provider_client, version, provider
):
    apprentice = make_apprentice(version=version, training_provider=provider, status="in_epa")
    html = portfolio(provider_client, apprentice)
    for name in (apprentice.employer.name, provider.name, "Not chosen yet"):
        assert f'<dd class="govuk-summary-list__value">{name}</dd>' in html
    assert f'href="{apprentice.epa.get_absolute_url()}">End-point assessment</a>' in html


@pytest.mark.parametrize(
    ("sql", "gone"),
    [
        ("UPDATE psp_user SET last_name = 'Renamed' WHERE id = %(user)s", ">Appr Entice"),
        (
            "UPDATE apprentices_evidence SET status = 'accepted', reviewed_by_id = %(user)s "
            "WHERE id = %(item)s",
            "Wiring a panel",
        ),
        (
            "UPDATE apprentices_apprentice SET training_provider_id = %(other)s "
            "WHERE id = %(apprentice)s",
            "Wiring a panel",
        ),
    ],
)
def test_the_review_queue_follows_raw_sql_writes(provider_client, apprentice, item, sql, gone):
    before = queue(provider_client)
    assert gone in before
    assert queue(provider_client) == before  # from the cache
    other = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    raw(sql, item=item.pk, user=apprentice.user_id, apprentice=apprentice.pk, other=other.pk)
    assert gone not in queue(provider_client)


def test_each_provider_sees_its_own_queue(client, provider_client, item):
    assert "Wiring a panel" in queue(provider_client)
    other = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    client.force_login(make_staff(role=Role.PROVIDER, organisation=other))
    assert "Wiring a panel" not in queue(client)


def test_the_lists_make_a_fixed_number_of_queries_cached_or_not(
    provider_client, apprentice, version
):
    """Cached: session, user, the apprentice (portfolio), the revision, unread
    notifications. Not cached (a write raised the revision): the paginator's count and the
    page's rows too, and the portfolio's counts by status."""
    pages = {
        "portfolio": reverse("apprentices:apprentice_detail", args=[apprentice.pk]),
        "queue": reverse("apprentices:review_queue"),
    }

    def counts() -> dict[str, tuple[int, int]]:
        found = {}
        for name, url in pages.items():
            raw("UPDATE apprentices_evidence SET title = title")  # raises the revision
            provider_client.get(url)  # warms the role and permissions (psp.access)
            raw("UPDATE apprentices_evidence SET title = title")
            uncached = count_queries(provider_client, url)
            found[name] = (uncached, count_queries(provider_client, url))
        return found

    make_evidence(apprentice=apprentice, status="submitted", ksbs=version.ksbs.all())
    small = counts()
    for _ in range(30):
        make_evidence(apprentice=apprentice, status="submitted", ksbs=version.ksbs.all())
    assert small == counts() == {"portfolio": (8, 5), "queue": (6, 4)}


def evidence_item(client, item) -> str:
    return page(client, reverse("apprentices:evidence_detail", args=[item.pk]))


@pytest.mark.parametrize(
    ("sql", "gone", "shown"),
    [
        (
            "UPDATE apprentices_evidence SET reflection = 'Thought again' WHERE id = %(item)s",
            "None",
            "Thought again",
        ),
        (
            "UPDATE apprentices_evidencefile SET original_name = 'renamed.txt' "
            "WHERE evidence_id = %(item)s",
            ">notes.txt</a>",
            ">renamed.txt</a>",
        ),
        (
            "UPDATE standards_ksb SET text = 'Reworded in SQL' WHERE id IN "
            "(SELECT ksb_id FROM apprentices_evidenceksb WHERE evidence_id = %(item)s)",
            "Knows widgets",
            "Reworded in SQL",
        ),
        (
            "DELETE FROM apprentices_evidenceksb WHERE evidence_id = %(item)s",
            "Knows widgets",
            "Not mapped to any KSB yet.",
        ),
        (
            "INSERT INTO apprentices_evidenceevent (evidence_id, actor_id, action, at, comment, "
            "changes) VALUES (%(item)s, %(user)s, 'submitted', CURRENT_TIMESTAMP, "
            "'Said in SQL', '{}')",
            "Said in SQL",
            "Said in SQL",
        ),
    ],
)
def test_the_evidence_item_follows_raw_sql_writes(
    provider_client, apprentice, item, sql, gone, shown
):
    before = evidence_item(provider_client, item)
    assert (gone in before) != (gone == shown)
    assert evidence_item(provider_client, item) == before  # from the cache
    raw(sql, item=item.pk, user=apprentice.user_id)
    after = evidence_item(provider_client, item)
    assert gone not in after or gone == shown
    assert shown in after


def test_a_renamed_actor_shows_in_the_evidence_items_history(provider_client, apprentice, item):
    raw(
        "INSERT INTO apprentices_evidenceevent (evidence_id, actor_id, action, at, comment, "
        "changes) VALUES (%(item)s, %(user)s, 'submitted', CURRENT_TIMESTAMP, '', '{}')",
        item=item.pk,
        user=apprentice.user_id,
    )
    assert f"by {apprentice.user.get_full_name()}" in evidence_item(provider_client, item)
    raw("UPDATE psp_user SET first_name = 'Renamed' WHERE id = %(user)s", user=apprentice.user_id)
    assert f"by Renamed {apprentice.user.last_name}" in evidence_item(provider_client, item)


def test_the_evidence_item_makes_a_fixed_number_of_queries_cached_or_not(
    provider_client, apprentice, item
):
    """Cached: session, user, the evidence, the revision, unread notifications and the
    audit trail (3, for staff who may read it). Not cached: its files, mappings and events
    too."""
    url = reverse("apprentices:evidence_detail", args=[item.pk])
    provider_client.get(url)  # warms the role and permissions (psp.access)
    raw("UPDATE apprentices_evidence SET title = title")  # raises the revision
    assert (count_queries(provider_client, url), count_queries(provider_client, url)) == (11, 8)
