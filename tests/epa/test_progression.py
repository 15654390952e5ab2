"""The database refuses an apprentice status from gateway on without the gateway and EPA
records behind it (epa.progression), whatever asks it: raw SQL here."""

import pytest
from django.db import IntegrityError, connection, transaction

from apprentices.models import Apprentice
from epa import grading
from psp.roles import Role
from tests.epa.test_grading import grade_all
from tests.factories import make_apprentice, make_staff

REFUSED = "only through gateway and the EPA"


def set_status(apprentice, status):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apprentices_apprentice SET status = %s WHERE id = %s", [status, apprentice.pk]
        )
    return Apprentice.objects.get(pk=apprentice.pk).status


def refused(apprentice, status):
    with pytest.raises(IntegrityError, match=REFUSED), transaction.atomic():
        set_status(apprentice, status)
    return Apprentice.objects.get(pk=apprentice.pk).status


def finish(epa, epao_admin, *, fail=False):
    grade_all(epa, second=(False, False)) if fail else grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)
    epa.refresh_from_db()


@pytest.mark.parametrize("status", ["gateway", "in_epa", "completed"])
def test_a_raw_update_to_a_workflow_status_without_its_record_is_refused(apprentice, status):
    assert refused(apprentice, status) == "on_programme"


@pytest.mark.parametrize("status", ["break", "withdrawn", "on_programme"])
def test_the_other_statuses_are_free(apprentice, status):
    assert set_status(apprentice, status) == status


@pytest.mark.parametrize("status", ["gateway", "in_epa", "completed"])
def test_a_new_apprentice_cannot_start_in_a_workflow_status(version, status):
    existing = make_apprentice(version=version)
    with (
        pytest.raises(IntegrityError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO apprentices_apprentice (user_id, uln, standard_version_id, "
            "start_date, planned_gateway_date, employer_id, training_provider_id, status, "
            "created_at, updated_at) SELECT user_id, '9999999999', standard_version_id, "
            "start_date, planned_gateway_date, employer_id, training_provider_id, %s, "
            "created_at, updated_at FROM apprentices_apprentice WHERE id = %s",
            [status, existing.pk],
        )


def test_a_submitted_gateway_allows_at_gateway_only(submitted_attempt):
    apprentice = submitted_attempt.apprentice
    assert Apprentice.objects.get(pk=apprentice.pk).status == "gateway"  # the workflow's
    assert refused(apprentice, "in_epa") == "gateway"
    assert refused(apprentice, "completed") == "gateway"
    assert set_status(apprentice, "on_programme") == "on_programme"
    assert set_status(apprentice, "gateway") == "gateway"


def test_an_epa_allows_in_epa_but_not_completed_before_a_result(epa):
    assert Apprentice.objects.get(pk=epa.apprentice_id).status == "in_epa"  # the workflow's
    assert refused(epa.apprentice, "completed") == "in_epa"


def test_a_passed_result_completes_the_apprentice(epa, epao_admin):
    finish(epa, epao_admin)
    assert Apprentice.objects.get(pk=epa.apprentice_id).status == "completed"  # the workflow's
    set_status(epa.apprentice, "in_epa")
    assert set_status(epa.apprentice, "completed") == "completed"


def test_a_failed_result_does_not_complete_the_apprentice_until_amended(epa, epao_admin):
    finish(epa, epao_admin, fail=True)
    assert Apprentice.objects.get(pk=epa.apprentice_id).status == "in_epa"
    assert refused(epa.apprentice, "completed") == "in_epa"
    result = epa.latest_result
    second = make_staff(role=Role.EPAO_ADMIN, organisation=epa.apprentice.epao)
    grading.amend_result(
        result,
        by=second,
        method_grades={1: "pass", 2: "pass"},
        overall_after="pass",
        reason="Clerical error: the second method was met",
    )
    assert Apprentice.objects.get(pk=epa.apprentice_id).status == "completed"  # the workflow's
    set_status(epa.apprentice, "in_epa")
    assert set_status(epa.apprentice, "completed") == "completed"


def test_an_amendment_to_a_fail_leaves_the_apprentice_in_epa_for_a_resit(epa, epao_admin):
    finish(epa, epao_admin)
    assert Apprentice.objects.get(pk=epa.apprentice_id).status == "completed"
    second = make_staff(role=Role.EPAO_ADMIN, organisation=epa.apprentice.epao)
    grading.amend_result(
        epa.latest_result,
        by=second,
        method_grades={1: "distinction", 2: "fail"},
        overall_after="fail",
        reason="Clerical error: the second method was not met",
    )
    assert Apprentice.objects.get(pk=epa.apprentice_id).status == "in_epa"
