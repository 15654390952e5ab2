import pytest
from django.urls import reverse
from django.utils.html import escape

from psp.roles import Role
from standards.models import KSB
from tests.factories import make_epa_plan, make_user, make_version


@pytest.fixture
def apprentice_client(client, db):
    client.force_login(make_user(role=Role.APPRENTICE))
    return client


def test_every_role_can_read_the_standards(client, st0494):
    for role in Role:
        client.force_login(make_user(role=role))
        assert client.get(reverse("standards:standard_list")).status_code == 200


def test_user_without_a_role_cannot_read_the_standards(client, st0494):
    client.force_login(make_user())
    assert client.get(reverse("standards:standard_list")).status_code == 403


def test_standard_list_shows_both_st0494_versions(apprentice_client, st0494):
    page = apprentice_client.get(reverse("standards:standard_list")).content.decode()
    assert "Version 1.0" in page
    assert "Version 1.1" in page
    assert "Probation services practitioner" in page


def test_standard_list_uses_a_fixed_number_of_queries(
    apprentice_client, st0494, django_assert_max_num_queries
):
    make_version(version="1.0", ksbs={"K": ["Knows widgets"]})
    make_version(version="1.1", ksbs={"K": ["Knows widgets well"]})
    with django_assert_max_num_queries(8):
        apprentice_client.get(reverse("standards:standard_list"))


def test_v1_0_page_shows_duties_ksbs_and_that_its_epa_plan_is_not_imported(
    apprentice_client, st0494
):
    page = apprentice_client.get(
        reverse("standards:version_detail", args=["ST0494", "1.0"])
    ).content.decode()
    assert "Duty 1</strong> Carry out risk assessments" in page
    assert 'id="K11"' in page
    assert 'id="S16"' in page
    assert 'id="B7"' in page
    assert "The end-point assessment plan of this version is not in the published sources" in page


def test_v1_1_page_shows_its_official_ksbs_duties_and_what_is_not_imported(
    apprentice_client, st0494
):
    page = apprentice_client.get(
        reverse("standards:version_detail", args=["ST0494", "1.1"])
    ).content.decode()
    for ksb in KSB.objects.filter(version__version="1.1"):
        assert f'id="{ksb.code}"' in page
        assert escape(ksb.text) in page
    assert 'id="K20"' in page
    assert 'id="S19"' in page
    assert 'id="B5"' in page
    assert 'id="B6"' not in page
    assert "Participate in continuous professional development." in page
    assert "326 hours" in page
    assert "English and maths qualifications must be completed in line with" in page
    assert "spaces at the start and end of a statement are trimmed" in page
    assert "Professional discussion underpinned by a portfolio of evidence" in page
    assert "at least 45 minutes" in page
    assert "by the end of week 8 of the EPA period" in page
    assert "Fail, pass, merit, distinction" in page
    assert "The rule that combines method grades into the overall grade is not in" in page
    assert "The grading criteria (pass and distinction descriptors) are not in" in page


def test_version_page_uses_a_fixed_number_of_queries(
    apprentice_client, st0494, django_assert_max_num_queries
):
    # The other version's link does not fetch its standard again. Uncached body: the user's
    # role and permissions are cached by the first request too; revisions and options are
    # one query each (the duties' options only when the version has options); the page's
    # head (title, breadcrumbs) is one query and the version the body shows another.
    with django_assert_max_num_queries(16):
        apprentice_client.get(reverse("standards:version_detail", args=["ST0494", "1.0"]))


def test_unknown_version_is_404(apprentice_client, st0494):
    url = reverse("standards:version_detail", args=["ST0494", "9.9"])
    assert apprentice_client.get(url).status_code == 404


def test_compare_marks_reworded_added_and_removed_ksbs(apprentice_client, db):
    make_version(version="1.0", ksbs={"K": ["Knows widgets", "Knows gadgets"], "S": ["Fixes"]})
    make_version(
        version="1.1",
        ksbs={"K": ["Knows widgets", "Knows gadgets thoroughly"]},
        title="Imaginary widget inspector (revised)",
    )
    response = apprentice_client.get(
        reverse("standards:version_compare", args=["ST9990"]), {"old": "1.0", "new": "1.1"}
    )
    comparison = response.context["comparison"]
    ksb_rows = {row.label: row for row in comparison.sections[2].rows}
    assert ksb_rows["K1"].change == "unchanged"
    assert ksb_rows["K2"].change == "changed"
    assert ksb_rows["S1"].change == "removed"
    summary = {row.label: row for row in comparison.sections[0].rows}
    assert summary["Title"].change == "changed"
    assert "Version 1.0 compared with version 1.1" in response.content.decode()


def test_compare_st0494_versions_lists_the_official_v1_1_ksbs(apprentice_client, st0494):
    response = apprentice_client.get(
        reverse("standards:version_compare", args=["ST0494"]), {"old": "1.0", "new": "1.1"}
    )
    page = response.content.decode()
    ksbs = response.context["comparison"].sections[2]
    assert ksbs.old_imported
    assert ksbs.new_imported
    changes = {row.label: row.change for row in ksbs.rows}
    assert changes["K20"] == changes["S19"] == "added"
    assert changes["B6"] == changes["B7"] == "removed"
    assert "Version 1.0 does not have this part imported" in page  # the EPA plan


def test_compare_with_a_version_whose_ksbs_are_not_imported_says_so(apprentice_client, db):
    make_version(version="1.0", ksbs={"K": ["Knows widgets"]})
    make_version(version="1.1")
    response = apprentice_client.get(
        reverse("standards:version_compare", args=["ST9990"]), {"old": "1.0", "new": "1.1"}
    )
    ksbs = response.context["comparison"].sections[2]
    assert not ksbs.new_imported
    assert {row.change for row in ksbs.rows} == {"not imported"}
    assert "Version 1.1 does not have this part imported" in response.content.decode()


def test_compare_shows_epa_plan_differences(apprentice_client, db):
    old = make_version(version="1.0")
    new = make_version(version="2.0")
    method = {"name": "Imaginary observation", "duration_minutes": 30, "minimum_questions": 4}
    make_epa_plan(version=old, methods=[method])
    make_epa_plan(version=new, methods=[{**method, "minimum_questions": 5}])
    response = apprentice_client.get(
        reverse("standards:version_compare", args=["ST9990"]), {"old": "1.0", "new": "2.0"}
    )
    plan_rows = {row.label: row for row in response.context["comparison"].sections[3].rows}
    assert plan_rows["Method 1"].change == "changed"
    assert "at least 5 questions" in plan_rows["Method 1"].new


def test_compare_a_version_with_itself_is_a_clear_error(apprentice_client, st0494):
    response = apprentice_client.get(
        reverse("standards:version_compare", args=["ST0494"]), {"old": "1.1", "new": "1.1"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "Choose a different version from the one you compare it with" in page


def test_compare_with_an_unknown_version_is_a_clear_error(apprentice_client, st0494):
    response = apprentice_client.get(
        reverse("standards:version_compare", args=["ST0494"]), {"old": "1.0", "new": "7.0"}
    )
    assert response.status_code == 400
    assert "Select one of the versions in the list" in response.content.decode()


def test_compare_opened_directly_shows_the_empty_form_not_errors(apprentice_client, st0494):
    response = apprentice_client.get(reverse("standards:version_compare", args=["ST0494"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" not in page
    assert "Compare versions" in page


def test_standard_page_offers_the_comparison_form(apprentice_client, st0494):
    page = apprentice_client.get(
        reverse("standards:standard_detail", args=["ST0494"])
    ).content.decode()
    assert "Compare two versions" in page
    assert 'value="1.0" selected' in page
