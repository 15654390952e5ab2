"""The portfolio's evidence list and the review queue, cached under the evidence revision
(apprentices.revision): every write that changes what they show, raw SQL included, shows on
the next request."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
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
    """Cached: session, user, the revision, unread notifications (the portfolio's apprentice
    comes from the cache too). Not cached (a write raised the revision): the apprentice
    (portfolio), the paginator's count and the page's rows too, and the portfolio's counts
    by status."""
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
    assert small == counts() == {"portfolio": (8, 4), "queue": (6, 4)}


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
    """Cached: session, user, the revision, unread notifications and the audit trail (3, for
    staff who may read it; the item comes from the cache too). Not cached: the item, its
    files, mappings and events too."""
    url = reverse("apprentices:evidence_detail", args=[item.pk])
    provider_client.get(url)  # warms the role and permissions (psp.access)
    raw("UPDATE apprentices_evidence SET title = title")  # raises the revision
    assert (count_queries(provider_client, url), count_queries(provider_client, url)) == (11, 7)


# The portfolio's and the evidence item's heading rows, kept under the revision with who
# sees them (apprentices.pages.portfolio_apprentice, evidence_item).


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE standards_standard SET reference = reference",
        "UPDATE standards_standardversion SET title = title",
        "UPDATE standards_option SET title = title",
        "UPDATE epa_epa SET assessor_id = assessor_id",
        "UPDATE psp_organisation SET kind = kind || '' WHERE id = %(provider)s",
    ],
)
def test_raw_sql_writes_to_what_the_headings_show_raise_the_revision(provider, sql):
    make_version(version="3.0")  # a row to write (SQLite's triggers are a row's)
    if "standards_option" in sql:
        from standards.models import Option

        Option.objects.create(version=make_version(), number=1, title="Widgets")
    if "epa_epa" in sql:
        make_apprentice(status="in_epa")
    before = revision.current()
    raw(sql.replace("kind || ''", "'employer'"), provider=provider.pk)
    assert revision.current() > before


@pytest.mark.parametrize(
    ("sql", "gone", "shown"),
    [
        (
            "UPDATE standards_standardversion SET title = 'Retitled in SQL' WHERE id = %(version)s",
            ">Imaginary widget inspector",
            ">Retitled in SQL, version",
        ),
        (
            "UPDATE standards_standard SET reference = 'ST0777' WHERE id IN "
            "(SELECT standard_id FROM standards_standardversion WHERE id = %(version)s)",
            ">ST9990 version",
            ">ST0777 version",
        ),
        (
            "UPDATE standards_standardversion SET ksbs_imported = FALSE WHERE id = %(version)s",
            "",
            "are not yet imported",
        ),
        (
            "UPDATE psp_organisation SET name = 'Renamed Employer' WHERE id = %(employer)s",
            "",
            ">Renamed Employer</dd>",
        ),
        (
            "UPDATE psp_user SET first_name = 'Renamed' WHERE id = %(user)s",
            "",
            "<title>Renamed Entice",
        ),
        (
            "UPDATE apprentices_apprentice SET uln = '9999999999' WHERE id = %(apprentice)s",
            "",
            ">9999999999</dd>",
        ),
    ],
)
def test_the_portfolio_heading_follows_raw_sql_writes(
    provider_client, apprentice, sql, gone, shown
):
    before = portfolio(provider_client, apprentice)
    assert gone in before
    assert shown not in before
    assert portfolio(provider_client, apprentice) == before  # from the cache
    raw(
        sql,
        version=apprentice.standard_version_id,
        employer=apprentice.employer_id,
        user=apprentice.user_id,
        apprentice=apprentice.pk,
    )
    after = portfolio(provider_client, apprentice)
    assert not gone or gone not in after
    assert shown in after


def test_the_portfolio_heading_follows_the_option_and_the_epa(provider_client, provider):
    from standards.models import Option

    version = make_version(version="2.0", earliest_start_date=datetime.date(2024, 1, 1))
    option = Option.objects.create(version=version, number=1, title="Widget repair")
    apprentice = make_apprentice(
        version=version, training_provider=provider, option=option, status="in_epa"
    )
    other = make_apprentice(version=version, training_provider=provider, option=option)
    link = f'href="{apprentice.epa.get_absolute_url()}">End-point assessment</a>'
    html = portfolio(provider_client, apprentice)
    assert ">Widget repair</dd>" in html
    assert link in html
    assert portfolio(provider_client, apprentice) == html  # from the cache
    raw("UPDATE standards_option SET title = 'Renamed repair' WHERE id = %(id)s", id=option.pk)
    html = portfolio(provider_client, apprentice)
    assert ">Renamed repair</dd>" in html
    raw(
        "UPDATE epa_epa SET apprentice_id = %(other)s WHERE apprentice_id = %(apprentice)s",
        other=other.pk,
        apprentice=apprentice.pk,
    )
    assert link not in portfolio(provider_client, apprentice)


def test_another_viewers_cached_heading_is_still_a_404(provider_client, apprentice, item):
    """A heading kept for one viewer is not another's: another provider, an employer and
    another apprentice see neither the portfolio nor the item, cached or not; a move to
    another provider in SQL takes both from the first."""
    urls = [
        reverse("apprentices:apprentice_detail", args=[apprentice.pk]),
        reverse("apprentices:evidence_detail", args=[item.pk]),
    ]
    for url in urls:
        assert provider_client.get(url).status_code == 200
        assert provider_client.get(url).status_code == 200  # kept
    others = [
        make_staff(role=Role.PROVIDER, organisation=make_organisation()),
        make_staff(role=Role.EMPLOYER, organisation=make_organisation()),
        make_apprentice().user,
    ]
    client = Client()
    for other in others:
        client.force_login(other)
        for url in urls:
            assert client.get(url).status_code == 404
    client.force_login(apprentice.user)
    for url in urls:
        assert client.get(url).status_code == 200
    moved_to = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    raw(
        "UPDATE apprentices_apprentice SET training_provider_id = %(to)s WHERE id = %(id)s",
        to=moved_to.pk,
        id=apprentice.pk,
    )
    for url in urls:
        assert provider_client.get(url).status_code == 404


def test_an_assessor_sees_the_portfolio_while_assigned_to_its_epa(client, version):
    apprentice = make_apprentice(version=version, status="in_epa")
    assessor = make_staff(role=Role.ASSESSOR, organisation=make_organisation(kind="epao"))
    url = reverse("apprentices:apprentice_detail", args=[apprentice.pk])
    client.force_login(assessor)
    assert client.get(url).status_code == 404
    raw("UPDATE epa_epa SET assessor_id = %(user)s", user=assessor.pk)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # kept
    raw("UPDATE epa_epa SET assessor_id = NULL")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("sql", "gone", "shown"),
    [
        (
            "UPDATE apprentices_evidence SET title = 'Retitled in SQL' WHERE id = %(item)s",
            '<h1 class="govuk-heading-l">Wiring a panel</h1>',
            '<h1 class="govuk-heading-l">Retitled in SQL</h1>',
        ),
        (
            "UPDATE apprentices_evidence SET status = 'accepted', reviewed_by_id = %(user)s, "
            "reviewed_at = CURRENT_TIMESTAMP WHERE id = %(item)s",
            "Review this evidence",
            "Accepted by Appr",
        ),
        (
            "UPDATE psp_user SET first_name = 'Renamed' WHERE id = %(user)s",
            "Evidence from Appr",
            "Evidence from Renamed",
        ),
    ],
)
def test_the_evidence_items_heading_follows_raw_sql_writes(
    provider_client, apprentice, item, sql, gone, shown
):
    before = evidence_item(provider_client, item)
    assert gone in before
    assert evidence_item(provider_client, item) == before  # from the cache
    raw(sql, item=item.pk, user=apprentice.user_id)
    after = evidence_item(provider_client, item)
    assert gone not in after
    assert shown in after


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("DELETE FROM apprentices_evidenceksb WHERE evidence_id = %(item)s", "Map the evidence"),
        (
            "UPDATE apprentices_evidencefile SET removed_at = CURRENT_TIMESTAMP, "
            "removed_by_id = %(user)s WHERE evidence_id = %(item)s",
            "Add at least one file",
        ),
        (
            "UPDATE apprentices_evidence SET personal_data_removed = FALSE WHERE id = %(item)s",
            "Confirm you have removed",
        ),
    ],
)
def test_a_drafts_problems_follow_raw_sql_writes(client, apprentice, item, sql, problem):
    raw(
        "UPDATE apprentices_evidence SET status = 'draft', personal_data_removed = TRUE "
        "WHERE id = %(item)s",
        item=item.pk,
    )
    client.force_login(apprentice.user)
    before = evidence_item(client, item)
    assert "Resubmit for review" in before
    assert "Before you can submit" not in before
    assert evidence_item(client, item) == before  # from the cache
    raw(sql, item=item.pk, user=apprentice.user_id)
    after = evidence_item(client, item)
    assert f"<li>{problem}" in after
    assert "Resubmit for review" not in after


def test_a_drafts_problems_follow_the_versions_ksbs_being_imported(client, apprentice, item):
    raw(
        "UPDATE apprentices_evidence SET status = 'draft', personal_data_removed = TRUE "
        "WHERE id = %(item)s",
        item=item.pk,
    )
    raw("DELETE FROM apprentices_evidenceksb WHERE evidence_id = %(item)s", item=item.pk)
    client.force_login(apprentice.user)
    assert "Map the evidence" in evidence_item(client, item)
    raw(
        "UPDATE standards_standardversion SET ksbs_imported = FALSE WHERE id = %(id)s",
        id=apprentice.standard_version_id,
    )
    assert "Map the evidence" not in evidence_item(client, item)
