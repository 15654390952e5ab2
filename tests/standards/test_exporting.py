import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from standards.exporting import dumps, export_epa_plan, export_official, made_up_guid
from standards.importing import import_standard, parse_official
from standards.models import (
    KSB,
    AssessmentMethod,
    Duty,
    EpaPlan,
    GradeCombination,
    GradingCriterion,
    Standard,
    StandardVersion,
)
from standards.plan_importing import import_epa_plan, parse_epa_plan
from tests.factories import make_epa_plan, make_version


def build_st9999() -> StandardVersion:
    """A fictional version with everything psp can hold, made directly (not imported)."""
    version = make_version(
        version="2.3",
        ksbs={
            "K": ["Knows the parts of an imaginary widget.", "Knows the widget rulebook."],
            "S": ["Tightens widget flanges.", "Logs each inspection."],
            "B": ["Is patient with slow widgets."],
        },
        duties=[
            ("Inspect imaginary widgets.", ["K1", "S1", "B1"]),
            ("Keep the widget log.", ["K2", "S2"]),
        ],
        lars_code="9999",
        route="Imaginary engineering",
        typical_duration_months=15,
        max_funding=6000,
        eqa_provider="Ofqual",
        occupation_summary="People who look after imaginary widgets.",
        english_and_maths="Level 2 imaginary maths.",
        provenance="Made up for this test.",
        typical_job_titles=["Widget inspector"],
    )
    Duty.objects.filter(version=version, number=1).update(
        is_core=True, criteria=["On time", "Thorough"]
    )
    KSB.objects.filter(version=version, kind="K", number=1).update(
        guid="6f1c7a5e-58b4-4b8e-9c43-2a0b6f9e1d01"
    )
    plan = make_epa_plan(
        version=version,
        epa_period_months=5,
        overall_grades=["fail", "pass", "distinction"],
        provenance="Made up for this test.",
        ksb_mapping_imported=True,
        grading_imported=True,
        combination_imported=True,
        resits_imported=True,
        resit_grade_cap="pass",
        methods=[
            {
                "name": "Widget observation",
                "duration_minutes": 120,
                "duration_is_minimum": True,
                "minimum_questions": 3,
                "grades": ["fail", "pass", "distinction"],
            },
            {
                "name": "Log review",
                "summary": "The assessor reads your widget log.",
                "submission_deadline_week": 4,
                "submission_requirement": "the widget log",
                "requires_portfolio": True,
                "grades": ["fail", "pass"],
            },
        ],
    )
    observation, review = AssessmentMethod.objects.filter(plan=plan)
    ksbs = {k.code: k for k in version.ksbs.all()}
    observation.ksbs.set([ksbs["K1"], ksbs["S1"], ksbs["B1"]])
    review.ksbs.set([ksbs["K2"], ksbs["S2"]])
    criterion = GradingCriterion.objects.create(
        method=observation, code="WO1", pass_descriptor="Tightens flanges.",
        distinction_descriptor="Explains the torque.",
    )  # fmt: skip
    criterion.ksbs.set([ksbs["S1"]])
    GradingCriterion.objects.create(method=review, code="LR1", pass_descriptor="Keeps a log.")
    for first, second, overall in [
        ("pass", "pass", "pass"),
        ("distinction", "pass", "distinction"),
    ]:
        GradeCombination.objects.create(
            plan=plan, method_grades={"1": first, "2": second}, overall_grade=overall
        )
    return version


def test_export_then_import_into_an_empty_database_gives_identical_json(db):
    version = build_st9999()
    official = dumps(export_official(version))
    plan = dumps(export_epa_plan(version.epa_plan))
    StandardVersion.objects.all().delete()
    Standard.objects.all().delete()
    assert not KSB.objects.exists()
    assert not EpaPlan.objects.exists()

    import_standard(parse_official(json.loads(official)))
    import_epa_plan(parse_epa_plan(json.loads(plan)))

    again = StandardVersion.objects.get(standard__reference="ST9990", version="2.3")
    assert dumps(export_official(again)) == official
    assert dumps(export_epa_plan(again.epa_plan)) == plan
    assert again.occupation_summary == "People who look after imaginary widgets."
    assert str(again.ksbs.get(kind="K", number=1).guid) == "6f1c7a5e-58b4-4b8e-9c43-2a0b6f9e1d01"
    assert again.ksbs.get(kind="K", number=2).guid is None


def test_ksbs_without_official_guids_are_exported_with_stable_made_up_ones(db):
    version = build_st9999()

    exported = export_official(version)

    skill = exported["skills"][1]
    assert skill["skillId"] == str(made_up_guid("ST9990", "2.3", "S2"))
    assert exported["duties"][1]["mappedSkills"] == [skill["skillId"]]
    assert exported["duties"][0]["isThisACoreDuty"] == 1
    assert exported["duties"][0]["criteriaForMeasuringPerformance"] == "On time\nThorough"


def test_parts_of_a_plan_not_yet_imported_are_left_out_of_the_export(db):
    plan = make_epa_plan(version=make_version(), methods=[{"name": "Imaginary test"}])

    exported = export_epa_plan(plan)

    assert "gradeCombinations" not in exported
    assert "gradingCriteria" not in exported
    assert "ksbs" not in exported["assessmentMethods"][0]


def test_export_command_writes_both_formats(db):
    build_st9999()
    official, plan = io.StringIO(), io.StringIO()

    call_command("export_standard", "ST9990", "2.3", stdout=official)
    call_command("export_standard", "ST9990", "2.3", "--format", "epa-plan", stdout=plan)

    assert json.loads(official.getvalue())["referenceNumber"] == "ST9990"
    assert json.loads(plan.getvalue())["format"] == "psp-epa-plan"


def test_export_command_explains_what_is_missing(db):
    make_version(version="1.0")

    with pytest.raises(CommandError, match=r"ST9990 v1\.0 has no EPA plan to export"):
        call_command("export_standard", "ST9990", "1.0", "--format", "epa-plan")
    with pytest.raises(CommandError, match=r"ST9990 v4\.0 is not in psp"):
        call_command("export_standard", "ST9990", "4.0")


def test_the_schema_documents_every_key_the_exporter_writes(db):
    schema = json.loads(
        (Path(settings.BASE_DIR) / "docs" / "epa-plan.schema.json").read_text(encoding="utf-8")
    )
    exported = export_epa_plan(build_st9999().epa_plan)
    method_keys = set(schema["$defs"]["method"]["properties"])
    criterion_keys = set(schema["properties"]["gradingCriteria"]["items"]["properties"])

    assert set(exported) == set(schema["properties"])
    assert set(schema["required"]) <= set(exported)
    assert all(set(method) == method_keys for method in exported["assessmentMethods"])
    assert all(set(criterion) == criterion_keys for criterion in exported["gradingCriteria"])
