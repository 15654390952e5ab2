import datetime

import pytest

from apprentices.models import Apprentice
from epa import gateway
from epa.models import EpaStateError, GatewayAttempt
from tests.factories import make_apprentice, make_evidence


def test_a_version_without_an_epa_plan_cannot_enter_gateway(st0494, provider_user):
    from standards.models import StandardVersion

    v1_0 = StandardVersion.objects.get(standard__reference="ST0494", version="1.0")
    apprentice = make_apprentice(version=v1_0, training_provider=provider_user.organisation)
    [blocker] = gateway.gateway_blockers(apprentice)
    assert "end-point assessment plan of ST0494 version 1.0 is not yet imported" in blocker
    assert "An administrator must import the EPA plan" in blocker
    with pytest.raises(EpaStateError, match="not yet imported"):
        gateway.start_gateway(apprentice, by=provider_user)


def test_v1_1_lacks_a_combination_rule_but_can_enter_gateway(st0494):
    from standards.models import StandardVersion

    v1_1 = StandardVersion.objects.get(standard__reference="ST0494", version="1.1")
    apprentice = make_apprentice(version=v1_1)
    assert gateway.gateway_blockers(apprentice) == []


def test_starting_gateway_builds_the_checklist_from_the_plan(apprentice, provider_user):
    attempt = gateway.start_gateway(apprentice, by=provider_user)
    assert [item.kind for item in attempt.items.all()] == [
        "english_maths",
        "portfolio",
        "employer",
        "provider",
    ]
    with pytest.raises(EpaStateError, match="already open"):
        gateway.start_gateway(apprentice, by=provider_user)


def test_english_and_maths_needs_the_route_taken(apprentice, provider_user):
    attempt = gateway.start_gateway(apprentice, by=provider_user)
    item = attempt.item("english_maths")
    with pytest.raises(EpaStateError, match="Choose how the English and maths"):
        gateway.confirm_item(item, by=provider_user)
    gateway.confirm_item(item, by=provider_user, english_maths="bsl", details="BSL level 2")
    item.refresh_from_db()
    assert item.get_english_maths_display().startswith("British Sign Language")


def test_submitting_needs_every_confirmation(apprentice, provider_user):
    attempt = gateway.start_gateway(apprentice, by=provider_user)
    with pytest.raises(
        EpaStateError, match="Employer confirms the apprentice is ready: not yet confirmed"
    ):
        gateway.submit_gateway(attempt, by=provider_user)


def test_employer_confirms_only_their_own_apprentice(apprentice, provider_user, employer_user):
    from psp.roles import Role
    from tests.factories import make_organisation, make_staff

    attempt = gateway.start_gateway(apprentice, by=provider_user)
    item = attempt.item("employer")
    assert item.can_be_confirmed_by(employer_user)
    assert not item.can_be_confirmed_by(provider_user)
    assert not item.can_be_confirmed_by(
        make_staff(role=Role.EMPLOYER, organisation=make_organisation())
    )


def test_submission_freezes_the_pack_and_later_edits_do_not_change_it(
    submitted_attempt, apprentice
):
    pack, digest = submitted_attempt.pack, submitted_attempt.pack_hash
    assert len(pack["evidence"]) == 1
    assert digest == gateway.pack_hash(pack)
    assert len(digest) == 64
    evidence = apprentice.evidence.get()
    evidence.title = "Renamed after gateway"
    evidence.save()
    make_evidence(apprentice=apprentice, status="accepted")
    submitted_attempt.refresh_from_db()
    assert submitted_attempt.pack == pack
    assert submitted_attempt.pack_hash == digest
    assert gateway.pack_hash(gateway.build_pack(apprentice)) != digest
    assert Apprentice.objects.get(pk=apprentice.pk).status == "gateway"


def test_rejected_gateway_keeps_the_attempt_and_can_be_resubmitted(
    submitted_attempt, apprentice, epao_admin, provider_user
):
    decisions = {item.pk: ("accepted", "") for item in submitted_attempt.items.all()}
    english = submitted_attempt.item("english_maths")
    decisions[english.pk] = ("rejected", "")
    with pytest.raises(EpaStateError, match="Give a reason for rejecting"):
        gateway.decide_gateway(submitted_attempt, decisions, by=epao_admin)
    decisions[english.pk] = ("rejected", "Certificate missing")
    assert gateway.decide_gateway(submitted_attempt, decisions, by=epao_admin) is None
    submitted_attempt.refresh_from_db()
    assert submitted_attempt.status == "rejected"
    second = gateway.start_gateway(apprentice, by=provider_user)
    assert second.number == 2
    assert list(apprentice.gateway_attempts.values_list("number", "status")) == [
        (1, "rejected"),
        (2, "preparing"),
    ]


def test_accepted_gateway_starts_the_epa_period_and_computes_deadlines(epa):
    assert epa.period_start == datetime.date(2031, 3, 3)
    assert epa.period_end == datetime.date(2031, 7, 3)
    interview, demonstration = epa.assessments.order_by("method__number")
    assert interview.deadline is None
    # End of week 8 of a period starting on Monday 3 March 2031 is Sunday 27 April.
    assert demonstration.deadline == datetime.date(2031, 4, 27)
    assert epa.apprentice.gateway_attempts.get().status == GatewayAttempt.Status.ACCEPTED
    assert Apprentice.objects.get(pk=epa.apprentice_id).status == "in_epa"


def test_only_one_live_gateway_attempt_is_allowed_by_the_database(apprentice, provider_user):
    from django.db import IntegrityError, transaction

    gateway.start_gateway(apprentice, by=provider_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        GatewayAttempt.objects.create(apprentice=apprentice, number=9, created_by=provider_user)


def test_months_are_added_to_the_last_day_of_a_short_month():
    assert gateway.add_months(datetime.date(2031, 10, 31), 4) == datetime.date(2032, 2, 29)
