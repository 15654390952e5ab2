"""The ST0494 reference fixtures match the published standard pages word for word.

The tests parse the source pages themselves (shared/standards/sources) and compare them with
what load_reference_data() puts in the database, so a changed word on either side fails.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from standards.models import (
    KSB,
    AssessmentMethod,
    Duty,
    EpaPlan,
    GatewayRequirement,
    GradeCombination,
    Standard,
    StandardVersion,
)
from standards.reference_data import load_reference_data

SOURCES = Path(settings.BASE_DIR).parent / "shared" / "standards" / "sources"
V10 = (SOURCES / "ST0494-v1.0-standard-page.txt").read_text(encoding="utf-8")
V11 = (SOURCES / "ST0494-v1.1-standard-page.txt").read_text(encoding="utf-8")
EXPECTED_V10_CODES = [
    f"{kind}{n}" for kind, last in (("K", 11), ("S", 16), ("B", 7)) for n in range(1, last + 1)
]


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def paragraphs(text: str, start: str, end: str) -> list[str]:
    """Non-blank lines between two headings; separator lines of (non-breaking) spaces dropped."""
    return [line.rstrip() for line in between(text, start, end).splitlines() if line.strip()]


def source_duties() -> dict[int, tuple[str, list[str], list[str]]]:
    block = between(V10, "Duty Criteria for measuring performance KSBs\n", "\nKSBs\n")
    parts = re.split(r"^Duty (\d+) (.*)$", block, flags=re.M)
    duties = {}
    for number, text, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
        criteria = re.findall(r"^\d+\. (.*)$", body, re.M)
        codes = " ".join(re.findall(r"^(?:[KSB]\d+ ?)+$", body, re.M)).split()
        duties[int(number)] = (text, criteria, codes)
    return duties


@pytest.fixture
def v10(db):
    load_reference_data()
    return StandardVersion.objects.get_by_natural_key("ST0494", "1.0")


@pytest.fixture
def v11(db):
    load_reference_data()
    return StandardVersion.objects.get_by_natural_key("ST0494", "1.1")


def test_v1_0_ksb_codes_are_exactly_those_in_the_source(v10):
    source_codes = re.findall(r"^([KSB]\d+): .* Back to Duty$", V10, re.M)
    stored = [ksb.code for ksb in KSB.objects.filter(version=v10).in_standard_order()]
    assert source_codes == EXPECTED_V10_CODES
    assert stored == source_codes


def test_v1_0_ksb_texts_match_source_word_for_word(v10):
    lines = set(V10.splitlines())
    for ksb in KSB.objects.filter(version=v10):
        assert f"{ksb.code}: {ksb.text} Back to Duty" in lines, ksb.code
        assert ksb.guid is None


def test_v1_0_duties_match_source_text_criteria_and_ksbs(v10):
    expected = source_duties()
    duties = list(Duty.objects.filter(version=v10).prefetch_related("ksbs"))
    assert [d.number for d in duties] == list(range(1, 11)) == sorted(expected)
    lines = set(V10.splitlines())
    for duty in duties:
        text, criteria, codes = expected[duty.number]
        assert f"Duty {duty.number} {duty.text}" in lines
        assert duty.text == text
        assert duty.criteria == criteria, duty.number
        assert sorted(k.code for k in duty.ksbs.all()) == sorted(codes), duty.number
        assert duty.is_core is None
    assert Duty.objects.get(version=v10, number=9).text.startswith("D9 ")  # as in the source


def test_v1_0_descriptive_fields_match_source_verbatim(v10):
    assert v10.overview_of_role == "Working with offenders to make communities safer."
    assert f"\n{v10.overview_of_role}\n" in V10
    summary = paragraphs(V10, "Occupation summary\n", "Typical job titles include:")
    assert v10.occupation_summary.split("\n\n") == summary
    assert len(summary) == 4
    assert summary[-1].endswith("in the future..")
    assert v10.typical_job_titles == paragraphs(V10, "Typical job titles include:\n", "Occupation")
    assert v10.typical_job_titles == ["Probation services pracitioner"]
    assert [v10.english_and_maths] == paragraphs(V10, "English and Maths\n", "Additional details")
    assert f"Employers involved in creating the standard: {v10.employers_involved}\n" in V10


def test_v1_0_key_facts_match_source_and_later_version_log(v10):
    assert v10.title == "Probation services practitioner"
    assert (v10.status, v10.level, v10.lars_code) == ("retired", 3, "496")
    for phrase in (
        f"Status: {v10.get_status_display()}\n",
        f"Level: {v10.level}\n",
        f"Date updated: {v10.date_updated:%d/%m/%Y}\n",
        f"Route: {v10.route}\n",
        f"Typical duration to gateway: {v10.typical_duration_months} months",
        f"Maximum funding: £{v10.max_funding}\n",
        f"LARS Code: {v10.lars_code}\n",
        f"EQA Provider: {v10.eqa_provider}\n",
        f"1.0 {v10.change_detail} {v10.earliest_start_date:%d/%m/%Y} 10/12/2021 Not set\n",
    ):
        assert phrase in V10, phrase
    # The later v1.1 page's version log wins over the v1.0 page's own latest start date.
    log = f"1.0 Approved for delivery {v10.approved_for_delivery:%d/%m/%Y} "
    assert f"{log}{v10.latest_start_date:%d/%m/%Y}\n" in V11
    assert v10.latest_end_date is None
    assert "10/12/2021" in v10.provenance
    assert not EpaPlan.objects.filter(version=v10).exists()


def test_v1_1_descriptive_fields_match_source_verbatim(v11):
    assert [v11.overview_of_role] == paragraphs(V11, "Overview of the role\n", "Occupation summary")
    summary = paragraphs(V11, "Occupation summary\n", "Typical job titles include:")
    assert v11.occupation_summary.split("\n\n") == summary
    assert "through out their employment" in summary[-1]
    assert "ethics, vales and" in summary[-1]
    titles = paragraphs(V11, "Typical job titles include:\n", "End-point assessment summary")
    assert len(v11.typical_job_titles) == 6
    assert [" ".join(v11.typical_job_titles)] == titles
    assert f"Employers involved in creating the standard: {v11.employers_involved}\n" in V11
    assert f"\n1.1 {v11.change_detail} {v11.earliest_start_date:%d/%m/%Y} Not set\n" in V11
    assert f"Maximum funding: £{v11.max_funding}\n" in V11
    assert f"Date updated: {v11.date_updated:%d/%m/%Y}\n" in V11
    approved = v11.approved_for_delivery
    assert f"Approved for delivery: {approved.day} {approved:%B %Y}\n" in V11
    assert v11.title == "Probation service practitioner" == Standard.objects.get().title


def test_v1_1_has_no_duties_or_ksbs_and_says_they_are_not_imported(v11):
    assert not KSB.objects.filter(version=v11).exists()
    assert not Duty.objects.filter(version=v11).exists()
    assert (v11.duties_imported, v11.ksbs_imported) == (False, False)
    plan = v11.epa_plan
    assert (plan.gateway_imported, plan.methods_imported) == (True, True)
    parts = ("ksb_mapping", "grading", "combination", "resits")
    assert [getattr(plan, f"{part}_imported") for part in parts] == [False] * 4
    assert not GradeCombination.objects.filter(plan=plan).exists()
    assert not AssessmentMethod.ksbs.through.objects.filter(assessmentmethod__plan=plan).exists()


def test_v1_1_gateway_and_method_texts_match_source(v11):
    requirements = between(V11, "gateway requirements for your EPA are:", "Assessment")
    bullets = re.findall(r"^  \u2022 (.*)$", requirements, re.M)
    gateway = GatewayRequirement.objects.filter(plan__version=v11)
    assert [(g.kind, g.text) for g in gateway] == list(
        zip(["english_maths", "portfolio"], bullets, strict=True)
    )
    methods = list(AssessmentMethod.objects.filter(plan__version=v11))
    names = [m.name for m in methods]
    assert names == [
        "Professional discussion underpinned by a portfolio of evidence",
        "Presentation with questions",
    ]
    ends = [names[1], "Who to contact"]
    for method, end in zip(methods, ends, strict=True):
        assert [method.summary] == paragraphs(V11, f"\n{method.name}\n", end)


def test_v1_1_method_numbers_and_overall_grades_match_source(v11):
    plan = v11.epa_plan
    assert f"The EPA period is typically {plan.epa_period_months} months." in V11
    grades = re.findall(r"^  \u2022 (\w+)$", between(V11, "overall grades available", "When"), re.M)
    assert plan.overall_grades == grades == ["fail", "pass", "merit", "distinction"]
    discussion, presentation = AssessmentMethod.objects.filter(plan=plan)
    assert "It will last 60 minutes. They will ask you at least 8 questions." in V11
    assert (discussion.duration_minutes, discussion.duration_is_minimum) == (60, False)
    assert (discussion.minimum_questions, discussion.requires_portfolio) == (8, True)
    assert "last at least 45 minutes. The independent assessor will ask you at least 6" in V11
    assert (presentation.duration_minutes, presentation.duration_is_minimum) == (45, True)
    assert (presentation.minimum_questions, presentation.requires_portfolio) == (6, False)
    assert presentation.submission_deadline_week == 8
    for method in (discussion, presentation):
        at_least = "at least " if method.duration_is_minimum else ""
        assert f"last {at_least}{method.duration_minutes} minutes" in method.summary
        assert f"at least {method.minimum_questions} questions" in method.summary
        assert method.grades == []
    assert f"submit your {presentation.submission_requirement} to the EPAO" in V11
    assert f"by the end of week {presentation.submission_deadline_week} of the EPA" in V11


def test_loading_twice_does_not_duplicate_or_change_anything(db):
    load_reference_data()
    models = [Standard, StandardVersion, KSB, Duty, Duty.ksbs.through, EpaPlan]
    models += [GatewayRequirement, AssessmentMethod, AssessmentMethod.ksbs.through]
    before = {m: list(m.objects.order_by("pk").values()) for m in models}
    second = [r for r in load_reference_data() if r.version_key[0] == "ST0494"]
    assert sorted(r.version_key for r in second) == [("ST0494", "1.0"), ("ST0494", "1.1")]
    assert not any(r.loaded for r in second)
    assert {m: list(m.objects.order_by("pk").values()) for m in models} == before
    assert (Standard.objects.count(), StandardVersion.objects.count()) == (1, 2)
    assert (KSB.objects.count(), Duty.objects.count()) == (34, 10)
