import io
import json

import pytest
from django.core.management import CommandError, call_command

from standards.importing import import_standard, parse_official
from standards.models import EpaPlan, GradeCombination, GradingCriterion, StandardVersion
from standards.plan_importing import import_epa_plan, parse_epa_plan
from standards.validation import InvalidImport
from tests.factories import make_apprentice
from tests.standards.samples import epa_plan_json, official_json


@pytest.fixture
def widget_version(db):
    import_standard(parse_official(official_json()))
    return StandardVersion.objects.get(standard__reference="ST9990", version="1.0")


def do_import(payload, **options):
    return import_epa_plan(parse_epa_plan(payload), **options)


def problems_of(payload):
    with pytest.raises(InvalidImport) as raised:
        do_import(payload)
    return {problem.path: problem.message for problem in raised.value.problems}


def test_importing_a_plan_creates_every_part_and_marks_it_imported(widget_version):
    result = do_import(epa_plan_json())

    plan = EpaPlan.objects.get(version=widget_version)
    assert result.created
    assert (plan.epa_period_months, plan.resit_grade_cap) == (3, "pass")
    assert (plan.resit_limit, plan.resit_within_months, plan.resit_methods) == (2, 12, "failed")
    assert plan.resit_rules == [
        "The EPA can be resat or retaken at most 2 times.",
        "A resit or retake must start within 12 months of the first result.",
        "Only the failed methods are taken again.",
        "The overall grade of a resit or retake is capped at pass.",
    ]
    assert plan.overall_grades == ["fail", "pass", "merit", "distinction"]
    assert all(
        [
            plan.gateway_imported,
            plan.methods_imported,
            plan.ksb_mapping_imported,
            plan.grading_imported,
            plan.combination_imported,
            plan.resits_imported,
        ]
    )
    observation, interview = plan.methods.all()
    assert observation.duration_text == "at least 90 minutes"
    assert sorted(k.code for k in observation.ksbs.all()) == ["B1", "K1", "S1"]
    assert (interview.submission_deadline_week, interview.requires_portfolio) == (6, True)
    assert interview.grades == ["fail", "pass", "distinction"]
    criterion = GradingCriterion.objects.get(code="IN1")
    assert criterion.method == interview
    assert sorted(k.code for k in criterion.ksbs.all()) == ["K2", "K3", "S2"]
    assert GradingCriterion.objects.get(code="OB2").distinction_descriptor == ""
    assert GradeCombination.objects.filter(plan=plan).count() == 9
    assert (
        plan.grade_combinations.get(method_grades={"1": "pass", "2": "distinction"}).overall_grade
        == "merit"
    )


def test_reimporting_the_same_plan_changes_nothing_and_says_so(widget_version):
    do_import(epa_plan_json())

    result = do_import(epa_plan_json())

    assert not result.changed
    assert "nothing changed" in result.summary
    assert GradingCriterion.objects.count() == 3


def test_a_plan_with_only_some_parts_leaves_the_rest_not_yet_imported(widget_version):
    payload = epa_plan_json()
    for key in ("gradingCriteria", "gradeCombinations", "resits"):
        del payload[key]
    for method in payload["assessmentMethods"]:
        del method["grades"], method["ksbs"]

    do_import(payload)

    plan = EpaPlan.objects.get()
    assert plan.gateway_imported
    assert plan.methods_imported
    assert not plan.ksb_mapping_imported
    assert not plan.grading_imported
    assert not plan.combination_imported
    assert not plan.resits_imported


def test_parts_not_yet_imported_are_filled_in_and_held_parts_kept(widget_version):
    partial = epa_plan_json(provenance="From the published summary only.")
    for key in ("gradingCriteria", "gradeCombinations", "resits"):
        del partial[key]
    for method in partial["assessmentMethods"]:
        del method["grades"], method["ksbs"]
    do_import(partial)
    methods_before = list(EpaPlan.objects.get().methods.values_list("pk", flat=True))

    result = do_import(epa_plan_json())

    plan = EpaPlan.objects.get()
    assert "KSB-to-method mapping added" in result.changes
    assert "grading criteria and method grades added" in result.changes
    assert "provenance updated" in result.changes
    assert plan.ksb_mapping_imported
    assert plan.grading_imported
    assert plan.combination_imported
    assert list(plan.methods.values_list("pk", flat=True)) == methods_before
    assert plan.provenance == epa_plan_json()["provenance"]


def test_a_plan_that_differs_from_what_psp_holds_is_refused(widget_version):
    do_import(epa_plan_json())
    changed = epa_plan_json()
    changed["assessmentMethods"][1]["minimumQuestions"] = 8
    changed["gradingCriteria"][2]["pass"] = "Recites the widget safety rules."

    problems = problems_of(changed)

    assert "already in psp with different content" in problems["$.version"]
    assert "$.assessmentMethods[1].minimumQuestions" in problems
    assert "$.gradingCriteria[2].pass" in problems
    assert EpaPlan.objects.get().methods.get(number=2).minimum_questions == 6


def test_problems_in_the_file_and_differences_from_psp_are_reported_together(widget_version):
    do_import(epa_plan_json())
    payload = epa_plan_json(epaPeriodMonths=5)
    payload["gatewayRequirements"][0]["kind"] = "vibes"

    problems = problems_of(payload)

    assert set(problems) == {"$.gatewayRequirements[0].kind", "$.version", "$.epaPeriodMonths"}


def test_a_changed_plan_for_a_version_apprentices_are_on_is_refused(widget_version):
    do_import(epa_plan_json())
    make_apprentice(version=widget_version)

    problems = problems_of(epa_plan_json(epaPeriodMonths=4))

    assert problems["$.version"].startswith("1 apprentice is on ST9990 v1.0")
    assert problems["$.epaPeriodMonths"] == "differs from psp, which has 3"


def _set(key, value):
    def change(payload):
        payload[key] = value

    return change


def _method(index, key, value):
    def change(payload):
        payload["assessmentMethods"][index][key] = value

    return change


def _criterion(index, key, value):
    def change(payload):
        payload["gradingCriteria"][index][key] = value

    return change


def _without(key):
    def change(payload):
        del payload[key]

    return change


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (_set("format", "epa"), "$.format", "does not look like a psp EPA plan"),
        (_set("formatVersion", 2), "$.formatVersion", "must be 1"),
        (_without("provenance"), "$.provenance", "missing"),
        (_set("version", "7.0"), "$.version", "ST9990 v7.0 is not in psp"),
        (_set("version", "seven"), "$.version", "not a version number"),
        (_set("gatewayRequirement", []), "$.gatewayRequirement", "not part of the format"),
        (_set("epaPeriodMonths", "four"), "$.epaPeriodMonths", "whole number"),
        (_set("overallGrades", ["pass", "pass"]), "$.overallGrades[1]", "listed twice"),
        (
            _set("gatewayRequirements", [{"kind": "vibes", "text": "x"}]),
            "$.gatewayRequirements[0].kind",
            "not a kind psp knows",
        ),
        (_method(0, "name", ""), "$.assessmentMethods[0].name", "empty"),
        (_method(1, "durationMinutes", 0), "$.assessmentMethods[1].durationMinutes", "at least 1"),
        (
            _method(0, "durationIsMinimum", "yes"),
            "$.assessmentMethods[0].durationIsMinimum",
            "true",
        ),
        (_method(0, "ksbs", ["K9"]), "$.assessmentMethods[0].ksbs[0]", "K9 is not a KSB of ST9990"),
        (_method(0, "ksbs", ["Q1"]), "$.assessmentMethods[0].ksbs[0]", "not a KSB code"),
        (_method(1, "grades", []), "$.assessmentMethods[1].grades", "each method lists its grades"),
        (_criterion(0, "method", 3), "$.gradingCriteria[0].method", "there is no method 3"),
        (_criterion(1, "code", "OB1"), "$.gradingCriteria[1].code", "used by another criterion"),
        (_criterion(2, "ksbs", ["K1"]), "$.gradingCriteria[2].ksbs[0]", "not assessed by method 2"),
        (
            _set("gradeCombinations", [{"methodGrades": {"1": "pass"}, "overall": "pass"}]),
            "$.gradeCombinations[0].methodGrades",
            "a grade for each method",
        ),
        (
            _set(
                "gradeCombinations",
                [{"methodGrades": {"1": "merit", "2": "pass"}, "overall": "pass"}],
            ),
            "$.gradeCombinations[0].methodGrades.1",
            "not one of method 1's grades",
        ),
        (
            _set(
                "gradeCombinations", [{"methodGrades": {"1": "pass", "2": "pass"}, "overall": "ok"}]
            ),
            "$.gradeCombinations[0].overall",
            "not one of the overall grades",
        ),
        (
            _set("resits", {"gradeCap": "gold"}),
            "$.resits.gradeCap",
            "not one of the overall grades",
        ),
        (_set("resits", {"gradeCap": "pass", "limit": -1}), "$.resits.limit", "0"),
        (
            _set("resits", {"gradeCap": "pass", "withinMonths": "a year"}),
            "$.resits.withinMonths",
            "whole number",
        ),
        (
            _set("resits", {"gradeCap": "pass", "methods": "some"}),
            "$.resits.methods",
            '"failed" or "all"',
        ),
    ],
)
def test_each_kind_of_problem_is_reported_with_its_json_path(widget_version, change, path, words):
    payload = epa_plan_json()
    change(payload)

    problems = problems_of(payload)

    assert path in problems, problems
    assert words in problems[path]
    assert not EpaPlan.objects.exists()


def test_a_plan_file_with_only_the_resit_cap_reads_the_other_rules_as_not_set(widget_version):
    do_import(epa_plan_json(resits={"gradeCap": "merit"}))

    plan = EpaPlan.objects.get(version=widget_version)
    assert (plan.resit_grade_cap, plan.resit_limit, plan.resit_methods) == ("merit", None, "")
    assert plan.resit_rules == ["The overall grade of a resit or retake is capped at merit."]


def test_grades_without_grading_criteria_are_a_problem(widget_version):
    payload = epa_plan_json()
    del payload["gradingCriteria"]

    problems = problems_of(payload)

    assert "give gradingCriteria too" in problems["$.assessmentMethods[0].grades"]


def test_ksbs_for_some_methods_only_are_a_problem(widget_version):
    payload = epa_plan_json()
    del payload["assessmentMethods"][1]["ksbs"]

    problems = problems_of(payload)

    assert "of every method, or of none" in problems["$.assessmentMethods[1].ksbs"]


def test_mapping_ksbs_of_a_version_without_ksbs_says_to_import_them_first(db):
    payload = official_json()
    for key in ("knowledges", "skills", "behaviours", "duties"):
        del payload[key]
    import_standard(parse_official(payload))

    problems = problems_of(epa_plan_json())

    assert "has no KSBs in psp yet" in problems["$.assessmentMethods[0].ksbs[0]"]


def test_command_imports_a_plan_and_checks_the_version_asked_for(widget_version, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(epa_plan_json()), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="1 problem found"):
        call_command("import_epa_plan", str(path), "--version", "1.1", stderr=err)
    assert "$.version: is 1.0, but you asked to import into version 1.1" in err.getvalue()

    call_command("import_epa_plan", str(path), "--dry-run", stdout=out)
    assert "Dry run: ST9990 v1.0 would change: new EPA plan" in out.getvalue()
    assert not EpaPlan.objects.exists()

    call_command("import_epa_plan", str(path), "--reference", "ST9990", "--version", "1.0")
    assert EpaPlan.objects.get().grading_imported


def test_command_reports_invalid_json_and_exits_non_zero(widget_version, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{"format": "psp-epa-plan",,}', encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_epa_plan", str(path), stderr=err)

    assert "$: the file is not valid JSON (Expecting property name" in err.getvalue()


def test_revised_rules_for_a_version_apprentices_are_on_make_a_new_revision(widget_version):
    do_import(epa_plan_json())
    make_apprentice(version=widget_version)
    revised = epa_plan_json(resits={"gradeCap": "merit", "limit": 1})
    for row in revised["gradeCombinations"]:
        if row["methodGrades"] == {"1": "pass", "2": "distinction"}:
            row["overall"] = "distinction"

    result = do_import(revised)

    assert "grade combination rule and resit and retake rules revised: revision 2" in (
        result.changes
    )
    plan = EpaPlan.objects.get(version=widget_version)
    assert (plan.revision, plan.resit_grade_cap, plan.resit_limit) == (2, "merit", 1)
    row = plan.grade_combinations.get(method_grades={"1": "pass", "2": "distinction"})
    assert row.overall_grade == "distinction"
    [kept] = plan.revisions.all()
    assert kept.number == 1
    assert kept.content["resits"]["gradeCap"] == "pass"
    assert {"methodGrades": {"1": "pass", "2": "distinction"}, "overall": "merit"} in (
        kept.content["gradeCombinations"]
    )
    assert do_import(revised).changes == []  # the same file again changes nothing


def test_the_published_schema_is_what_is_enforced_in_psps_words(widget_version):
    payload = epa_plan_json(provenance="   ", epaPeriodMonths="4", referenceNumber="ST9990")
    payload["format"] = "official"
    payload["assessmentMethods"][0]["name"] = "x" * 201
    payload["assessmentMethods"][0]["ksbs"] = ["K1", "K1"]
    payload["gradingCriteria"][0] = []

    problems = problems_of(payload)

    assert problems["$.format"] == (
        'must be "psp-epa-plan": this does not look like a psp EPA plan file '
        "(is it the official standard JSON?)"
    )
    assert problems["$.provenance"] == "is empty: it must be text"
    assert problems["$.epaPeriodMonths"] == "must be a whole number, not text"
    assert problems["$.referenceNumber"].startswith("is not part of the format (is it misspelt?)")
    assert problems["$.assessmentMethods[0].name"] == "is longer than 200 characters"
    assert problems["$.assessmentMethods[0].ksbs[1]"] == "“K1” is listed twice"
    assert problems["$.gradingCriteria[0]"] == "must be a grading criterion object, not a list"
