"""Importing a version's EPA plan from psp's own JSON format (docs/epa-plan-format.md,
docs/epa-plan.schema.json), by the same rules as standards.importing: every problem
listed with its JSON path, nothing written unless there are none, a part psp already
holds never changed in place, parts not yet imported filled in, the same file twice
changes nothing."""

from __future__ import annotations

import json
import re
from typing import Any, cast

from django.db import transaction

from standards import plan_schema
from standards.exporting import EPA_PLAN_FORMAT, EPA_PLAN_FORMAT_VERSION, export_epa_plan
from standards.importing import ImportResult, refusal
from standards.models import (
    KSB,
    AssessmentMethod,
    EpaPlan,
    EpaPlanRevision,
    GatewayRequirement,
    GradeCombination,
    GradingCriterion,
    StandardVersion,
)
from standards.plain_text import plain_text
from standards.validation import (
    REFERENCE_PATTERN,
    VERSION_PATTERN,
    Checker,
    InvalidImport,
    Problem,
)

PLAN_KEYS = (
    "format",
    "formatVersion",
    "reference",
    "version",
    "provenance",
    "epaPeriodMonths",
    "overallGrades",
    "gatewayRequirements",
    "assessmentMethods",
    "gradingCriteria",
    "gradeCombinations",
    "resits",
)
METHOD_FIELDS = (
    "name",
    "summary",
    "durationMinutes",
    "durationIsMinimum",
    "minimumQuestions",
    "submissionDeadlineWeek",
    "submissionRequirement",
    "requiresPortfolio",
)
CRITERION_KEYS = ("method", "code", "pass", "distinction", "ksbs")
PART_LABELS = {
    "epaPeriodMonths": "EPA period",
    "overallGrades": "overall grades",
    "gatewayRequirements": "gateway requirements",
    "assessmentMethods": "assessment methods",
    "ksbs": "KSB-to-method mapping",
    "gradingCriteria": "grading criteria and method grades",
    "gradeCombinations": "grade combination rule",
    "resits": "resit and retake rules",
}
RESIT_KEYS = ("gradeCap", "limit", "withinMonths", "methods")
REVISABLE = ("gradeCombinations", "resits")
KSB_CODE = re.compile(r"^[KSB][1-9]\d*$")
GRADE_MAX_LENGTH = 20  # GradeCombination.overall_grade, EpaPlan.resit_grade_cap


def _find_version(reference: str, version: str) -> StandardVersion | None:
    return (
        StandardVersion.objects.select_related("standard")
        .filter(standard__reference=reference, version=version)
        .first()
    )


def _existing_plan(version: StandardVersion) -> EpaPlan | None:
    return EpaPlan.objects.filter(version=version).select_related("version__standard").first()


def parse_epa_plan(
    payload: Any, *, reference: str | None = None, version: str | None = None
) -> dict[str, Any]:
    """Validate an EPA plan file and return it in canonical form (the form the exporter
    writes); raise InvalidImport listing every problem. `reference` and `version`, when
    given, must be what the file says.

    jsonschema checks the file against the format's schema (standards.plan_schema, which says
    its errors in psp's words); the checks here are those a schema cannot express. Where both
    find a problem at the same place, these say it."""
    found = plan_schema.problems(payload)
    if not isinstance(payload, dict):
        raise InvalidImport(found)
    obj = cast(dict[str, Any], payload)
    check = Checker()
    ref, ver = _text(obj, "reference"), _text(obj, "version")
    if reference and ref and ref != reference:
        check.add("$.reference", f"is {ref}, but you asked to import into {reference}")
    if version and ver and ver != version:
        check.add("$.version", f"is {ver}, but you asked to import into version {version}")
    data: dict[str, Any] = {
        "format": EPA_PLAN_FORMAT,
        "formatVersion": EPA_PLAN_FORMAT_VERSION,
        "reference": ref,
        "version": ver,
        "provenance": _text(obj, "provenance"),
    }
    identified = bool(REFERENCE_PATTERN.match(ref) and VERSION_PATTERN.match(ver))
    target = _find_version(ref, ver) if identified else None
    if identified and target is None:
        check.add("$.version", f"{ref} v{ver} is not in psp: import the standard version first")
    plan = _existing_plan(target) if target else None
    existing = export_epa_plan(plan) if plan else {}

    months = _number(obj, "epaPeriodMonths")
    if months is not None:
        data["epaPeriodMonths"] = months
    grades = _texts(obj, "overallGrades")
    if grades is not None:
        data["overallGrades"] = grades
    gateway = _gateway(obj)
    if gateway is not None:
        data["gatewayRequirements"] = gateway
    methods = _methods(check, obj)
    if methods is not None:
        data["assessmentMethods"] = methods
    criteria = _criteria(check, obj, methods)
    if criteria is not None:
        data["gradingCriteria"] = criteria
    overall = data.get("overallGrades", existing.get("overallGrades"))
    combinations = _combinations(
        check, obj, methods if methods is not None else existing.get("assessmentMethods"), overall
    )
    if combinations is not None:
        data["gradeCombinations"] = combinations
    resits = obj.get("resits")
    if isinstance(resits, dict):
        cap = _text(resits, "gradeCap") or None
        if cap and overall and cap not in overall:
            check.add("$.resits.gradeCap", f"“{cap}” is not one of the overall grades")
        methods_again = _text(resits, "methods") or None
        data["resits"] = {
            "gradeCap": cap,
            "limit": _number(resits, "limit"),
            "withinMonths": _number(resits, "withinMonths"),
            "methods": methods_again if methods_again in EpaPlan.ResitMethods.values else None,
        }
    if target is not None:
        _check_ksb_codes(check, data, target)
    ours = {problem.path for problem in check.problems}
    check.problems[:0] = [problem for problem in found if problem.path not in ours]
    if target is not None and check.problems and plan is not None:
        # Also report how what did read differs from psp, so one attempt lists everything.
        known = {problem.path for problem in check.problems}
        differences = [p for p in _compare_with_held(data, plan)[0] if p.path not in known]
        check.problems += [refusal(target), *differences] if differences else []
    check.raise_if_any()
    return data


# Reading the file: a value of the wrong type reads as absent (the schema has said so).


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    return plain_text(value) if isinstance(value, str) else ""  # entities, HTML as text


def _number(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _texts(obj: dict[str, Any], key: str) -> list[str] | None:
    values = obj.get(key)
    if not isinstance(values, list):
        return None
    texts = (plain_text(value) for value in values if isinstance(value, str))
    return list(dict.fromkeys(text for text in texts if text))


def _objects(obj: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]] | None:
    """The objects of a list with their index; None when it is not a list."""
    values = obj.get(key)
    if not isinstance(values, list):
        return None
    return [(index, value) for index, value in enumerate(values) if isinstance(value, dict)]


def _gateway(obj: dict[str, Any]) -> list[dict[str, Any]] | None:
    items = _objects(obj, "gatewayRequirements")
    if items is None:
        return None
    return [
        {"kind": _text(item, "kind") or None, "text": _text(item, "text") or None}
        for _, item in items
    ]


def _methods(check: Checker, obj: dict[str, Any]) -> list[dict[str, Any]] | None:
    items = _objects(obj, "assessmentMethods")
    if items is None:
        return None
    grading_given = "gradingCriteria" in obj
    methods: list[dict[str, Any]] = []
    for index, item in items:
        path = f"$.assessmentMethods[{index}]"
        method: dict[str, Any] = {
            "name": _text(item, "name") or None,
            "summary": _text(item, "summary"),
            "durationMinutes": _number(item, "durationMinutes"),
            "durationIsMinimum": item.get("durationIsMinimum") is True,
            "minimumQuestions": _number(item, "minimumQuestions"),
            "submissionDeadlineWeek": _number(item, "submissionDeadlineWeek"),
            "submissionRequirement": _text(item, "submissionRequirement"),
            "requiresPortfolio": item.get("requiresPortfolio") is True,
        }
        codes = _texts(item, "ksbs")
        if codes is not None:
            method["ksbs"] = codes
        grades = _texts(item, "grades")
        if grades is not None and not grading_given:
            check.add(
                f"{path}.grades",
                "method grades are part of the grading criteria: give gradingCriteria too, "
                "or leave grades out",
            )
        elif grading_given and not grades:
            check.add(
                f"{path}.grades", "missing: with gradingCriteria, each method lists its grades"
            )
        if grades is not None:
            method["grades"] = grades
        methods.append(method)
    mapped = [m for m in methods if "ksbs" in m]
    if mapped and len(mapped) < len(methods):
        for (index, _), method in zip(items, methods, strict=True):
            if "ksbs" not in method:
                check.add(
                    f"$.assessmentMethods[{index}].ksbs",
                    "missing: give the KSBs of every method, or of none",
                )
    return methods


def _criteria(
    check: Checker, obj: dict[str, Any], methods: list[dict[str, Any]] | None
) -> list[dict[str, Any]] | None:
    items = _objects(obj, "gradingCriteria")
    if items is None:
        return None
    if methods is None:
        check.add(
            "$.gradingCriteria",
            "needs assessmentMethods in the same file (their grades go with the criteria)",
        )
        return None
    criteria: list[dict[str, Any]] = []
    codes: set[str] = set()
    for index, item in items:
        path = f"$.gradingCriteria[{index}]"
        number = _number(item, "method")
        if number is not None and not 1 <= number <= len(methods):
            if number > len(methods):
                check.add(
                    f"{path}.method", f"there is no method {number}: the file has {len(methods)}"
                )
            number = None
        code = _text(item, "code")
        if code and code in codes:
            check.add(f"{path}.code", f"{code} is used by another criterion")
        codes.add(code)
        ksbs = _texts(item, "ksbs") or []
        if number is not None and "ksbs" in methods[number - 1]:
            for position, ksb in enumerate(ksbs):
                if ksb not in methods[number - 1]["ksbs"]:
                    check.add(
                        f"{path}.ksbs[{position}]", f"{ksb} is not assessed by method {number}"
                    )
        criteria.append(
            {
                "method": number,
                "code": code or None,
                "pass": _text(item, "pass") or None,
                "distinction": _text(item, "distinction"),
                "ksbs": ksbs,
            }
        )
    return sorted(criteria, key=lambda criterion: criterion["method"] or 0)


def _combinations(
    check: Checker,
    obj: dict[str, Any],
    methods: list[dict[str, Any]] | None,
    overall: list[str] | None,
) -> list[dict[str, Any]] | None:
    items = _objects(obj, "gradeCombinations")
    if items is None:
        return None
    if not methods:
        check.add("$.gradeCombinations", "needs the assessment methods, in this file or in psp")
        return None
    if not overall:
        check.add("$.gradeCombinations", "needs overallGrades, in this file or in psp")
    numbers = [str(n) for n in range(1, len(methods) + 1)]
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in items:
        path = f"$.gradeCombinations[{index}]"
        grades = item.get("methodGrades")
        grades = grades if isinstance(grades, dict) else {}
        if grades and sorted(grades, key=lambda key: (len(key), key)) != numbers:
            check.add(
                f"{path}.methodGrades",
                f"must give a grade for each method, by number: {', '.join(numbers)}",
            )
        for number, grade in grades.items():
            known = methods[int(number) - 1].get("grades") if number in numbers else None
            if isinstance(grade, str) and known and grade not in known:
                check.add(
                    f"{path}.methodGrades.{number}",
                    f"“{grade}” is not one of method {number}'s grades ({', '.join(known)})",
                )
        result = _text(item, "overall") or None
        if result and overall and result not in overall:
            check.add(f"{path}.overall", f"“{result}” is not one of the overall grades")
        key = json.dumps(grades, sort_keys=True)
        if key in seen:
            check.add(f"{path}.methodGrades", "the same method grades are in an earlier row")
        seen.add(key)
        ordered = dict(sorted(grades.items(), key=lambda pair: (len(pair[0]), pair[0])))
        rows.append({"methodGrades": ordered, "overall": result})
    return rows


def _check_ksb_codes(check: Checker, data: dict[str, Any], version: StandardVersion) -> None:
    uses = [
        (f"$.assessmentMethods[{i}].ksbs[{j}]", code)
        for i, method in enumerate(data.get("assessmentMethods", []))
        for j, code in enumerate(method.get("ksbs", []))
    ] + [
        (f"$.gradingCriteria[{i}].ksbs[{j}]", code)
        for i, criterion in enumerate(data.get("gradingCriteria", []))
        for j, code in enumerate(criterion["ksbs"])
    ]
    if not uses:
        return
    name = f"{version.standard.reference} v{version.version}"
    if not version.ksbs_imported:
        check.add(
            uses[0][0],
            f"{name} has no KSBs in psp yet: import them (the official standard JSON) first",
        )
        return
    known = {ksb.code for ksb in version.ksbs.all()}
    for path, code in uses:
        if KSB_CODE.match(code) and code not in known:
            check.add(path, f"{code} is not a KSB of {name}")


# Checking against what psp holds, and applying ------------------------------------------


def _differences(path: str, given: Any, held: Any) -> list[Problem]:
    if isinstance(given, dict) and isinstance(held, dict):
        return [
            problem
            for key in {**held, **given}
            for problem in _differences(f"{path}.{key}", given.get(key), held.get(key))
        ]
    if isinstance(given, list) and isinstance(held, list) and given and held:
        if len(given) != len(held) and not all(isinstance(x, str) for x in given + held):
            return [Problem(path, f"has {len(given)} items, but psp holds {len(held)}")]
        if len(given) == len(held):
            return [
                problem
                for index, (a, b) in enumerate(zip(given, held, strict=True))
                for problem in _differences(f"{path}[{index}]", a, b)
            ]
    if given == held:
        return []
    shown = json.dumps(held, ensure_ascii=False)
    shown = shown if len(shown) <= 80 else shown[:77] + "…"
    return [Problem(path, f"differs from psp, which has {shown}")]


def _without(method: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in method.items() if key not in keys}


def _plan_changes(data: dict[str, Any]) -> tuple[StandardVersion, EpaPlan | None, list[str]]:
    version = _find_version(data["reference"], data["version"])
    if version is None:  # parse_epa_plan checked it; it may have gone since
        raise InvalidImport([Problem("$.version", "this version is no longer in psp")])
    plan = _existing_plan(version)
    if plan is None:
        parts = [PART_LABELS[key] for key in PART_LABELS if key in data]
        methods = data.get("assessmentMethods", [])
        if methods and all("ksbs" in method for method in methods):
            parts.insert(parts.index("assessment methods") + 1, PART_LABELS["ksbs"])
        return version, None, ["new EPA plan with " + (", ".join(parts) or "no parts yet")]
    problems, changes = _compare_with_held(data, plan)
    if problems:
        raise InvalidImport([refusal(version), *problems])
    if changes and data["provenance"] != plan.provenance:
        changes.append("provenance updated")
    return version, plan, changes


def _compare_with_held(data: dict[str, Any], plan: EpaPlan) -> tuple[list[Problem], list[str]]:
    """How each part the file gives differs from the part psp holds (problems), and which
    parts it would fill in (changes)."""
    held = export_epa_plan(plan)
    problems: list[Problem] = []
    changes: list[str] = []

    def compare(key: str, given: Any, existing: Any, path: str) -> None:
        if existing is None:
            changes.append(f"{PART_LABELS[key]} added")
        else:
            problems.extend(_differences(path, given, existing))

    for key in ("epaPeriodMonths", "overallGrades", "gatewayRequirements"):
        if key in data:
            compare(key, data[key], held.get(key), f"$.{key}")
    methods = data.get("assessmentMethods")
    held_methods = held.get("assessmentMethods")
    if methods is not None:
        compare(
            "assessmentMethods",
            [_without(m, "ksbs", "grades") for m in methods],
            [_without(m, "ksbs", "grades") for m in held_methods] if held_methods else None,
            "$.assessmentMethods",
        )
        if methods and all("ksbs" in m for m in methods):
            compare(
                "ksbs",
                [{"ksbs": m["ksbs"]} for m in methods],
                [{"ksbs": m.get("ksbs")} for m in held_methods]
                if plan.ksb_mapping_imported and held_methods
                else None,
                "$.assessmentMethods",
            )
    if "gradingCriteria" in data:
        compare(
            "gradingCriteria",
            data["gradingCriteria"],
            held.get("gradingCriteria"),
            "$.gradingCriteria",
        )
        if held.get("gradingCriteria") is not None and held_methods and methods:
            problems.extend(
                _differences(
                    "$.assessmentMethods",
                    [{"grades": m.get("grades")} for m in methods],
                    [{"grades": m.get("grades")} for m in held_methods],
                )
            )
    # The rules (combination table, resit rules) may be revised: the held ones are kept as
    # a revision, and results already graded keep theirs (EpaPlanRevision).
    revised = [
        PART_LABELS[key]
        for key in REVISABLE
        if key in data and held.get(key) is not None and data[key] != held[key]
    ]
    for key in REVISABLE:
        if key in data and held.get(key) is None:
            changes.append(f"{PART_LABELS[key]} added")
    if revised:
        changes.append(f"{' and '.join(revised)} revised: revision {plan.revision + 1}")
    return problems, changes


def check_epa_plan(data: dict[str, Any]) -> list[str]:
    """What importing would change (empty: nothing); raises InvalidImport if it may not."""
    return _plan_changes(data)[2]


@transaction.atomic
def import_epa_plan(data: dict[str, Any], *, dry_run: bool = False) -> ImportResult:
    version, plan, changes = _plan_changes(data)
    result = ImportResult(data["reference"], data["version"], plan is None, changes, dry_run)
    if dry_run or not changes:
        return result
    if plan is not None and any(
        key in data and held_part is not None and data[key] != held_part
        for key, held_part in ((k, export_epa_plan(plan).get(k)) for k in REVISABLE)
    ):
        EpaPlanRevision.objects.create(
            plan=plan, number=plan.revision, content=export_epa_plan(plan)
        )
        plan.revision += 1
        if "gradeCombinations" in data:
            plan.grade_combinations.all().delete()
            plan.combination_imported = False
        if "resits" in data:
            plan.resits_imported = False
    plan = plan or EpaPlan(version=version)
    plan.provenance = data["provenance"]
    if "epaPeriodMonths" in data:
        plan.epa_period_months = data["epaPeriodMonths"]
    if "overallGrades" in data:
        plan.overall_grades = data["overallGrades"]
    plan.save()
    ksbs = {ksb.code: ksb for ksb in version.ksbs.all()}
    if "gatewayRequirements" in data and not plan.gateway_imported:
        GatewayRequirement.objects.bulk_create(
            GatewayRequirement(plan=plan, number=number, **requirement)
            for number, requirement in enumerate(data["gatewayRequirements"], start=1)
        )
        plan.gateway_imported = True
    methods = data.get("assessmentMethods")
    if methods is not None:
        _apply_methods(plan, methods, data.get("gradingCriteria"), ksbs)
    if "gradeCombinations" in data and not plan.combination_imported:
        GradeCombination.objects.bulk_create(
            GradeCombination(
                plan=plan, method_grades=row["methodGrades"], overall_grade=row["overall"]
            )
            for row in data["gradeCombinations"]
        )
        plan.combination_imported = True
    if "resits" in data and not plan.resits_imported:
        resits = data["resits"]
        plan.resit_grade_cap = resits["gradeCap"] or ""
        plan.resit_limit = resits["limit"]
        plan.resit_within_months = resits["withinMonths"]
        plan.resit_methods = resits["methods"] or ""
        plan.resits_imported = True
    plan.save()
    return result


def _apply_methods(
    plan: EpaPlan,
    methods: list[dict[str, Any]],
    criteria: list[dict[str, Any]] | None,
    ksbs: dict[str, KSB],
) -> None:
    if not plan.methods_imported:
        for number, method in enumerate(methods, start=1):
            AssessmentMethod.objects.update_or_create(
                plan=plan,
                number=number,
                defaults={
                    "name": method["name"],
                    "summary": method["summary"],
                    "duration_minutes": method["durationMinutes"],
                    "duration_is_minimum": method["durationIsMinimum"],
                    "minimum_questions": method["minimumQuestions"],
                    "submission_deadline_week": method["submissionDeadlineWeek"],
                    "submission_requirement": method["submissionRequirement"],
                    "requires_portfolio": method["requiresPortfolio"],
                },
            )
        plan.methods_imported = True
    held = {method.number: method for method in plan.methods.all()}
    if methods and all("ksbs" in m for m in methods) and not plan.ksb_mapping_imported:
        for number, method in enumerate(methods, start=1):
            held[number].ksbs.set([ksbs[code] for code in method["ksbs"]])
        plan.ksb_mapping_imported = True
    if criteria is not None and not plan.grading_imported:
        for number, method in enumerate(methods, start=1):
            held[number].grades = method["grades"]
            held[number].save(update_fields=["grades"])
        for criterion in criteria:
            created = GradingCriterion.objects.create(
                method=held[criterion["method"]],
                code=criterion["code"],
                pass_descriptor=criterion["pass"],
                distinction_descriptor=criterion["distinction"],
            )
            created.ksbs.set([ksbs[code] for code in criterion["ksbs"]])
        plan.grading_imported = True
