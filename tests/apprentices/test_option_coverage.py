"""Coverage on a core-and-options standard counts the core and the apprentice's option,
with the official record of ST0096 v2.1 (Plasterer: solid and fibrous options)."""

import pytest
from django.urls import reverse

from apprentices.coverage import cohort_for, coverage_for, progress_by_apprentice
from apprentices.models import Apprentice
from psp.roles import Role
from standards.importing import import_standard, parse_official
from standards.models import KSB, StandardVersion
from tests.factories import make_apprentice, make_evidence, make_staff
from tests.standards.official import LISTS, payload


def expected_guids(official, option_guid):
    """The KSB GUIDs of the record not mapped only to duties of other options, read from
    the payload itself (not through psp)."""
    options_of: dict[str, set] = {}
    for duty in official["duties"]:
        for _kind, _key, _id, mapped in LISTS:
            for guid in duty.get(mapped) or []:
                options_of.setdefault(guid, set()).update(duty["mappedOptions"] or [None])
    every = [item[id_key] for _k, key, id_key, _m in LISTS for item in official[key]]
    return {
        guid for guid in every if guid not in options_of or {None, option_guid} & options_of[guid]
    }


@pytest.fixture
def plasterer(db):
    official = payload("ST0096_2.1.json")
    import_standard(parse_official(official))
    return official, StandardVersion.objects.get(standard__reference="ST0096", version="2.1")


def on_option(version, number, **fields):
    return make_apprentice(version=version, option=version.options.get(number=number), **fields)


def test_coverage_counts_the_core_and_the_apprentices_option(plasterer):
    official, version = plasterer
    solid, fibrous = on_option(version, 1), on_option(version, 2)
    for apprentice in (solid, fibrous):
        guids = {str(row.ksb.guid) for row in coverage_for(apprentice).rows}
        assert guids == expected_guids(official, str(apprentice.option.guid))
    total = KSB.objects.filter(version=version).count()
    assert total == 49 + 38 + 5
    assert len(coverage_for(solid).rows) < total
    assert len(coverage_for(fibrous).rows) < total
    only_fibrous = {r.ksb.pk for r in coverage_for(fibrous).rows} - {
        r.ksb.pk for r in coverage_for(solid).rows
    }
    assert only_fibrous  # the fibrous option's own KSBs are not expected of a solid plasterer


def test_evidence_on_another_options_ksb_does_not_count(plasterer):
    _official, version = plasterer
    solid, fibrous = on_option(version, 1), on_option(version, 2)
    fibrous_only = next(
        iter(
            {r.ksb.pk for r in coverage_for(fibrous).rows}
            - {r.ksb.pk for r in coverage_for(solid).rows}
        )
    )
    core = coverage_for(solid).rows[0].ksb
    make_evidence(
        apprentice=solid, status="accepted", ksbs=[core, KSB.objects.get(pk=fibrous_only)]
    )
    coverage = coverage_for(solid)
    assert (coverage.accepted, coverage.gaps_accepted) == (1, len(coverage.rows) - 1)

    cohort = cohort_for(Apprentice.objects.all(), version)
    rows = {row.apprentice: row for row in cohort.rows}
    assert rows[solid].expected == len(coverage.rows)
    assert rows[fibrous].expected == len(coverage_for(fibrous).rows)
    assert rows[solid].accepted == 1
    column = [k.pk for k in cohort.ksbs].index(fibrous_only)
    assert rows[solid].cells[column] == ("other", 0, 0)
    assert rows[fibrous].cells[column] == ("gap", 0, 0)
    assert cohort.ksb_totals[column] == 0
    assert "not in their option" in rows[solid].cells_html
    assert cohort.percent_accepted == round(
        100 * 1 / (rows[solid].expected + rows[fibrous].expected)
    )

    progress = progress_by_apprentice([solid, fibrous], today=solid.start_date)
    assert (progress[solid.pk].accepted, progress[solid.pk].ksb_count) == (1, len(coverage.rows))
    assert progress[fibrous.pk].ksb_count == len(coverage_for(fibrous).rows)


def test_option_pages_use_the_same_number_of_queries_as_before(
    client, plasterer, django_assert_num_queries
):
    _official, version = plasterer
    apprentice = on_option(version, 1)
    provider = apprentice.training_provider
    for number in (1, 2, 2, 1):
        on_option(version, number, training_provider=provider)
    core = coverage_for(apprentice).rows[0].ksb
    make_evidence(apprentice=apprentice, status="accepted", ksbs=[core])
    client.force_login(apprentice.user)
    # As tests/apprentices/test_coverage.py pins for a version without options: 8.
    with django_assert_num_queries(8):
        assert (
            client.get(reverse("apprentices:apprentice_coverage", args=[apprentice.pk])).status_code
            == 200
        )
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    # 13 as for a version without options (with the two revisions the cohort is cached
    # under), and one for which options each KSB's duties are in.
    with django_assert_num_queries(14):
        response = client.get(reverse("apprentices:cohort"))
    assert response.context["heatmap"].row_count == 5
    assert "only in another option" in response.content.decode()


def test_an_apprentice_without_a_chosen_option_is_expected_every_ksb(plasterer):
    """Added before the version's options were imported (the triggers check inserts)."""
    _official, version = plasterer
    apprentice = on_option(version, 1)
    apprentice.option = None  # as an apprentice added before the options were imported
    assert len(coverage_for(apprentice).rows) == KSB.objects.filter(version=version).count()
