"""A standard version written out as JSON, in the two formats psp imports:

- the official format of the apprenticeship-standards API (see DATA-NOTES), under the API's
  own names and in its order, with the two things psp holds that the API does not carry (the
  date updated, the provenance) under a "psp" key;
- psp's own EPA plan format (docs/epa-plan-format.md).

Importing an export into an empty database gives back the same version.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db.models import Prefetch

from standards.models import KSB, EpaPlan, StandardVersion

EPA_PLAN_FORMAT = "psp-epa-plan"
EPA_PLAN_FORMAT_VERSION = 1

# The official format refers to KSBs and duties only by GUID. A KSB or duty that has no
# official GUID (for example, one typed in from a standard's web page) is exported with
# a stable GUID made from this namespace; importing recognises such a GUID and does not
# store it as an official one.
PSP_GUID_NAMESPACE = uuid.UUID("0f6c2f3e-2a47-5a4e-9d43-7f1a3c5e0494")

KSB_LISTS = {
    KSB.Kind.KNOWLEDGE: ("knowledges", "knowledgeId", "mappedKnowledge"),
    KSB.Kind.SKILL: ("skills", "skillId", "mappedSkills"),
    KSB.Kind.BEHAVIOUR: ("behaviours", "behaviourId", "mappedBehaviour"),
}


def made_up_guid(reference: str, version: str, code: str) -> uuid.UUID:
    """The stable GUID psp exports for a KSB (code "K1") or duty (code "D1") without one."""
    return uuid.uuid5(PSP_GUID_NAMESPACE, f"{reference} {version} {code}")


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def export_official(version: StandardVersion) -> dict[str, Any]:
    reference = version.standard.reference

    def guid(item: Any, code: str) -> str:
        return str(item.guid or made_up_guid(reference, version.version, code))

    minimum = version.off_the_job_minimum_hours
    data: dict[str, Any] = {
        "larsCode": int(version.lars_code) if version.lars_code.isdigit() else version.lars_code,
        "referenceNumber": reference,
        "title": version.title,
        "status": version.get_status_display(),
        "versionNumber": version.version,
        "change": version.change_detail,
        "earliestStartDate": _date(version.earliest_start_date),
        "latestStartDate": _date(version.latest_start_date),
        "latestEndDate": _date(version.latest_end_date),
        "overviewOfRole": version.overview_of_role,
        "level": version.level,
        "ePALength": version.epa_length_months,
        "typicalDuration": version.typical_duration_months,
        "minimumHoursForCompliance": "" if minimum is None else str(minimum),  # text in the API
        "maxFunding": version.max_funding,
        "route": version.route,
        "keywords": list(version.keywords),
        "version": version.version,
        "occupationalSummary": version.occupation_summary,
        "eQAProvider": {"providerName": version.eqa_provider} if version.eqa_provider else None,
        "approvedForDelivery": _date(version.approved_for_delivery),
        "integration": version.integration,
        "involvedEmployers": version.employers_involved,
        "typicalJobTitles": list(version.typical_job_titles),
        "englishAndMathsQualifications": version.english_and_maths,
        "coreAndOptions": version.core_and_options,
    }
    options = list(version.options.all())
    if options:
        data["options"] = [
            {
                "optionId": guid(option, f"O{option.number}"),
                "title": option.title,
                "occupationCode": option.occupation_code,
            }
            for option in options
        ]
    ksbs = list(version.ksbs.in_standard_order())
    if version.ksbs_imported:
        for kind, (list_key, id_key, _) in KSB_LISTS.items():
            data[list_key] = [
                {id_key: guid(ksb, ksb.code), "detail": ksb.text}
                for ksb in ksbs
                if ksb.kind == kind
            ]
    if version.duties_imported:
        duties = version.duties.prefetch_related(
            Prefetch("ksbs", queryset=KSB.objects.in_standard_order()), "options"
        )
        data["duties"] = [
            {
                "dutyID": guid(duty, f"D{duty.number}"),
                "dutyDetail": duty.text,
                "isThisACoreDuty": None if duty.is_core is None else int(duty.is_core),
                "criteriaForMeasuringPerformance": "\n".join(duty.criteria),
                "mappedOptions": [
                    guid(option, f"O{option.number}") for option in duty.options.all()
                ],
                **{
                    mapped_key: [guid(ksb, ksb.code) for ksb in duty.ksbs.all() if ksb.kind == kind]
                    for kind, (_, _, mapped_key) in KSB_LISTS.items()
                },
            }
            for duty in duties
        ]
    # What psp holds that the API does not carry.
    data["psp"] = {"dateUpdated": _date(version.date_updated), "provenance": version.provenance}
    return data


def export_epa_plan(plan: EpaPlan) -> dict[str, Any]:
    """The plan in psp's EPA plan format: only the parts that have been imported."""
    version = plan.version
    data: dict[str, Any] = {
        "format": EPA_PLAN_FORMAT,
        "formatVersion": EPA_PLAN_FORMAT_VERSION,
        "reference": version.standard.reference,
        "version": version.version,
        "provenance": plan.provenance,
    }
    if plan.epa_period_months is not None:
        data["epaPeriodMonths"] = plan.epa_period_months
    if plan.overall_grades:
        data["overallGrades"] = list(plan.overall_grades)
    if plan.gateway_imported:
        data["gatewayRequirements"] = [
            {"kind": requirement.kind, "text": requirement.text}
            for requirement in plan.gateway_requirements.all()
        ]
    methods = list(
        plan.methods.prefetch_related(
            Prefetch("ksbs", queryset=KSB.objects.in_standard_order()),
            "grading_criteria",
            Prefetch("grading_criteria__ksbs", queryset=KSB.objects.in_standard_order()),
        )
    )
    if plan.methods_imported:
        data["assessmentMethods"] = [_method(method, plan) for method in methods]
    if plan.grading_imported:
        data["gradingCriteria"] = [
            {
                "method": method.number,
                "code": criterion.code,
                "pass": criterion.pass_descriptor,
                "distinction": criterion.distinction_descriptor,
                "ksbs": [ksb.code for ksb in criterion.ksbs.all()],
            }
            for method in methods
            for criterion in method.grading_criteria.all()
        ]
    if plan.combination_imported:
        data["gradeCombinations"] = [
            {
                "methodGrades": dict(
                    sorted(combination.method_grades.items(), key=lambda item: int(item[0]))
                ),
                "overall": combination.overall_grade,
            }
            for combination in plan.grade_combinations.all()
        ]
    if plan.resits_imported:
        data["resits"] = {
            "gradeCap": plan.resit_grade_cap or None,
            "limit": plan.resit_limit,
            "withinMonths": plan.resit_within_months,
            "methods": plan.resit_methods or None,
        }
    return data


def _method(method: Any, plan: EpaPlan) -> dict[str, Any]:
    data = {
        "name": method.name,
        "summary": method.summary,
        "durationMinutes": method.duration_minutes,
        "durationIsMinimum": method.duration_is_minimum,
        "minimumQuestions": method.minimum_questions,
        "submissionDeadlineWeek": method.submission_deadline_week,
        "submissionRequirement": method.submission_requirement,
        "requiresPortfolio": method.requires_portfolio,
    }
    if plan.ksb_mapping_imported:
        data["ksbs"] = [ksb.code for ksb in method.ksbs.all()]
    if plan.grading_imported:
        data["grades"] = list(method.grades)
    return data
