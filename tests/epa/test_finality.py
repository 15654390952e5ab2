"""The database refuses to change a final result, whatever asks it (raw SQL here)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from epa import grading
from epa.models import Amendment, CriterionDecision, EpaResult, MethodAssessment
from psp.roles import Role
from tests.epa.test_grading import grade_all
from tests.epa.test_views import assessment_post
from tests.factories import make_staff


@pytest.fixture(autouse=True)
def _no_purge(monkeypatch):
    """The suite lets its flush empty every table (tests/conftest.py); here nothing may."""
    from psp import audit

    monkeypatch.setattr(audit, "ALLOW_PURGE", False)


@pytest.fixture
def final_epa(epa, epao_admin):
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)
    epa.refresh_from_db()
    return epa


def refused(sql, *params):
    with pytest.raises(IntegrityError, match="final EPA result cannot be changed"):  # noqa: SIM117
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_the_database_refuses_to_change_or_delete_a_final_method_grade(final_epa):
    one = final_epa.assessments.order_by("method__number").first()
    assert one.is_final
    refused("UPDATE epa_methodassessment SET grade = 'fail' WHERE id = %s", one.pk)
    refused("UPDATE epa_methodassessment SET is_final = %s WHERE id = %s", False, one.pk)
    refused("DELETE FROM epa_methodassessment WHERE id = %s", one.pk)
    decision = CriterionDecision.objects.filter(assessment=one).first()
    refused("UPDATE epa_criteriondecision SET pass_met = %s WHERE id = %s", False, decision.pk)
    refused("DELETE FROM epa_criteriondecision WHERE id = %s", decision.pk)
    one.refresh_from_db()
    assert (one.grade, one.is_final) == ("distinction", True)


def test_retention_may_still_blank_the_free_text_of_a_final_result(final_epa):
    one = final_epa.assessments.order_by("method__number").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE epa_methodassessment SET judgement = 'removed' WHERE id = %s", [one.pk]
        )
    one.refresh_from_db()
    assert (one.judgement, one.grade) == ("removed", "distinction")


def test_an_assessment_not_yet_final_can_still_be_corrected(epa):
    grade_all(epa)
    one = epa.assessments.order_by("method__number").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE epa_methodassessment SET grade = 'pass' WHERE id = %s", [one.pk])
    one.refresh_from_db()
    assert one.grade == "pass"


def test_the_database_refuses_to_change_or_delete_a_result_or_an_amendment(final_epa):
    result = final_epa.latest_result
    refused("UPDATE epa_eparesult SET overall_grade = 'distinction' WHERE id = %s", result.pk)
    refused("DELETE FROM epa_eparesult WHERE id = %s", result.pk)
    second = make_staff(role=Role.EPAO_ADMIN, organisation=final_epa.apprentice.epao)
    amendment = grading.amend_result(
        result,
        by=second,
        method_grades={1: "pass", 2: "pass"},
        overall_after="pass",
        reason="Clerical error",
    )
    refused("UPDATE epa_amendment SET overall_after = 'distinction' WHERE id = %s", amendment.pk)
    refused("DELETE FROM epa_amendment WHERE id = %s", amendment.pk)
    assert Amendment.objects.get(pk=amendment.pk).overall_after == "pass"
    assert EpaResult.objects.get(pk=result.pk).overall_grade == "merit"


def test_a_resit_must_follow_an_attempt(final_epa):
    one = final_epa.assessments.order_by("method__number").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        MethodAssessment.objects.create(
            epa=final_epa, method=one.method, attempt=2, kind="resit", sitting=2
        )


def test_a_direct_post_changing_a_final_grade_is_refused(client, epa, epao_admin):
    grade_all(epa, first=(True, True), second=(False, False))
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)
    one, two = epa.assessments.order_by("method__number")
    grading.record_resit(epa, by=epao_admin, kind="retake", method_ids=[two.method_id])
    client.force_login(epa.assessor)
    url = reverse("epa:assessment_record", args=[epa.pk, one.pk])
    data = assessment_post(one, questions=3)
    data.update({f"pass_{c.pk}": "no" for c in one.method.grading_criteria.all()})
    assert client.post(url, data).status_code == 403
    assert client.get(url).status_code == 403
    one.refresh_from_db()
    assert one.grade == "distinction"
    page = client.get(epa.get_absolute_url()).content.decode()
    assert url not in page
    resit = epa.assessments.get(attempt=2)
    assert reverse("epa:assessment_record", args=[epa.pk, resit.pk]) in page
