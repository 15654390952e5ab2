import pytest
from django.urls import reverse

from apprentices import moving
from apprentices.models import EvidenceStateError, VersionMove
from psp.roles import Role
from tests.factories import make_apprentice, make_evidence, make_staff, make_version


@pytest.fixture
def versions(db):
    old = make_version(
        version="1.0", ksbs={"K": ["Knows widgets", "Knows gadgets"], "S": ["Repairs sprockets"]}
    )
    new = make_version(
        version="2.0",
        ksbs={"K": ["Knows widgets well", "Knows flux capacitors"], "S": ["Repairs sprockets"]},
    )
    return old, new


def code(version, code):
    return version.ksbs.get(kind=code[0], number=int(code[1:]))


@pytest.fixture
def apprentice(versions):
    old, _ = versions
    apprentice = make_apprentice(version=old)
    make_evidence(
        apprentice=apprentice,
        status="accepted",
        ksbs=[code(old, "K1"), code(old, "K2")],
        title="Report",
    )
    make_evidence(apprentice=apprentice, ksbs=[code(old, "S1")], title="Notes")
    return apprentice


def test_the_plan_shows_what_is_carried_and_what_is_left_unmapped(apprentice, versions):
    _, new = versions
    plan = moving.plan_move(apprentice, new)
    by_title = {move.evidence.title: move for move in plan.evidence}
    assert [(a.code, b.code) for a, b in by_title["Report"].carried] == [("K1", "K1")]
    assert [k.code for k in by_title["Report"].unmapped] == ["K2"]
    assert [(a.code, b.code) for a, b in by_title["Notes"].carried] == [("S1", "S1")]
    assert plan.unmapped_count == 1


def test_moving_carries_mappings_records_who_and_why_and_keeps_the_old_mapping(
    apprentice, versions
):
    _old, new = versions
    admin = make_staff(role=Role.ADMIN, organisation=None)
    record = moving.move_apprentice(
        apprentice, new, by=admin, reason="Employer moved to the new version"
    )
    apprentice.refresh_from_db()
    assert apprentice.standard_version == new
    report = apprentice.evidence.get(title="Report")
    assert [m.ksb for m in report.mappings.all()] == [code(new, "K1")]
    assert record.old_mappings[str(report.pk)] == {"K1": "", "K2": ""}
    assert record.unmapped == {str(report.pk): ["K2"]}
    event = report.events.get(action="mapping_changed")
    assert "Not carried over (no equivalent): K2" in event.comment
    assert VersionMove.objects.get().by == admin


def test_a_reason_is_required(apprentice, versions):
    with pytest.raises(EvidenceStateError, match="Say why"):
        moving.move_apprentice(apprentice, versions[1], by=apprentice.user, reason=" ")


def test_no_move_once_the_gateway_pack_is_frozen(apprentice, versions):
    from epa.models import GatewayAttempt

    GatewayAttempt.objects.create(
        apprentice=apprentice,
        number=1,
        status="submitted",
        created_by=apprentice.user,
        pack={},
        pack_hash="0" * 64,
    )
    assert "gateway pack is frozen" in moving.plan_move(apprentice, versions[1]).problems[0]


def test_provider_previews_then_confirms_a_move(client, apprentice, versions):
    _, new = versions
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    url = reverse("apprentices:apprentice_move", args=[apprentice.pk])
    preview = client.get(url, {"to_version": new.pk}).content.decode()
    assert "K1 → K1" in preview
    assert "left unmapped and flagged" in preview
    missing_reason = client.post(f"{url}?to_version={new.pk}", {})
    assert "Say why the apprentice is moving version" in missing_reason.content.decode()
    response = client.post(f"{url}?to_version={new.pk}", {"reason": "New version"})
    assert response.status_code == 302
    apprentice.refresh_from_db()
    assert apprentice.standard_version == new


def test_employer_cannot_move_an_apprentice(client, apprentice, versions):
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=apprentice.employer))
    assert (
        client.get(reverse("apprentices:apprentice_move", args=[apprentice.pk])).status_code == 403
    )
