import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from epa import grading
from epa.grading import AssessmentRecord, Decision
from epa.models import EpaResult, EpaStateError, MethodModeration
from psp.roles import Role
from tests.factories import make_staff


def record(assessment, *, questions=3, passes=True, distinctions=True, **fields):
    criteria = list(assessment.method.grading_criteria.all())
    decisions = [
        Decision(
            c, pass_met=passes, distinction_met=distinctions if c.distinction_descriptor else None
        )
        for c in criteria
    ]
    return AssessmentRecord(
        assessed_on=datetime.date(2031, 4, 1),
        duration_minutes=fields.pop("duration", 60),
        questions=[(f"Question {n}", "") for n in range(questions)],
        evidence_referred="Item 1",
        judgement="Sound",
        decisions=decisions,
        **fields,
    )


def grade_all(epa, *, first=(True, True), second=(True, False)):
    one, two = epa.assessments.order_by("method__number")
    grading.record_assessment(
        one,
        record(one, passes=first[0], distinctions=first[1]),
        by=epa.assessor,
        seen_version=one.version,
    )
    grading.record_assessment(
        two,
        record(two, passes=second[0], distinctions=second[1]),
        by=epa.assessor,
        seen_version=two.version,
    )


class _C:
    def __init__(self, distinction=True):
        self.distinction_descriptor = "d" if distinction else ""


@pytest.mark.parametrize(
    ("decisions", "grade"),
    [
        ([(True, True), (True, None)], "distinction"),
        ([(True, False), (True, None)], "pass"),
        ([(False, True), (True, None)], "fail"),
        ([], "fail"),
    ],
)
def test_method_grade_follows_from_the_criteria(decisions, grade):
    made = [
        Decision(_C(distinction=d is not None), pass_met=p, distinction_met=d) for p, d in decisions
    ]
    assert grading.grade_from_criteria(made) == grade


def test_too_few_questions_is_a_clear_error_and_saves_nothing(epa):
    one = epa.assessments.order_by("method__number").first()
    with pytest.raises(
        EpaStateError, match="needs at least 3 questions for Imaginary interview; you recorded 2"
    ):
        grading.record_assessment(
            one, record(one, questions=2), by=epa.assessor, seen_version=one.version
        )
    one.refresh_from_db()
    assert one.grade == ""


def test_only_the_assigned_assessor_can_grade(epa, apprentice):
    other = make_staff(role=Role.ASSESSOR, organisation=apprentice.epao)
    one = epa.assessments.first()
    with pytest.raises(EpaStateError, match="not open for grading by you"):
        grading.record_assessment(one, record(one), by=other, seen_version=one.version)


def test_a_stale_form_is_refused_so_no_update_is_lost(epa):
    one = epa.assessments.order_by("method__number").first()
    seen = one.version
    grading.record_assessment(one, record(one), by=epa.assessor, seen_version=seen)
    with pytest.raises(EpaStateError, match="saved this assessment after you opened it"):
        grading.record_assessment(
            one, record(one, passes=False), by=epa.assessor, seen_version=seen
        )
    one.refresh_from_db()
    assert one.grade == "distinction"


def test_assessor_must_be_independent(epa, apprentice, epao_admin):
    colleague = make_staff(role=Role.ASSESSOR, organisation=apprentice.training_provider)
    with pytest.raises(EpaStateError, match="not independent"):
        grading.assign_assessor(epa, colleague, by=epao_admin)
    not_assessor = make_staff(role=Role.PROVIDER, organisation=apprentice.epao)
    with pytest.raises(EpaStateError, match="is not an EPAO assessor"):
        grading.assign_assessor(epa, not_assessor, by=epao_admin)


def test_overall_grade_comes_from_the_plans_table(epa):
    grade_all(epa)
    assert grading.current_overall(epa) == "merit"


def test_without_a_combination_table_the_grades_cannot_be_submitted(epa):
    plan = epa.plan
    plan.combination_imported = False
    plan.save()
    grade_all(epa)
    with pytest.raises(EpaStateError, match="no rule for combining"):
        grading.submit_for_moderation(epa, by=epa.assessor)


def test_moderation_by_a_second_person_makes_the_result_final(epa, epao_admin):
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    result = grading.moderate(epa, by=epao_admin, confirm=True)
    assert (result.overall_grade, result.method_grades) == (
        "merit",
        {"1": "distinction", "2": "pass"},
    )
    epa.refresh_from_db()
    assert epa.status == "final"
    assert epa.apprentice.__class__.objects.get(pk=epa.apprentice_id).status == "completed"
    with pytest.raises(EpaStateError, match="not waiting for your moderation"):
        grading.moderate(epa, by=epao_admin, confirm=True)


def test_the_assessor_cannot_moderate_their_own_grades(epa, apprentice):
    epa.assessor.groups.add(
        *make_staff(role=Role.EPAO_ADMIN, organisation=apprentice.epao).groups.all()
    )
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    assert not epa.can_be_moderated_by(epa.assessor)


def test_returned_grades_go_back_to_the_assessor_with_the_reason(epa, epao_admin):
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    with pytest.raises(EpaStateError, match="Say why"):
        grading.moderate(epa, by=epao_admin, confirm=False)
    grading.moderate(epa, by=epao_admin, confirm=False, comment="Check M2B evidence")
    epa.refresh_from_db()
    assert (epa.status, epa.moderation_comment) == ("in_progress", "Check M2B evidence")


def test_the_database_refuses_a_second_result_for_a_sitting(epa, epao_admin):
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        EpaResult.objects.create(
            epa=epa,
            sitting=1,
            overall_grade="pass",
            method_grades={},
            assessor=epa.assessor,
            moderator=epao_admin,
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections")
def test_two_moderators_at_once_produce_one_result(epa, epao_admin, apprentice):
    other_admin = make_staff(role=Role.EPAO_ADMIN, organisation=apprentice.epao)
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(user):
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            grading.moderate(epa.__class__.objects.get(pk=epa.pk), by=user, confirm=True)
            outcomes.append("confirmed")
        except EpaStateError as error:
            outcomes.append(str(error))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (epao_admin, other_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("confirmed") == 1
    [refused] = [outcome for outcome in outcomes if outcome != "confirmed"]
    assert "not waiting for your moderation" in refused
    assert EpaResult.objects.filter(epa=epa).count() == 1


def test_resit_after_a_fail_covers_failed_methods_only_and_is_capped(epa, epao_admin):
    grade_all(epa, first=(True, True), second=(False, False))
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    assert grading.moderate(epa, by=epao_admin, confirm=True).overall_grade == "fail"
    one, two = epa.assessments.order_by("method__number")
    with pytest.raises(EpaStateError, match="Only failed methods"):
        grading.record_resit(epa, by=epao_admin, kind="resit", method_ids=[one.method_id])
    grading.record_resit(epa, by=epao_admin, kind="resit", method_ids=[two.method_id])
    epa.refresh_from_db()
    assert (epa.status, epa.sitting) == ("in_progress", 2)
    resit = epa.assessments.get(attempt=2)
    assert (resit.sitting, resit.follows) == (2, two)
    grading.record_assessment(resit, record(resit), by=epa.assessor, seen_version=resit.version)
    resit.refresh_from_db()
    # The method keeps its grade; the cap is on the overall grade (merit by the table).
    assert (resit.grade, resit.final_grade) == ("distinction", "distinction")
    combined = grading.current_combination(epa)
    assert (combined.uncapped, combined.grade) == ("distinction", "pass")
    assert "capped at pass because sitting 2 is a resit or retake" in combined.rule
    assert epa.assessments.count() == 3
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    result = grading.moderate(epa, by=epao_admin, confirm=True)
    assert (result.sitting, result.overall_grade, result.uncapped_grade) == (
        2,
        "pass",
        "distinction",
    )


def test_a_correction_to_a_final_result_is_a_second_persons_amendment(epa, epao_admin, apprentice):
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    result = grading.moderate(epa, by=epao_admin, confirm=True)
    second = make_staff(role=Role.EPAO_ADMIN, organisation=apprentice.epao)
    corrected = {1: "pass", 2: "pass"}
    for who in (epao_admin, epa.assessor):  # the moderator, the assessor
        with pytest.raises(EpaStateError, match="needs a second person"):
            grading.amend_result(
                result, by=who, method_grades=corrected, overall_after="pass", reason="Typo"
            )
    with pytest.raises(EpaStateError, match="reason"):
        grading.amend_result(
            result, by=second, method_grades=corrected, overall_after="pass", reason=" "
        )
    grading.amend_result(
        result, by=second, method_grades=corrected, overall_after="pass", reason="Clerical error"
    )
    result.refresh_from_db()
    assert (result.overall_grade, result.current_grade) == ("merit", "pass")
    assert result.current_method_grades == corrected


def test_an_amendment_against_the_combination_rule_is_refused(epa, epao_admin, apprentice):
    grade_all(epa)  # distinction and pass: merit
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    result = grading.moderate(epa, by=epao_admin, confirm=True)
    second = make_staff(role=Role.EPAO_ADMIN, organisation=apprentice.epao)
    with pytest.raises(EpaStateError, match="rule gives merit for these method grades, not dist"):
        grading.amend_result(
            result,
            by=second,
            method_grades={1: "distinction", 2: "pass"},
            overall_after="distinction",
            reason="Should have been distinction",
        )
    assert not result.amendments.exists()


def test_an_earlier_sittings_final_grade_cannot_be_recorded_again(epa, epao_admin):
    grade_all(epa, first=(True, True), second=(False, False))
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)
    one, two = epa.assessments.order_by("method__number")
    grading.record_resit(epa, by=epao_admin, kind="resit", method_ids=[two.method_id])
    epa.refresh_from_db()
    one.refresh_from_db()
    assert one.is_final
    assert not one.can_be_recorded_by(epa.assessor)
    with pytest.raises(EpaStateError, match="This result is final"):
        grading.record_assessment(
            one, record(one, passes=False), by=epa.assessor, seen_version=one.version
        )
    one.refresh_from_db()
    assert one.grade == "distinction"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections")
def test_two_saves_of_the_same_assessment_at_once_lose_nothing_silently(epa):
    one = epa.assessments.order_by("method__number").first()
    seen = one.version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(passes):
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            grading.record_assessment(
                one.__class__.objects.get(pk=one.pk),
                record(one, passes=passes),
                by=epa.assessor,
                seen_version=seen,
            )
            outcomes.append("saved")
        except EpaStateError as error:
            outcomes.append(str(error))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=save, args=(p,)) for p in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("saved") == 1
    [refused] = [outcome for outcome in outcomes if outcome != "saved"]
    assert "saved this assessment after you opened it" in refused
    one.refresh_from_db()
    assert one.version == seen + 1


def test_a_raw_update_of_a_question_leaves_an_audit_entry(epa):
    # Issue 15, finding 2: questions were not audited.
    import json

    from django.db import connection

    from epa.models import Question
    from psp.models import AuditEntry

    question = Question.objects.create(
        assessment=epa.assessments.first(), number=1, text="What would you do?"
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE epa_question SET text = 'Forged' WHERE id = %s", [question.pk])
    last = AuditEntry.objects.filter(object_type="epa_question", object_id=str(question.pk)).last()
    assert last.action == "update"
    assert json.loads(last.after)["text"] == "Forged"


def fail_and_confirm(epa, moderator):
    """Grade the open sitting as a fail on method 2 and confirm it."""
    for assessment in epa.assessments.filter(sitting=epa.sitting, grade=""):
        passes = assessment.method.number == 1
        grading.record_assessment(
            assessment,
            record(assessment, passes=passes),
            by=epa.assessor,
            seen_version=assessment.version,
        )
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    result = grading.moderate(epa, by=moderator, confirm=True)
    epa.refresh_from_db()
    assert result.overall_grade == "fail"
    return epa.assessments.get(method__number=2, sitting=epa.sitting)


def test_a_resit_beyond_the_plans_limit_is_refused(epa, epao_admin):
    plan = epa.plan
    plan.resit_limit = 1
    plan.save()
    failed = fail_and_confirm(epa, epao_admin)
    grading.record_resit(epa, by=epao_admin, kind="resit", method_ids=[failed.method_id])
    epa.refresh_from_db()
    fail_and_confirm(epa, epao_admin)
    status = grading.resit_status(epa)
    assert status.used == 1
    assert "allows at most 1 resits or retakes and 1 has been taken" in status.refusal
    with pytest.raises(EpaStateError, match="no further sitting can be recorded"):
        grading.record_resit(epa, by=epao_admin, kind="retake", method_ids=[failed.method_id])
    epa.refresh_from_db()
    assert (epa.sitting, epa.assessments.count()) == (2, 3)


def test_a_resit_after_the_plans_period_is_refused(epa, epao_admin, monkeypatch):
    plan = epa.plan
    plan.resit_within_months = 3
    plan.save()
    failed = fail_and_confirm(epa, epao_admin)
    first = timezone.localdate(epa.latest_result.confirmed_at)
    assert grading.resit_status(epa).deadline == grading.add_months(first, 3)
    real = timezone.localdate
    later = first + datetime.timedelta(days=100)
    monkeypatch.setattr(timezone, "localdate", lambda value=None: real(value) if value else later)
    with pytest.raises(EpaStateError, match="only within 3 months of the first result"):
        grading.record_resit(epa, by=epao_admin, kind="resit", method_ids=[failed.method_id])


def test_a_plan_that_retakes_every_method_needs_them_all(epa, epao_admin):
    plan = epa.plan
    plan.resit_methods = "all"
    plan.save()
    failed = fail_and_confirm(epa, epao_admin)
    assert len(grading.methods_to_take_again(epa)) == 2
    with pytest.raises(EpaStateError, match="every method is taken again"):
        grading.record_resit(epa, by=epao_admin, kind="retake", method_ids=[failed.method_id])
    both = [a.method_id for a in grading.latest_assessments(epa)]
    grading.record_resit(epa, by=epao_admin, kind="retake", method_ids=both)
    assert epa.assessments.filter(sitting=2).count() == 2


def test_without_imported_rules_resits_are_allowed_and_no_rule_is_known(epa, epao_admin, client):
    plan = epa.plan
    plan.resits_imported = False
    plan.resit_grade_cap = ""
    plan.save()
    failed = fail_and_confirm(epa, epao_admin)
    status = grading.resit_status(epa)
    assert (status.known, status.refusal) == (False, "")
    client.force_login(epa.apprentice.user)
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "No resit or retake rule is known for" in page
    grading.record_resit(epa, by=epao_admin, kind="resit", method_ids=[failed.method_id])


def test_the_rules_are_shown_to_the_apprentice_and_the_assessor(epa, epao_admin, client):
    plan = epa.plan
    plan.resit_limit = 2
    plan.save()
    fail_and_confirm(epa, epao_admin)
    for user in (epa.apprentice.user, epa.assessor):
        client.force_login(user)
        page = client.get(epa.get_absolute_url()).content.decode()
        assert "The EPA can be resat or retaken at most 2 times." in page
        assert "The overall grade of a resit or retake is capped at pass." in page
        assert "Resits and retakes taken: 0." in page


def test_a_direct_post_of_a_resit_past_the_limit_is_refused(epa, epao_admin, client):
    plan = epa.plan
    plan.resit_limit = 0
    plan.save()
    failed = fail_and_confirm(epa, epao_admin)
    client.force_login(epao_admin)
    url = reverse("epa:epa_resit", args=[epa.pk])
    response = client.post(url, {"kind": "resit", "methods": [failed.method_id]}, follow=True)
    assert "The EPA plan allows no resit or retake." in response.content.decode()
    epa.refresh_from_db()
    assert (epa.sitting, epa.status) == (1, "final")


def test_moderation_records_a_decision_per_method_and_shows_the_rule(client, epa, epao_admin):
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    one, two = epa.assessments.order_by("method__number")
    client.force_login(epao_admin)
    url = reverse("epa:epa_moderate", args=[epa.pk])
    page = client.get(url).content.decode()
    assert "Imaginary interview: Distinction" in page
    assert "Imaginary demonstration: Pass" in page
    assert "Explains widgets: pass met; distinction met" in page
    assert (
        "The EPA plan&#x27;s combination table gives merit for method 1 distinction, "
        "method 2 pass" in page
    )
    disagree = {
        f"agree_{one.pk}": "yes",
        f"agree_{two.pk}": "no",
        f"why_{two.pk}": "M2B not evidenced",
        "decision": "confirm",
    }
    page = client.post(url, disagree).content.decode()
    assert "You do not agree with the grade for Imaginary demonstration" in page
    client.post(url, {**disagree, "decision": "return", "comment": "See method 2"})
    epa.refresh_from_db()
    assert epa.status == "in_progress"
    decisions = {(m.assessment_id, m.agrees, m.comment) for m in MethodModeration.objects.all()}
    assert decisions == {(one.pk, True, ""), (two.pk, False, "M2B not evidenced")}
    with pytest.raises(IntegrityError), transaction.atomic():
        MethodModeration.objects.create(
            assessment=one, moderator=epao_admin, grade="pass", agrees=False
        )


def test_a_result_keeps_the_plan_revision_it_was_graded_under(epa, epao_admin, client):
    from standards.exporting import export_epa_plan
    from standards.plan_importing import import_epa_plan

    grade_all(epa)  # distinction and pass: merit under revision 1
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    result = grading.moderate(epa, by=epao_admin, confirm=True)
    assert result.plan_revision == 1
    revised = export_epa_plan(epa.plan)
    for row in revised["gradeCombinations"]:
        if row["methodGrades"] == {"1": "distinction", "2": "pass"}:
            row["overall"] = "distinction"
    import_epa_plan(revised)
    epa.plan.refresh_from_db()
    assert epa.plan.revision == 2
    client.force_login(epao_admin)
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "Graded under revision 1 of the EPA plan (the plan has since been revised" in page
    second = make_staff(role=Role.EPAO_ADMIN, organisation=epa.apprentice.epao)
    # Amendments follow the rules the result was graded under, not the revised ones.
    with pytest.raises(EpaStateError, match="rule gives merit for these method grades"):
        grading.amend_result(
            result,
            by=second,
            method_grades={1: "distinction", 2: "pass"},
            overall_after="distinction",
            reason="The revised table says distinction",
        )
    result.refresh_from_db()
    assert (result.overall_grade, result.plan_revision) == ("merit", 1)


def test_the_result_page_marks_a_fail_earlier_sittings_and_an_amended_grade(
    epa, epao_admin, apprentice, client
):
    grade_all(epa, first=(True, True), second=(False, False))
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)
    client.force_login(epao_admin)
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "Overall grade: Fail" in page
    assert "govuk-panel psp-result--fail psp-result" in page  # not the green confirmation
    assert "govuk-panel--confirmation" not in page
    assert "Earlier sittings" not in page

    two = epa.assessments.get(method__number=2)
    grading.record_resit(epa, by=epao_admin, kind="resit", method_ids=[two.method_id])
    resit = epa.assessments.get(attempt=2)
    grading.record_assessment(resit, record(resit), by=epa.assessor, seen_version=resit.version)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    result = grading.moderate(epa, by=epao_admin, confirm=True)
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "govuk-panel govuk-panel--confirmation psp-result" in page
    assert "Overall grade: Pass" in page
    assert "(sitting 2)" in page
    assert "<li>Sitting 1: Fail, confirmed" in page

    second = make_staff(role=Role.EPAO_ADMIN, organisation=apprentice.epao)
    grading.amend_result(
        result,
        by=second,
        method_grades={1: "pass", 2: "pass"},
        overall_after="pass",
        reason="Clerical error",
    )
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "How the grade was first worked out: The EPA plan&#x27;s combination table" in page
    assert "to pass for method 1 pass, method 2 pass, which the EPA plan" in page
