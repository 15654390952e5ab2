import uuid

import pytest
from django.urls import reverse

from psp.roles import Role
from standards.crosswalk import (
    confirm_crosswalk,
    crosswalk_for,
    propose_crosswalk,
)
from standards.models import KSB, KsbCrosswalk
from tests.factories import make_user, make_version

OLD_KNOWLEDGE = [
    "How imaginary widgets are assembled from sprockets and flanges.",
    "The widget safety rules of the Imaginary Widget Board.",
    "Ways to record a widget inspection.",
]
NEW_KNOWLEDGE = [
    "Ways to record a widget inspection, on paper and on screen.",  # was K3
    "How imaginary gadgets differ from widgets.",  # new
    "How imaginary widgets are assembled from sprockets, flanges and bolts.",  # was K1
]


@pytest.fixture
def versions(db):
    old = make_version(version="1.0", ksbs={"K": OLD_KNOWLEDGE, "S": ["Fixes widgets."]})
    new = make_version(version="2.0", ksbs={"K": NEW_KNOWLEDGE, "S": ["Mends gadgets."]})
    return old, new


def ksb(version, code):
    return version.ksbs.get(kind=code[0], number=int(code[1:]))


def by_code(crosswalk):
    return {old.code: new.code if new else None for old, new in crosswalk.items()}


def test_proposals_pair_similar_text_and_leave_the_rest_without_equivalent(versions):
    old, new = versions

    proposals = {p.old.code: p for p in propose_crosswalk(old, new)}

    assert proposals["K1"].new.code == "K3"
    assert proposals["K1"].method == KsbCrosswalk.Method.TEXT
    assert proposals["K3"].new.code == "K1"
    assert proposals["K2"].new is None
    assert proposals["S1"].new is None  # "Fixes widgets." and "Mends gadgets." are not alike
    assert proposals["K2"].explanation == "No equivalent found"
    assert proposals["K1"].explanation.startswith("K3: ")


def test_a_matching_official_guid_wins_over_text(versions):
    old, new = versions
    shared = uuid.uuid4()
    KSB.objects.filter(pk=ksb(old, "K2").pk).update(guid=shared)
    KSB.objects.filter(pk=ksb(new, "K2").pk).update(guid=shared)

    proposals = {p.old.code: p for p in propose_crosswalk(old, new)}

    assert proposals["K2"].new.code == "K2"
    assert proposals["K2"].method == KsbCrosswalk.Method.GUID


def test_each_new_ksb_is_proposed_once_for_the_best_matching_old_one(db):
    old = make_version(
        version="1.0",
        ksbs={"K": ["Knows widget rules well.", "Knows widget rules very well indeed."]},
    )
    new = make_version(version="2.0", ksbs={"K": ["Knows widget rules very well."]})

    crosswalk = by_code(crosswalk_for(old, new))

    assert list(crosswalk.values()).count("K1") == 1
    assert crosswalk == {"K1": None, "K2": "K1"}


def test_confirmed_rows_override_the_proposal(versions):
    old, new = versions
    admin = make_user(role=Role.ADMIN)
    choices = crosswalk_for(old, new)
    choices[ksb(old, "K2")] = ksb(new, "K2")
    choices[ksb(old, "K3")] = None

    confirm_crosswalk(old, new, choices=choices, by=admin)

    assert by_code(crosswalk_for(old, new)) == {"K1": "K3", "K2": "K2", "K3": None, "S1": None}
    methods = {row.from_ksb.code: row.method for row in KsbCrosswalk.objects.all()}
    assert methods == {"K1": "text", "K2": "manual", "K3": "manual", "S1": "manual"}
    assert {row.confirmed_by for row in KsbCrosswalk.objects.all()} == {admin}


def test_confirming_again_replaces_the_earlier_rows(versions):
    old, new = versions
    admin = make_user(role=Role.ADMIN)
    confirm_crosswalk(old, new, choices=crosswalk_for(old, new), by=admin)

    confirm_crosswalk(old, new, choices={ksb(old, "K1"): None}, by=admin)

    assert KsbCrosswalk.objects.count() == 1


def test_a_crosswalk_only_joins_ksbs_of_the_two_versions(versions):
    old, new = versions
    admin = make_user(role=Role.ADMIN)

    with pytest.raises(ValueError, match="does not join"):
        confirm_crosswalk(old, new, choices={ksb(new, "K1"): ksb(old, "K1")}, by=admin)
    with pytest.raises(ValueError, match="two different versions"):
        confirm_crosswalk(old, old, choices={}, by=admin)


# The page -------------------------------------------------------------------------------


def crosswalk_url(old="1.0", new="2.0"):
    return reverse("standards:crosswalk", args=["ST9990", old, new])


def test_anonymous_users_are_sent_to_sign_in(client, versions):
    response = client.get(crosswalk_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [role for role in Role if role != Role.ADMIN])
def test_only_administrators_may_see_the_crosswalk_page(client, versions, role):
    client.force_login(make_user(role=role))
    assert client.get(crosswalk_url()).status_code == 403
    assert client.post(crosswalk_url(), {}).status_code == 403


def test_administrator_sees_proposals_with_a_choice_for_each_old_ksb(client, versions):
    _, new = versions
    client.force_login(make_user(role=Role.ADMIN))

    response = client.get(crosswalk_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="govuk-select"') == 4
    assert f'<option value="{ksb(new, "K3").pk}" selected>' in page
    assert "No equivalent found" in page


def test_administrator_confirms_a_corrected_crosswalk_and_the_comparison_uses_it(client, versions):
    old, new = versions
    client.force_login(make_user(role=Role.ADMIN))
    form = {f"ksb_{k.pk}": "" for k in old.ksbs.all()}
    form[f"ksb_{ksb(old, 'K1').pk}"] = str(ksb(new, "K3").pk)
    form[f"ksb_{ksb(old, 'K2').pk}"] = str(ksb(new, "K2").pk)

    response = client.post(crosswalk_url(), form)

    assert response.status_code == 302
    assert KsbCrosswalk.objects.count() == 4
    compare = client.get(
        reverse("standards:version_compare", args=["ST9990"]), {"old": "1.0", "new": "2.0"}
    )
    rows = [(row.label, row.change) for row in compare.context["comparison"].sections[2].rows]
    assert rows == [
        ("K1 → K3", "changed"),
        ("K2", "changed"),
        ("K3", "removed"),
        ("S1", "removed"),
        ("K1", "added"),
        ("S1", "added"),
    ]
    page = compare.content.decode()
    assert "K1 → K3" in page
    assert "KSBs are paired by the crosswalk an administrator confirmed." in page


def test_a_ksb_of_another_version_is_not_a_valid_choice(client, versions):
    old, _ = versions
    client.force_login(make_user(role=Role.ADMIN))

    response = client.post(crosswalk_url(), {f"ksb_{ksb(old, 'K1').pk}": str(ksb(old, "K2").pk)})

    assert response.status_code == 400
    assert "Select a KSB from the list, or no equivalent" in response.content.decode()
    assert not KsbCrosswalk.objects.exists()


def test_comparison_page_offers_administrators_the_crosswalk(client, versions):
    client.force_login(make_user(role=Role.ADMIN))
    url = reverse("standards:version_compare", args=["ST9990"])

    page = client.get(url, {"old": "1.0", "new": "2.0"}).content.decode()

    assert crosswalk_url() in page
    client.force_login(make_user(role=Role.APPRENTICE))
    assert crosswalk_url() not in client.get(url, {"old": "1.0", "new": "2.0"}).content.decode()
