"""The standard version page's body, cached under the reference data's revision."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from psp.roles import Role
from standards import revision
from standards.models import KSB, Duty, StandardVersion
from tests.factories import make_user

URL = reverse("standards:version_detail", args=["ST0494", "1.0"])


@pytest.fixture
def apprentice_client(client, db):
    client.force_login(make_user(role=Role.APPRENTICE))
    return client


def test_every_table_of_the_standards_app_is_watched():
    assert {"standards_ksb", "standards_duty", "standards_duty_ksbs", "standards_epaplan"} <= set(
        revision.watched_tables()
    )
    assert revision.TABLE not in revision.watched_tables()


def test_a_cached_page_costs_no_query_for_its_body(
    apprentice_client, st0494, django_assert_num_queries
):
    def body(response):
        html = response.content.decode()
        return html[html.index('<h1 class="govuk-heading-l">') : html.index("</main>")]

    first = body(apprentice_client.get(URL))
    assert 'id="K1"' in first
    # session, user, the revision, unread notifications (the head, like the body, cached)
    with django_assert_num_queries(4):
        assert body(apprentice_client.get(URL)) == first


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE standards_ksb SET text = 'Reworded in raw SQL' WHERE id = %(ksb)s",
        "UPDATE standards_duty SET text = 'Reworded in raw SQL' WHERE id = %(duty)s",
        "UPDATE standards_standardversion SET title = 'Reworded in raw SQL' WHERE id = %(version)s",
    ],
)
def test_a_change_in_raw_sql_shows_on_the_next_request(apprentice_client, st0494, sql):
    version = StandardVersion.objects.get(standard__reference="ST0494", version="1.0")
    ksb = KSB.objects.filter(version=version).first()
    duty = Duty.objects.filter(version=version).first()
    assert "Reworded in raw SQL" not in apprentice_client.get(URL).content.decode()
    before = revision.current()
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ksb": ksb.pk, "duty": duty.pk, "version": version.pk})
    assert revision.current() > before
    assert "Reworded in raw SQL" in apprentice_client.get(URL).content.decode()


def test_a_ksb_taken_off_a_duty_is_seen_at_once(apprentice_client, st0494):
    version = StandardVersion.objects.get(standard__reference="ST0494", version="1.0")
    duty = Duty.objects.filter(version=version, ksbs__isnull=False).first()
    apprentice_client.get(URL)
    before = revision.current()
    duty.ksbs.clear()  # the join table only
    assert revision.current() > before


def test_the_revision_row_comes_back_if_the_table_is_emptied(st0494):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {revision.TABLE}")
    assert revision.current() == 0
    StandardVersion.objects.update(title="Changed")
    assert revision.current() >= 1


def test_the_cached_head_follows_a_version_renumbered_in_raw_sql(apprentice_client, st0494):
    assert apprentice_client.get(URL).status_code == 200  # head and body cached
    version = StandardVersion.objects.get(standard__reference="ST0494", version="1.0")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE standards_standardversion SET version = '1.7' WHERE id = %s", [version.pk]
        )
    assert apprentice_client.get(URL).status_code == 404
    renumbered = apprentice_client.get(reverse("standards:version_detail", args=["ST0494", "1.7"]))
    assert "<title>ST0494 version 1.7 –" in renumbered.content.decode()


def test_unknown_versions_are_not_cached(apprentice_client, st0494):
    before = set(cache._cache) if hasattr(cache, "_cache") else None
    for n in range(5):
        url = reverse("standards:version_detail", args=["ST0494", f"9.{n}"])
        assert apprentice_client.get(url).status_code == 404
    if before is not None:  # the per-process cache of the tests
        assert not [key for key in set(cache._cache) - before if "version-head" in key]
