"""The ST0494 reference fixtures match their sources word for word: the published standard
pages (shared/standards/sources) and the official API records (shared/standards/official).

The tests parse the sources themselves and compare them with what load_reference_data()
puts in the database, so a changed word on either side fails.
"""

import json
import re
import uuid
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
from standards.plain_text import same_words
from standards.reference_data import load_reference_data

SOURCES = Path(settings.BASE_DIR).parent / "shared" / "standards" / "sources"
V10 = (SOURCES / "ST0494-v1.0-standard-page.txt").read_text(encoding="utf-8")
V11 = (SOURCES / "ST0494-v1.1-standard-page.txt").read_text(encoding="utf-8")
OFFICIAL = Path(settings.BASE_DIR).parent / "shared" / "standards" / "official"
OFFICIAL_V10 = json.loads((OFFICIAL / "ST0494_1.0.json").read_text(encoding="utf-8"))
OFFICIAL_V11 = json.loads((OFFICIAL / "ST0494_1.1.json").read_text(encoding="utf-8"))
OFFICIAL_LISTS = (
    ("K", "knowledges", "knowledgeId", "mappedKnowledge"),
    ("S", "skills", "skillId", "mappedSkills"),
    ("B", "behaviours", "behaviourId", "mappedBehaviour"),
)
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


def test_v1_1_ksbs_are_the_official_record_word_for_word_with_its_guids(v11):
    stored = list(KSB.objects.filter(version=v11).in_standard_order())
    expected = [
        (kind, number, item["detail"].strip(), uuid.UUID(item[id_key]))
        for kind, list_key, id_key, _ in OFFICIAL_LISTS
        for number, item in enumerate(OFFICIAL_V11[list_key], start=1)
    ]
    assert [(k.kind, k.number, k.text, k.guid) for k in stored] == expected
    assert [sum(k.kind == kind for k in stored) for kind in "KSB"] == [20, 19, 5]
    # Trimming the outer spaces is the one change, and the provenance says so.
    assert OFFICIAL_V11["behaviours"][0]["detail"].endswith("boundaries.    ")
    assert "  including the principles" in KSB.objects.get(version=v11, kind="K", number=11).text
    assert "spaces at the start and end of a statement are trimmed" in v11.provenance
    assert v11.ksbs_imported


def test_v1_1_duties_and_their_mappings_are_the_official_record(v11):
    duties = list(Duty.objects.filter(version=v11).prefetch_related("ksbs"))
    official = OFFICIAL_V11["duties"]
    assert len(duties) == len(official) == 10
    for duty, item in zip(duties, official, strict=True):
        assert duty.text == item["dutyDetail"].strip()
        assert duty.guid == uuid.UUID(item["dutyID"])
        assert duty.is_core is True
        assert item["isThisACoreDuty"] == 1
        assert duty.criteria == []
        assert item["criteriaForMeasuringPerformance"] == ""
        mapped = {uuid.UUID(g) for _, _, _, key in OFFICIAL_LISTS for g in item[key]}
        assert {k.guid for k in duty.ksbs.all()} == mapped, duty.number
    assert v11.duties_imported


def test_v1_1_fields_from_the_official_record(v11):
    assert v11.off_the_job_minimum_hours == int(OFFICIAL_V11["minimumHoursForCompliance"]) == 326
    assert v11.epa_length_months == OFFICIAL_V11["ePALength"] == v11.epa_plan.epa_period_months
    assert v11.keywords == OFFICIAL_V11["keywords"]
    assert v11.english_and_maths == (
        "English and maths qualifications must be completed in line with the apprenticeship "
        "funding rules."
    )
    assert same_words(v11.english_and_maths, OFFICIAL_V11["englishAndMathsQualifications"])
    assert v11.employers_involved == OFFICIAL_V11["involvedEmployers"]
    # The page's occupation summary is the official record's, without its HTML.
    assert same_words(v11.occupation_summary, OFFICIAL_V11["occupationalSummary"])
    assert v11.overview_of_role == OFFICIAL_V11["overviewOfRole"]
    assert v11.typical_job_titles == OFFICIAL_V11["typicalJobTitles"]


def test_v1_1_epa_plan_parts_in_no_source_stay_not_imported(v11):
    plan = v11.epa_plan
    assert (plan.gateway_imported, plan.methods_imported) == (True, True)
    parts = ("ksb_mapping", "grading", "combination", "resits")
    assert [getattr(plan, f"{part}_imported") for part in parts] == [False] * 4
    assert not GradeCombination.objects.filter(plan=plan).exists()
    assert not AssessmentMethod.ksbs.through.objects.filter(assessmentmethod__plan=plan).exists()
    assert "are in neither source and are not yet imported" in v11.provenance


def test_v1_0_has_the_official_guids_of_the_official_record(v10):
    for kind, list_key, id_key, _ in OFFICIAL_LISTS:
        for number, item in enumerate(OFFICIAL_V10[list_key], start=1):
            ksb = KSB.objects.get(version=v10, kind=kind, number=number)
            assert (ksb.text, ksb.guid) == (item["detail"].strip(), uuid.UUID(item[id_key]))
    for duty, item in zip(Duty.objects.filter(version=v10), OFFICIAL_V10["duties"], strict=True):
        assert (duty.text, duty.guid) == (item["dutyDetail"].strip(), uuid.UUID(item["dutyID"]))
        mapped = {uuid.UUID(g) for _, _, _, key in OFFICIAL_LISTS for g in item[key]}
        assert {k.guid for k in duty.ksbs.all()} == mapped, duty.number
    assert v10.off_the_job_minimum_hours is None  # "" in the official record of v1.0


def test_loading_fills_a_held_v1_1_that_has_no_ksbs_once(db):
    """A database loaded before the official record was used (the demo's, a deployment's)
    holds v1.1 without duties and KSBs: loading fills them in, and then changes nothing."""
    load_reference_data()
    v11 = StandardVersion.objects.get_by_natural_key("ST0494", "1.1")
    old_provenance = "Transcribed word for word from the published ST0494 v1.1 standard page."
    Duty.objects.filter(version=v11).delete()
    KSB.objects.filter(version=v11).delete()
    StandardVersion.objects.filter(pk=v11.pk).update(
        ksbs_imported=False,
        duties_imported=False,
        english_and_maths="",
        off_the_job_minimum_hours=None,
        provenance=old_provenance,
    )
    v10 = StandardVersion.objects.get_by_natural_key("ST0494", "1.0")
    KSB.objects.filter(version=v10, kind="K").update(guid=None)
    KSB.objects.filter(version=v10, kind="S", number=1).update(guid=None, text="Changed here")

    results = {r.version_key: r for r in load_reference_data()}

    assert not any(r.loaded for r in results.values())
    assert "44 KSBs" in results[("ST0494", "1.1")].filled
    assert "10 duties" in results[("ST0494", "1.1")].filled
    assert "minimum off-the-job hours" in results[("ST0494", "1.1")].filled
    assert results[("ST0494", "1.0")].filled == ["official GUIDs of 11 KSBs"]
    v11.refresh_from_db()
    assert (v11.ksbs_imported, v11.duties_imported, v11.off_the_job_minimum_hours) == (
        True,
        True,
        326,
    )
    assert v11.provenance != old_provenance
    assert KSB.objects.filter(version=v11).count() == 44
    assert Duty.ksbs.through.objects.filter(duty__version=v11).count() == sum(
        len(d[key]) for d in OFFICIAL_V11["duties"] for _, _, _, key in OFFICIAL_LISTS
    )
    # A held statement worded differently keeps its words and gets no GUID.
    assert KSB.objects.get(version=v10, kind="S", number=1).guid is None
    assert not KSB.objects.filter(version=v10, kind="K", guid=None).exists()

    models = [StandardVersion, KSB, Duty, Duty.ksbs.through]
    before = {m: list(m.objects.order_by("pk").values()) for m in models}
    assert not any(r.filled or r.loaded for r in load_reference_data())
    assert {m: list(m.objects.order_by("pk").values()) for m in models} == before


def test_loading_keeps_ksbs_an_admin_imported_into_a_held_version(db):
    load_reference_data()
    v11 = StandardVersion.objects.get_by_natural_key("ST0494", "1.1")
    KSB.objects.filter(version=v11).exclude(kind="K", number=1).delete()
    KSB.objects.filter(version=v11).update(text="An admin's own words")
    load_reference_data()
    assert list(KSB.objects.filter(version=v11).values_list("text", flat=True)) == [
        "An admin's own words"
    ]


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
    assert (KSB.objects.count(), Duty.objects.count()) == (34 + 44, 10 + 10)
