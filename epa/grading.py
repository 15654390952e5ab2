"""Recording assessments, grading from criteria, the overall grade, moderation, resits and
amendments. Grading rules come from the version's EPA plan (data), never from code."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.defaultfilters import pluralize
from django.utils import timezone

from apprentices.models import Apprentice
from apprentices.uploads import CheckedUpload
from epa import notices
from epa.gateway import add_months, add_to_supplement
from epa.models import (
    Amendment,
    ConflictOfInterest,
    CriterionDecision,
    Epa,
    EpaEvent,
    EpaResult,
    EpaStateError,
    MethodAssessment,
    MethodModeration,
    MethodSubmission,
    Question,
)
from progress.training import long_date
from psp.roles import Role
from standards.models import AssessmentMethod, EpaPlan, GradingCriterion

if TYPE_CHECKING:
    from psp.models import User

FAIL, PASS, DISTINCTION = "fail", "pass", "distinction"


@dataclass(frozen=True)
class Decision:
    criterion: GradingCriterion
    pass_met: bool
    distinction_met: bool | None


def grade_from_criteria(decisions: Sequence[Decision]) -> str:
    """Any pass criterion not met: fail; every distinction criterion met: distinction;
    otherwise pass."""
    if not decisions or not all(d.pass_met for d in decisions):
        return FAIL
    with_distinction = [d for d in decisions if d.criterion.distinction_descriptor]
    if with_distinction and all(d.distinction_met for d in with_distinction):
        return DISTINCTION
    return PASS


def method_grade_choices(method: AssessmentMethod, plan: EpaPlan) -> list[str]:
    """Grades an assessor can give directly: the method's own scale, else the plan's."""
    return list(method.grades or plan.overall_grades)


def cap(grade: str, cap_at: str, scale: Sequence[str]) -> str:
    """The grade, no higher than the cap on the scale (lowest first)."""
    if not cap_at or grade not in scale or cap_at not in scale:
        return grade
    return scale[min(scale.index(grade), scale.index(cap_at))]


def overall_grade(plan: EpaPlan, method_grades: dict[int, str]) -> str | None:
    """The overall grade from the plan's combination table, or None if it has no row
    for these method grades (or the table is not imported)."""
    if not plan.combination_imported:
        return None
    wanted = {str(number): grade for number, grade in method_grades.items()}
    for combination in plan.grade_combinations.all():
        if {str(k): v for k, v in combination.method_grades.items()} == wanted:
            return str(combination.overall_grade)
    return None


@dataclass(frozen=True)
class Overall:
    """The overall grade of a sitting: from the plan's table, then any resit cap."""

    grade: str | None
    uncapped: str | None
    rule: str


def _revised_rules(plan: EpaPlan, revision: int) -> tuple[Any, str]:
    """(combination rows, resit cap) of an earlier revision of the plan's rules."""
    kept = plan.revisions.filter(number=revision).first()
    content = kept.content if kept else {}
    return content.get("gradeCombinations") or [], (content.get("resits") or {}).get(
        "gradeCap"
    ) or ""


def combine(
    plan: EpaPlan, method_grades: dict[int, str], *, sitting: int, revision: int | None = None
) -> Overall:
    """The overall grade for these method grades, with the rule that produced it. A sitting
    after the first is a resit or retake: the plan's cap applies to the overall grade.
    revision: the plan revision a result was graded under (default: the current one)."""
    given = ", ".join(f"method {n} {g}" for n, g in sorted(method_grades.items()))
    resit_cap = plan.resit_grade_cap
    if revision is not None and revision != plan.revision:
        rows, resit_cap = _revised_rules(plan, revision)
        wanted = {str(n): g for n, g in method_grades.items()}
        table = next((str(r["overall"]) for r in rows if r["methodGrades"] == wanted), None)
    else:
        table = overall_grade(plan, method_grades)
    if table is None:
        return Overall(
            None,
            None,
            f"The EPA plan's combination table has no row for {given} (not yet imported)",
        )
    rule = f"The EPA plan's combination table gives {table} for {given}"
    grade = table
    if sitting > 1 and resit_cap:
        grade = cap(table, resit_cap, plan.overall_grades)
        if grade != table:
            rule += f"; capped at {resit_cap} because sitting {sitting} is a resit or retake"
        else:
            rule += f"; within the resit cap of {resit_cap}"
    return Overall(grade, table, rule)


def latest_assessments(epa: Epa) -> list[MethodAssessment]:
    """The latest attempt at each method of the EPA."""
    latest: dict[int, MethodAssessment] = {}
    for assessment in epa.assessments.select_related("method").order_by(
        "method__number", "attempt"
    ):
        latest[assessment.method_id] = assessment
    return list(latest.values())


def failed_methods(epa: Epa) -> list[MethodAssessment]:
    """The latest attempts failed in the final result (as amended, if it was)."""
    result = epa.latest_result
    grades = result.current_method_grades if result else {}
    return [
        a for a in latest_assessments(epa) if grades.get(a.method.number, a.final_grade) == FAIL
    ]


def _event(epa: Epa, by: User, title: str, description: str = "") -> None:
    EpaEvent.objects.create(
        apprentice_id=epa.apprentice_id, actor=by, title=title, description=description
    )


@transaction.atomic
def assign_assessor(epa: Epa, assessor: User, *, by: User) -> None:
    """Assign an independent assessor of the apprentice's EPAO."""
    apprentice = epa.apprentice
    if assessor.role != Role.ASSESSOR:
        raise EpaStateError(f"{assessor} is not an EPAO assessor")
    if assessor.organisation_id in (apprentice.employer_id, apprentice.training_provider_id):
        raise EpaStateError(
            f"{assessor} works for the apprentice's employer or training provider, so they are "
            "not independent. Choose another assessor"
        )
    if assessor.organisation_id != apprentice.epao_id:
        raise EpaStateError(f"{assessor} does not work for the apprentice's EPAO")
    locked = Epa.objects.select_for_update().get(pk=epa.pk)
    if locked.status == Epa.Status.FINAL:
        raise EpaStateError("The result is final; the assessor can no longer change")
    conflicts = conflicts_with(locked, assessor)
    if conflicts:
        raise EpaStateError(
            f"{assessor} is not independent of this apprentice: "
            + "; ".join(
                f"they declared {CONFLICT_WITH[c.kind]} ({c.whom}) from {c.period}: "
                f"{c.details.rstrip('. ')}"
                for c in conflicts
            )
            + ". Choose another assessor"
        )
    declaration = [
        c.as_record() for c in ConflictOfInterest.objects.standing().filter(assessor=assessor)
    ]
    now = timezone.now()
    Epa.objects.filter(pk=epa.pk).update(
        assessor=assessor, independence_checked_at=now, independence_declaration=declaration
    )
    epa.assessor = assessor
    epa.independence_checked_at, epa.independence_declaration = now, declaration
    checked = (
        f"{len(declaration)} declared conflict{pluralize(len(declaration))} of interest "
        "checked: none concerns this apprentice"
        if declaration
        else "No conflicts of interest declared"
    )
    _event(epa, by, "Assessor assigned", f"{assessor}. {checked}.")


CONFLICT_WITH: dict[str, str] = {
    ConflictOfInterest.Kind.EMPLOYER: "a conflict of interest with the apprentice's employer",
    ConflictOfInterest.Kind.PROVIDER: (
        "a conflict of interest with the apprentice's training provider"
    ),
    ConflictOfInterest.Kind.APPRENTICE: "a conflict of interest with the apprentice",
}


def conflicts_with(epa: Epa, assessor: User) -> list[ConflictOfInterest]:
    """The assessor's declarations that touch this apprentice: their employer or training
    provider during the apprenticeship (from its start to the end of the EPA period), or the
    apprentice themselves at any time. Withdrawn declarations do not count; one that ended
    before the apprenticeship began does not touch it."""
    apprentice = epa.apprentice
    declared = (
        ConflictOfInterest.objects.standing()
        .filter(assessor=assessor)
        .select_related("organisation", "apprentice__user")
    )
    during = declared.in_effect_between(apprentice.start_date, epa.period_end).filter(
        Q(kind=ConflictOfInterest.Kind.EMPLOYER, organisation_id=apprentice.employer_id)
        | Q(kind=ConflictOfInterest.Kind.PROVIDER, organisation_id=apprentice.training_provider_id)
    )
    personal = declared.filter(kind=ConflictOfInterest.Kind.APPRENTICE, apprentice=apprentice)
    return [*during, *personal]


def schedule_problem(assessment: MethodAssessment, day: datetime.date) -> str:
    """Why the assessment cannot take place on this day, or empty: it must fall within the
    EPA period (from the gateway date), and after the day its material is due."""
    epa = assessment.epa
    gateway_date = epa.gateway.gateway_date or epa.period_start
    if day < gateway_date:
        return f"Choose a date on or after the gateway date, {long_date(gateway_date)}"
    if assessment.kind == MethodAssessment.Kind.FIRST and not (
        epa.period_start <= day <= epa.period_end
    ):
        return (
            f"Choose a date within the EPA period, {long_date(epa.period_start)} to "
            f"{long_date(epa.period_end)}"
        )
    deadline = assessment.deadline
    if deadline and day <= deadline:
        return (
            f"Choose a date after {long_date(deadline)}, when the material for "
            f"{assessment.method.name} is due (end of week "
            f"{assessment.method.submission_deadline_week} of the EPA period)"
        )
    return ""


@transaction.atomic
def schedule(
    assessment: MethodAssessment,
    *,
    by: User,
    scheduled_for: datetime.datetime,
    location: str,
    adjustments: str,
) -> None:
    MethodAssessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.is_graded:
        raise EpaStateError("This assessment has been graded, so it cannot be rescheduled")
    problem = schedule_problem(assessment, timezone.localdate(scheduled_for))
    if problem:
        raise EpaStateError(problem)
    assessment.scheduled_for = scheduled_for
    assessment.location = location
    assessment.adjustments = adjustments
    assessment.version = F("version") + 1
    assessment.save(update_fields=["scheduled_for", "location", "adjustments", "version"])
    transaction.on_commit(lambda: notices.epa_scheduled(assessment), robust=True)
    assessment.refresh_from_db()
    _event(
        assessment.epa,
        by,
        f"{assessment.method.name} scheduled",
        f"{long_date(timezone.localtime(scheduled_for).date())}, "
        f"{timezone.localtime(scheduled_for):%H:%M}, {location}",
    )


@transaction.atomic
def hand_in(
    assessment: MethodAssessment,
    upload: CheckedUpload,
    *,
    kind: str,
    by: User,
    at: datetime.datetime | None = None,
) -> MethodSubmission:
    """The apprentice hands in material for a method. After the deadline it is still taken,
    and kept as late, so the assessor sees it. It joins the gateway pack's supplement with
    its hash (epa.gateway.supplement). `at` is when it was handed in: now, unless the demo
    gives its history."""
    locked = (
        MethodAssessment.objects.select_for_update().select_related("epa").get(pk=assessment.pk)
    )
    locked.epa.apprentice = assessment.epa.apprentice
    if not locked.can_receive_material_from(by):
        raise EpaStateError("This method is not taking material from you now")
    deadline = assessment.deadline
    assert deadline is not None  # can_receive_material_from: the method has a deadline
    submission = MethodSubmission(
        assessment=assessment,
        kind=kind,
        original_name=upload.name,
        content_type=upload.file_type.content_type,
        size=upload.size,
        sha256=upload.sha256,
        uploaded_by=by,
        uploaded_at=at or timezone.now(),
        due_on=deadline,
    )
    add_to_supplement(submission, locked.epa.gateway)
    submission.file.save(upload.sha256, upload.upload, save=False)
    submission.save()
    late = " (late)" if submission.is_late else ""
    _event(
        assessment.epa,
        by,
        f"{submission.get_kind_display()} handed in for {assessment.method.name}{late}",
        f"{submission.original_name}, SHA-256 {submission.sha256}; gateway pack supplement "
        f"SHA-256 {submission.supplement_hash}",
    )
    return submission


@dataclass(frozen=True)
class AssessmentRecord:
    assessed_on: datetime.date
    duration_minutes: int
    questions: list[tuple[str, str]]
    evidence_referred: str
    judgement: str
    decisions: list[Decision]
    grade: str = ""
    grade_justification: str = ""


@transaction.atomic
def record_assessment(
    assessment: MethodAssessment, record: AssessmentRecord, *, by: User, seen_version: int
) -> None:
    """Save the assessor's record and provisional grade.

    seen_version is the version the assessor's form was built from: if someone saved in
    the meantime, nothing is saved and they are told, so no update is lost silently.
    """
    locked = (
        MethodAssessment.objects.select_for_update().select_related("epa").get(pk=assessment.pk)
    )
    if locked.version != seen_version:
        who = locked.recorded_by or "someone else"
        raise EpaStateError(
            f"{who} saved this assessment after you opened it, so your changes were not saved. "
            "Open it again to see their version"
        )
    if locked.is_final:
        raise EpaStateError(
            "This result is final and cannot be changed. A correction is an amendment; "
            "a second go is a resit or retake"
        )
    if not locked.epa.can_be_graded_by(by):
        raise EpaStateError("This EPA is not open for grading by you")
    if locked.sitting != locked.epa.sitting:
        raise EpaStateError("This attempt belongs to an earlier sitting and cannot be changed")
    method = assessment.method
    minimum = method.minimum_questions or 0
    if len(record.questions) < minimum:
        raise EpaStateError(
            f"The EPA plan needs at least {minimum} questions for {method.name}; "
            f"you recorded {len(record.questions)}"
        )
    if (
        method.duration_is_minimum
        and method.duration_minutes
        and record.duration_minutes < method.duration_minutes
    ):
        raise EpaStateError(
            f"The EPA plan says {method.name} lasts at least {method.duration_minutes} minutes; "
            f"you recorded {record.duration_minutes}. Record the actual duration of a "
            "complete assessment"
        )
    plan = locked.epa.plan
    criteria = list(method.grading_criteria.all()) if plan.grading_imported else []
    if criteria:
        decided = {d.criterion.pk for d in record.decisions}
        undecided = [c.code for c in criteria if c.pk not in decided]
        if undecided:
            raise EpaStateError(f"Decide every grading criterion: {', '.join(undecided)}")
        grade = grade_from_criteria(record.decisions)
    else:
        if record.grade not in method_grade_choices(method, plan):
            raise EpaStateError("Choose a grade for the method")
        if not record.grade_justification.strip():
            raise EpaStateError(
                "Explain the grade: the EPA plan's grading criteria are not imported"
            )
        grade = record.grade
    assessment.assessed_on = record.assessed_on
    assessment.duration_minutes = record.duration_minutes
    assessment.evidence_referred = record.evidence_referred
    assessment.judgement = record.judgement
    assessment.grade = grade
    assessment.grade_justification = record.grade_justification
    assessment.recorded_by = by
    assessment.recorded_at = timezone.now()
    assessment.version = locked.version + 1
    assessment.save()
    assessment.questions.all().delete()
    Question.objects.bulk_create(
        Question(assessment=assessment, number=n, text=text, notes=notes)
        for n, (text, notes) in enumerate(record.questions, start=1)
    )
    _event(
        locked.epa,
        by,
        f"{method.name}: assessment {'recorded' if seen_version == 1 else 'record changed'}",
    )
    assessment.criterion_decisions.all().delete()
    CriterionDecision.objects.bulk_create(
        CriterionDecision(
            assessment=assessment,
            criterion=d.criterion,
            pass_met=d.pass_met,
            distinction_met=d.distinction_met,
        )
        for d in record.decisions
    )


def moderation_problems(epa: Epa) -> list[str]:
    problems = [
        f"{a.method.name} has no grade yet" for a in latest_assessments(epa) if not a.is_graded
    ]
    if not problems and current_overall(epa) is None:
        problems.append(
            "The EPA plan has no rule for combining these method grades into an overall grade "
            "(not yet imported). An administrator must import it"
        )
    return problems


def current_overall(epa: Epa) -> str | None:
    return current_combination(epa).grade


def current_combination(epa: Epa) -> Overall:
    grades = {a.method.number: a.final_grade for a in latest_assessments(epa)}
    return combine(epa.plan, grades, sitting=epa.sitting)


@transaction.atomic
def submit_for_moderation(epa: Epa, *, by: User) -> None:
    locked = Epa.objects.select_for_update().get(pk=epa.pk)
    if not locked.can_be_graded_by(by):
        raise EpaStateError("This EPA is not open for grading by you")
    problems = moderation_problems(epa)
    if problems:
        raise EpaStateError("; ".join(problems))
    Epa.objects.filter(pk=epa.pk).update(
        status=Epa.Status.AWAITING_MODERATION, submitted_at=timezone.now(), moderation_comment=""
    )
    _event(epa, by, "Provisional grades submitted for moderation")


def to_moderate(epa: Epa) -> list[MethodAssessment]:
    """The method results of the open sitting (those carried from an earlier one are final)."""
    return [a for a in latest_assessments(epa) if not a.is_final]


@transaction.atomic
def moderate(
    epa: Epa,
    *,
    by: User,
    confirm: bool,
    comment: str = "",
    methods: dict[int, tuple[bool, str]] | None = None,
) -> EpaResult | None:
    """A second person decides on each method result (assessment id → (agrees, comment);
    None: agrees with all), then confirms the grades (the result becomes final) or returns
    them. Grades are confirmed only if the moderator agrees with every method."""
    locked = Epa.objects.select_for_update().get(pk=epa.pk)
    if not locked.can_be_moderated_by(by):
        raise EpaStateError(
            "These grades are not waiting for your moderation (they may have been moderated "
            "already, or you assessed them)"
        )
    moderated = to_moderate(locked)
    decided = methods if methods is not None else {a.pk: (True, "") for a in moderated}
    missing = [a.method.name for a in moderated if a.pk not in decided]
    if missing:
        raise EpaStateError(f"Decide on every method: {', '.join(missing)}")
    for a in moderated:
        agrees, why = decided[a.pk]
        if not agrees and not why.strip():
            raise EpaStateError(f"Say why you do not agree with the grade for {a.method.name}")
    disagreed = [a.method.name for a in moderated if not decided[a.pk][0]]
    if confirm and disagreed:
        raise EpaStateError(
            f"You do not agree with the grade for {', '.join(disagreed)}: return the grades "
            "to the assessor instead"
        )
    now = timezone.now()
    MethodModeration.objects.bulk_create(
        MethodModeration(
            assessment=a,
            moderator=by,
            at=now,
            grade=a.final_grade,
            agrees=decided[a.pk][0],
            comment=decided[a.pk][1],
        )
        for a in moderated
    )
    if not confirm:
        if not comment.strip():
            raise EpaStateError("Say why you are returning the grades")
        Epa.objects.filter(pk=epa.pk).update(
            status=Epa.Status.IN_PROGRESS, moderation_comment=comment
        )
        details = "; ".join(
            f"{a.method.name}: {'agreed' if decided[a.pk][0] else 'not agreed'}"
            + (f" ({decided[a.pk][1]})" if decided[a.pk][1] else "")
            for a in moderated
        )
        _event(epa, by, "Grades returned to the assessor", f"{comment} {details}".strip())
        return None
    latest = latest_assessments(locked)
    grades = {a.method.number: a.final_grade for a in latest}
    combined = combine(locked.plan, grades, sitting=locked.sitting)
    overall = combined.grade
    if locked.assessor is None:
        raise EpaStateError("No assessor is assigned")
    if overall is None:
        raise EpaStateError("The overall grade cannot be worked out from the EPA plan")
    try:
        with transaction.atomic():
            result = EpaResult.objects.create(
                epa=locked,
                sitting=locked.sitting,
                overall_grade=overall,
                uncapped_grade=(combined.uncapped or "") if combined.uncapped != overall else "",
                rule=combined.rule,
                plan_revision=locked.plan.revision,
                method_grades={str(k): v for k, v in grades.items()},
                assessor=locked.assessor,
                moderator=by,
            )
    except IntegrityError:
        raise EpaStateError("A final result for this sitting already exists") from None
    MethodAssessment.objects.filter(pk__in=[a.pk for a in latest]).update(is_final=True)
    transaction.on_commit(lambda: notices.result_released(result), robust=True)
    Epa.objects.filter(pk=epa.pk).update(status=Epa.Status.FINAL)
    if overall != FAIL:
        Apprentice.objects.filter(pk=locked.apprentice_id).update(
            status=Apprentice.Status.COMPLETED
        )
    _event(epa, by, f"Result confirmed: {overall}", combined.rule)
    return result


@dataclass(frozen=True)
class ResitStatus:
    """What the version's EPA plan says about resits and retakes, for this EPA."""

    known: bool
    rules: list[str]
    used: int
    deadline: datetime.date | None
    refusal: str  # why no further sitting can be recorded now; empty if one can


def resit_status(epa: Epa) -> ResitStatus:
    plan = epa.plan
    used = epa.sitting - 1
    if not plan.resits_imported:
        return ResitStatus(False, [], used, None, "")
    refusal, deadline = "", None
    if plan.resit_limit == 0:
        refusal = "The EPA plan allows no resit or retake"
    elif plan.resit_limit is not None and used >= plan.resit_limit:
        refusal = (
            f"The EPA plan allows at most {plan.resit_limit} resits or retakes and {used} "
            f"{'has' if used == 1 else 'have'} been taken, so no further sitting can be recorded"
        )
    first = min(epa.results.all(), key=lambda r: r.sitting, default=None)
    if plan.resit_within_months and first is not None:
        deadline = add_months(timezone.localdate(first.confirmed_at), plan.resit_within_months)
        if not refusal and timezone.localdate() > deadline:
            refusal = (
                f"The EPA plan allows a resit or retake only within {plan.resit_within_months} "
                f"months of the first result, that is by {deadline:%-d %B %Y}"
            )
    return ResitStatus(True, plan.resit_rules, used, deadline, refusal)


def methods_to_take_again(epa: Epa) -> list[MethodAssessment]:
    """The latest attempts a resit or retake may cover: every method when the plan says so,
    otherwise the failed ones."""
    if epa.plan.resits_imported and epa.plan.resit_methods == EpaPlan.ResitMethods.ALL:
        return latest_assessments(epa)
    return failed_methods(epa)


@transaction.atomic
def record_resit(epa: Epa, *, by: User, kind: str, method_ids: Sequence[int]) -> None:
    """After a fail, a resit or retake as the plan's rules allow; every attempt is kept."""
    locked = Epa.objects.select_for_update().get(pk=epa.pk)
    result = locked.latest_result
    if locked.status != Epa.Status.FINAL or result is None or result.current_grade != FAIL:
        raise EpaStateError("A resit or retake can only follow a final fail")
    status = resit_status(locked)
    if status.refusal:
        raise EpaStateError(status.refusal)
    if kind not in (MethodAssessment.Kind.RESIT, MethodAssessment.Kind.RETAKE):
        raise EpaStateError("Choose resit or retake")
    latest = {a.method_id: a for a in latest_assessments(locked)}
    allowed = {a.method_id for a in methods_to_take_again(locked)}
    chosen = set(method_ids)
    if not chosen:
        raise EpaStateError("Choose the failed method or methods to resit or retake")
    if chosen - allowed:
        raise EpaStateError("Only failed methods can be resat or retaken")
    if locked.plan.resit_methods == EpaPlan.ResitMethods.ALL and chosen != allowed:
        raise EpaStateError("The EPA plan says every method is taken again: choose them all")
    MethodAssessment.objects.bulk_create(
        MethodAssessment(
            epa=locked,
            method_id=mid,
            attempt=latest[mid].attempt + 1,
            kind=kind,
            sitting=locked.sitting + 1,
            follows=latest[mid],
        )
        for mid in sorted(chosen)
    )
    Epa.objects.filter(pk=epa.pk).update(
        status=Epa.Status.IN_PROGRESS, sitting=F("sitting") + 1, submitted_at=None
    )
    label = MethodAssessment.Kind(kind).label
    _event(epa, by, f"{label} recorded", ", ".join(latest[m].method.name for m in sorted(chosen)))


@transaction.atomic
def amend_result(
    result: EpaResult,
    *,
    by: User,
    method_grades: dict[int, str],
    overall_after: str,
    reason: str,
) -> Amendment:
    """A correction to a final result, kept beside it: the result itself never changes.

    The corrected method grades must give the corrected overall grade by the version's
    combination rule (with the resit cap of the sitting), or nothing is recorded."""
    EpaResult.objects.select_for_update().get(pk=result.pk)
    if not by.has_perm("epa.amend_result", result):
        raise EpaStateError(
            "An amendment needs a second person: someone of the EPAO with permission to amend "
            "who neither assessed nor moderated this result"
        )
    if not reason.strip():
        raise EpaStateError("Give the reason for the amendment")
    plan = EpaPlan.objects.get(pk=result.epa.plan.pk)  # as it is now, not as cached
    if overall_after not in plan.overall_grades:
        raise EpaStateError("Choose one of the plan's overall grades")
    before = result.current_grade
    expected = {int(k) for k in result.method_grades}
    if set(method_grades) != expected:
        raise EpaStateError("Give the corrected grade of every method")
    if method_grades == result.current_method_grades and overall_after == before:
        raise EpaStateError(f"Nothing would change: the grade is already {before}")
    combined = combine(plan, method_grades, sitting=result.sitting, revision=result.plan_revision)
    if combined.grade != overall_after:
        given = combined.grade or "no overall grade"
        raise EpaStateError(
            f"The EPA plan's rule gives {given} for these method grades, not {overall_after}: "
            f"{combined.rule}. Correct the method grades or the overall grade"
        )
    amendment = Amendment.objects.create(
        result=result,
        by=by,
        reason=reason,
        overall_before=before,
        overall_after=overall_after,
        method_grades_after={str(k): v for k, v in sorted(method_grades.items())},
    )
    _event(result.epa, by, f"Result amended: {before} → {overall_after}", reason)
    # An amendment of the EPA's final result across pass and fail moves the apprentice as the
    # result would have: a pass completes them, a fail leaves them in EPA for a resit.
    epa = Epa.objects.get(pk=result.epa_id)
    if epa.status == Epa.Status.FINAL and epa.latest_result == result:
        status = Apprentice.Status.IN_EPA if overall_after == FAIL else Apprentice.Status.COMPLETED
        Apprentice.objects.filter(pk=epa.apprentice_id).update(status=status)
    return amendment
