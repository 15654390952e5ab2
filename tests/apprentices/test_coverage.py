import re

import pytest
from django.urls import reverse

from apprentices.coverage import CohortRow, coverage_for
from psp.roles import Role
from standards.models import AssessmentMethod
from tests.factories import make_apprentice, make_epa_plan, make_evidence, make_staff, make_version

# A heatmap row: its apprentice's coverage link, the employer, accepted/expected, the cells.
HEATMAP_ROW = re.compile(
    r'<tr class="govuk-table__row">\s*<th scope="row" class="govuk-table__header">'
    r'<a class="govuk-link" href="/apprentices/(\d+)/coverage/">[^<]*</a></th>\s*'
    r'<td class="govuk-table__cell govuk-body-s">[^<]*</td>\s*'
    r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)/\d+</td>\s*'
    r"(.*?)\s*</tr>"
)


def heatmap_rows(response):
    """The cohort page's heatmap rows, in order: apprentice id -> (accepted KSBs, KSBs with
    any evidence, the cells' HTML), read from the page as sent."""
    rows = {}
    for pk, accepted, cells in HEATMAP_ROW.findall(response.content.decode()):
        covered = cells.count("psp-heat--accepted") + cells.count("psp-heat--pending")
        rows[int(pk)] = (int(accepted), covered, cells)
    return rows


@pytest.fixture
def version(db):
    return make_version(ksbs={"K": ["Knows A", "Knows B"], "S": ["Does C"], "B": ["Is D"]})


def ksb(version, code):
    return version.ksbs.get(kind=code[0], number=int(code[1:]))


def test_coverage_counts_accepted_and_all_live_evidence(version):
    apprentice = make_apprentice(version=version)
    k1, k2, s1 = ksb(version, "K1"), ksb(version, "K2"), ksb(version, "S1")
    make_evidence(apprentice=apprentice, status="accepted", ksbs=[k1, s1])
    make_evidence(apprentice=apprentice, status="submitted", ksbs=[k1, k2])
    make_evidence(apprentice=apprentice, status="withdrawn", ksbs=[ksb(version, "B1")])
    make_evidence(apprentice=make_apprentice(version=version), status="accepted", ksbs=[k2])

    coverage = coverage_for(apprentice)
    rows = {row.ksb.code: row for row in coverage.rows}
    assert [(c, rows[c].evidence_count, rows[c].accepted_count) for c in rows] == [
        ("K1", 2, 1),
        ("K2", 1, 0),
        ("S1", 1, 1),
        ("B1", 0, 0),
    ]
    assert [rows[c].state for c in rows] == ["accepted", "pending", "accepted", "gap"]
    assert (coverage.accepted, coverage.covered, coverage.gaps) == (2, 3, 1)
    assert (coverage.percent_accepted, coverage.percent_covered) == (50, 75)


def test_coverage_per_method_when_the_plan_maps_ksbs(version):
    apprentice = make_apprentice(version=version)
    plan = make_epa_plan(
        version=version, methods=[{"name": "Imaginary interview"}], ksb_mapping_imported=True
    )
    method = AssessmentMethod.objects.get(plan=plan)
    method.ksbs.set([ksb(version, "K1"), ksb(version, "S1")])
    make_evidence(apprentice=apprentice, status="accepted", ksbs=[ksb(version, "K1")])
    [method_coverage] = coverage_for(apprentice).methods
    assert (
        method_coverage.ksb_count,
        method_coverage.accepted,
        method_coverage.percent_accepted,
    ) == (2, 1, 50)


def test_coverage_page_shows_gaps_and_percentages(client, version):
    apprentice = make_apprentice(version=version)
    make_evidence(apprentice=apprentice, status="accepted", ksbs=[ksb(version, "K1")])
    client.force_login(apprentice.user)
    page = client.get(
        reverse("apprentices:apprentice_coverage", args=[apprentice.pk])
    ).content.decode()
    assert "25%" in page
    assert page.count("No evidence</strong>") == 3
    assert "does not say which KSBs each method assesses" in page


@pytest.mark.parametrize("items", [10, 500])
def test_coverage_page_uses_a_fixed_number_of_queries(
    client, version, items, django_assert_num_queries
):
    apprentice = make_apprentice(version=version)
    ksbs = list(version.ksbs.all())
    for i in range(items):
        make_evidence(
            apprentice=apprentice,
            status="accepted" if i % 2 else "submitted",
            ksbs=ksbs[: 1 + i % 4],
        )
    client.force_login(apprentice.user)
    url = reverse("apprentices:apprentice_coverage", args=[apprentice.pk])
    # 8 with the header's unread-notifications COUNT. One query reads the version's KSBs
    # with the apprentice's tallies.
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200


CACHED_COHORT_QUERIES = 7


@pytest.mark.parametrize("items", [10, 500])
def test_cohort_page_uses_a_fixed_number_of_queries(
    client, version, items, django_assert_num_queries
):
    first = make_apprentice(version=version)
    provider = first.training_provider
    others = [make_apprentice(version=version, training_provider=provider) for _ in range(4)]
    ksbs = list(version.ksbs.all())
    for i in range(items):
        apprentice = [first, *others][i % 5]
        make_evidence(
            apprentice=apprentice,
            status="accepted" if i % 3 else "draft",
            ksbs=ksbs[i % 4 : i % 4 + 2],
        )
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    # 13 with the header's unread-notifications COUNT and the two revisions the cohort is
    # cached under (apprentices.coverage.cached_cohort); fewer once cached.
    with django_assert_num_queries(13):
        response = client.get(reverse("apprentices:cohort"))
    assert response.status_code == 200
    assert response.context["heatmap"].row_count == 5
    assert len(heatmap_rows(response)) == 5
    with django_assert_num_queries(CACHED_COHORT_QUERIES):
        again = client.get(reverse("apprentices:cohort"))
    assert heatmap_rows(again) == heatmap_rows(response)


def test_cohort_shows_only_the_providers_apprentices_and_filters_gaps(client, version):
    mine = make_apprentice(version=version)
    complete = make_apprentice(version=version, training_provider=mine.training_provider)
    make_evidence(apprentice=complete, status="accepted", ksbs=list(version.ksbs.all()))
    make_apprentice(version=version)  # another provider's
    client.force_login(make_staff(role=Role.PROVIDER, organisation=mine.training_provider))
    response = client.get(reverse("apprentices:cohort"))
    cohort = response.context["heatmap"]
    assert set(cohort.apprentice_ids) == {mine.pk, complete.pk}
    assert set(heatmap_rows(response)) == {mine.pk, complete.pk}
    assert cohort.ksb_totals == (1, 1, 1, 1)
    assert '<td class="psp-heat psp-heat--total">1</td>' * 4 in response.content.decode()
    gaps = client.get(reverse("apprentices:cohort"), {"gaps": "1"})
    assert list(heatmap_rows(gaps)) == [mine.pk]
    by_coverage = client.get(reverse("apprentices:cohort"), {"sort": "-coverage"})
    assert list(heatmap_rows(by_coverage)) == [complete.pk, mine.pk]


def test_employer_sees_the_cohort_of_their_own_apprentices(client, version):
    apprentice = make_apprentice(version=version)
    make_apprentice(version=version, training_provider=apprentice.training_provider)
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=apprentice.employer))
    assert list(heatmap_rows(client.get(reverse("apprentices:cohort")))) == [apprentice.pk]


def test_apprentices_and_assessors_cannot_see_a_cohort(client, version):
    apprentice = make_apprentice(version=version)
    client.force_login(apprentice.user)
    assert client.get(reverse("apprentices:cohort")).status_code == 403
    client.force_login(make_staff(role=Role.ASSESSOR, organisation=apprentice.employer))
    assert client.get(reverse("apprentices:cohort")).status_code == 403


def test_cohort_of_a_version_without_ksbs_says_not_yet_imported(client, db):
    version = make_version(version="2.0")
    apprentice = make_apprentice(version=version)
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    page = client.get(reverse("apprentices:cohort")).content.decode()
    assert "are not yet imported" in page


def test_cohort_row_cells_show_accepted_count_pending_total_in_brackets_or_a_dash():
    row = CohortRow(None, cells=[("accepted", 2, 3), ("pending", 0, 4), ("gap", 0, 0)])
    assert row.cells_html == (
        '<td class="psp-heat psp-heat--accepted">2</td>'
        '<td class="psp-heat psp-heat--pending">(4)</td>'
        '<td class="psp-heat psp-heat--gap">–</td>'
    )


def test_cohort_cells_with_evidence_link_to_the_ksb_out_of_the_tab_order():
    row = CohortRow(
        None,
        cells=[("accepted", 2, 3), ("pending", 0, 4), ("gap", 0, 0)],
        coverage_url="/apprentices/7/coverage/",
        anchors=["K1", "K2", "K3"],
    )
    assert row.cells_html == (
        '<td class="psp-heat psp-heat--accepted"><a class="psp-heat__link" tabindex="-1" '
        'href="/apprentices/7/coverage/#K1">2</a></td>'
        '<td class="psp-heat psp-heat--pending"><a class="psp-heat__link" tabindex="-1" '
        'href="/apprentices/7/coverage/#K2">(4)</a></td>'
        '<td class="psp-heat psp-heat--gap">–</td>'
    )


def test_cohort_page_links_each_evidence_cell_to_the_ksb_on_the_coverage_page(client, version):
    apprentice = make_apprentice(version=version)
    ksbs = list(version.ksbs.in_standard_order())
    make_evidence(apprentice=apprentice, status="accepted", ksbs=[ksbs[0]])
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    page = client.get(reverse("apprentices:cohort")).content.decode()
    coverage_url = reverse("apprentices:apprentice_coverage", args=[apprentice.pk])
    assert f'href="{coverage_url}#{ksbs[0].code}">1</a>' in page
    assert f'href="{coverage_url}#{ksbs[1].code}"' not in page  # a gap is not a link
    # Only the sort headers, the names and the scroll region are in the tab order.
    assert page.count('tabindex="-1"') == 1
    coverage = client.get(coverage_url).content.decode()
    assert f'id="{ksbs[0].code}"' in coverage


# The cohort of the staff who see apprentices by a column of the apprentice's row is kept in
# the cache under the progress and reference data revisions (apprentices.coverage.
# cached_cohort): every write below, in raw SQL, shows on the next request.
def _run(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _cells(client):
    return heatmap_rows(client.get(reverse("apprentices:cohort")))


def test_a_cached_cohort_follows_raw_sql_writes(client, version):
    from apprentices.coverage import cohort_for
    from apprentices.models import Apprentice

    apprentice = make_apprentice(version=version)
    other = make_apprentice(version=version, training_provider=apprentice.training_provider)
    make_evidence(apprentice=apprentice, status="accepted", ksbs=list(version.ksbs.all())[:2])
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    first = _cells(client)
    assert first == _cells(client)  # from the cache
    fresh = cohort_for(
        Apprentice.objects.filter(training_provider=apprentice.training_provider), version
    )
    assert first == {
        row.apprentice.pk: (row.accepted, row.covered, str(row.cells_html)) for row in fresh.rows
    }
    assert first == heatmap_rows(client.get(reverse("apprentices:cohort"), {"sort": "employer"}))
    assert first[apprentice.pk][:2] == (2, 2)

    # A tally (kept by the evidence's triggers) changes.
    _run(
        "UPDATE apprentices_evidence SET status = 'draft' WHERE apprentice_id = %s", [apprentice.pk]
    )
    assert _cells(client)[apprentice.pk][:2] == (0, 2)
    # An apprentice leaves the provider: no longer in its cohort.
    provider_id = apprentice.training_provider_id
    elsewhere = make_apprentice(version=version).training_provider_id
    _run(
        "UPDATE apprentices_apprentice SET training_provider_id = %s WHERE id = %s",
        [elsewhere, other.pk],
    )
    assert set(_cells(client)) == {apprentice.pk}
    _run(
        "UPDATE apprentices_apprentice SET training_provider_id = %s WHERE id = %s",
        [provider_id, other.pk],
    )
    assert set(_cells(client)) == {apprentice.pk, other.pk}
    # A KSB's code (reference data) changes the cells' anchors.
    ksb = version.ksbs.order_by("pk").first()
    _run("UPDATE standards_ksb SET number = 99 WHERE id = %s", [ksb.pk])
    ksb.refresh_from_db()
    code = ksb.code
    assert code.endswith("99")
    assert f'<abbr title="{ksb.text}">{code}</abbr>' in (
        client.get(reverse("apprentices:cohort")).content.decode()
    )
    # The apprentice's cells with evidence link to each KSB's row: the new code.
    assert f"#{code}" in _cells(client)[apprentice.pk][2]
