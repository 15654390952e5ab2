import copy
import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from standards.exporting import dumps, export_official
from standards.importing import import_standard, parse_official, read_official
from standards.models import KSB, Duty, Standard, StandardVersion, VersionRevision
from standards.validation import InvalidImport
from tests.factories import make_apprentice, make_evidence, make_version
from tests.standards.samples import BEHAVIOURS, KNOWLEDGE, SKILLS, guid, official_json


def do_import(payload, **options):
    return import_standard(parse_official(payload), **options)


def problems_of(payload):
    with pytest.raises(InvalidImport) as raised:
        do_import(payload)
    return {problem.path: problem.message for problem in raised.value.problems}


def write_json(tmp_path: Path, data, name="standard.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_importing_a_new_version_numbers_ksbs_by_position_and_keeps_official_guids(db):
    result = do_import(official_json())

    assert result.created
    version = StandardVersion.objects.get(standard__reference="ST9990", version="1.0")
    assert version.ksbs_imported
    assert version.duties_imported
    assert [k.code for k in version.ksbs.in_standard_order()] == [
        "K1", "K2", "K3", "S1", "S2", "B1", "B2",
    ]  # fmt: skip
    k3 = version.ksbs.get(kind="K", number=3)
    assert k3.text == KNOWLEDGE[2]
    assert str(k3.guid) == guid("K3")
    duty = version.duties.get(number=1)
    assert str(duty.guid) == guid("D1")
    assert duty.is_core is True
    assert duty.criteria == ["Widgets checked on time", "No cracked sprockets"]
    assert sorted(k.code for k in duty.ksbs.all()) == ["B1", "K1", "S1"]
    assert version.duties.get(number=2).is_core is False


def test_importing_maps_official_fields_onto_the_version(db):
    do_import(official_json())

    version = StandardVersion.objects.get(standard__reference="ST9990")
    assert version.status == StandardVersion.Status.APPROVED
    assert version.lars_code == "9999"
    assert version.typical_duration_months == 12
    assert version.max_funding == 4000
    assert version.eqa_provider == "Ofqual"
    assert str(version.earliest_start_date) == "2030-01-01"
    assert version.latest_start_date is None
    assert version.typical_job_titles == ["Widget inspector", "Sprocket checker"]
    assert version.standard.title == "Imaginary widget inspector"


def test_older_official_field_names_are_read(db):
    payload = official_json()
    for new, old in [
        ("proposedTypicalDuration", "typicalDuration"),
        ("proposedMaxFunding", "maxFunding"),
        ("versionEarliestStartDate", "earliestStartDate"),
    ]:
        payload[old] = payload.pop(new)
    do_import(payload)

    version = StandardVersion.objects.get(standard__reference="ST9990")
    assert (version.typical_duration_months, version.max_funding) == (12, 4000)
    assert str(version.earliest_start_date) == "2030-01-01"


def test_a_ksb_keeps_its_published_code_in_its_text(db):
    knowledge = [f"K{n}: {text}" for n, text in enumerate(KNOWLEDGE, start=1)]
    do_import(official_json(knowledge=knowledge, skills=[f"S1 {SKILLS[0]}", SKILLS[1]]))

    assert KSB.objects.get(kind="K", number=1).text == f"K1: {KNOWLEDGE[0]}"
    assert KSB.objects.get(kind="S", number=1).text == f"S1 {SKILLS[0]}"


def test_reimporting_identical_content_changes_nothing_and_says_so(db):
    do_import(official_json())
    counts = (KSB.objects.count(), Duty.objects.count())

    result = do_import(official_json())

    assert not result.changed
    assert "nothing changed" in result.summary
    assert (KSB.objects.count(), Duty.objects.count()) == counts


def test_a_file_without_ksbs_or_duties_leaves_them_not_yet_imported(db):
    payload = official_json()
    for key in ("knowledges", "skills", "behaviours", "duties"):
        del payload[key]
    do_import(payload)

    version = StandardVersion.objects.get()
    assert not version.ksbs_imported
    assert not version.duties_imported


def test_ksbs_not_yet_imported_are_filled_in(db):
    make_version(version="1.0", title="Imaginary widget inspector", status="approved")

    result = do_import(official_json())

    version = StandardVersion.objects.get()
    assert "7 KSBs added" in result.changes
    assert version.ksbs_imported
    assert version.ksbs.count() == 7
    assert version.duties_imported
    assert version.duties.count() == 2


def test_missing_official_guids_are_recorded(db):
    version = make_version(
        ksbs={"K": KNOWLEDGE, "S": SKILLS, "B": BEHAVIOURS},
        title="Imaginary widget inspector",
    )
    payload = official_json()
    del payload["duties"]

    result = do_import(payload)

    assert "official GUIDs recorded for 7 KSBs" in result.changes
    assert str(version.ksbs.get(kind="B", number=2).guid) == guid("B2")


def test_a_reworded_statement_is_applied_as_a_recorded_revision_keeping_the_mappings(db):
    do_import(official_json())
    version = StandardVersion.objects.get()
    apprentice = make_apprentice(version=version)
    k2 = KSB.objects.get(kind="K", number=2)
    evidence = make_evidence(apprentice=apprentice, ksbs=[k2])
    reworded = official_json(knowledge=[KNOWLEDGE[0], "The widget rules, reworded.", KNOWLEDGE[2]])

    result = import_standard(parse_official(reworded), source="standard.json")

    assert result.changes == ["K2 reworded"]
    k2.refresh_from_db()
    assert k2.text == "The widget rules, reworded."
    assert list(evidence.ksbs.all()) == [k2]  # the mapping stays on the same KSB
    revision = VersionRevision.objects.get()
    assert (revision.version, revision.number, revision.changes) == (version, 1, ["K2 reworded"])
    assert revision.before == {"K2": KNOWLEDGE[1]}
    assert (revision.source, revision.applied_by) == ("standard.json", None)
    assert not do_import(reworded).changed  # and again: nothing
    assert VersionRevision.objects.count() == 1


def test_a_correction_may_not_remove_or_move_a_statement_and_then_writes_nothing(db):
    do_import(official_json())
    make_apprentice(version=StandardVersion.objects.get())
    moved = official_json(knowledge=[KNOWLEDGE[1], KNOWLEDGE[0], KNOWLEDGE[2]], title="Renamed")
    moved["knowledges"][0]["knowledgeId"], moved["knowledges"][1]["knowledgeId"] = (
        guid("K2"),
        guid("K1"),
    )

    problems = problems_of(moved)

    assert "cannot be applied as a correction of it" in problems["$.version"]
    assert problems["$.knowledges[0]"] == "is K2 in psp: the file moves it to K1"
    removed = problems_of(official_json(knowledge=KNOWLEDGE[:2]))
    assert removed["$.knowledges"] == "K3 is in this version in psp but not in the file"
    assert StandardVersion.objects.get().title == "Imaginary widget inspector"
    assert not VersionRevision.objects.exists()


def test_the_life_cycle_of_a_version_apprentices_are_on_is_brought_up_to_date(db):
    do_import(official_json())
    make_apprentice(version=StandardVersion.objects.get())

    result = do_import(
        official_json(status="Retired", versionLatestStartDate="2031-06-30T00:00:00")
    )

    version = StandardVersion.objects.get()
    assert version.status == StandardVersion.Status.RETIRED
    assert str(version.latest_start_date) == "2031-06-30"
    assert "status set to Retired" in result.changes


def test_a_new_version_becomes_the_standards_title_when_it_is_the_latest(db):
    do_import(official_json())
    do_import(official_json(version="1.1", title="Imaginary widget examiner"))
    do_import(official_json(version="0.9", title="Imaginary widget watcher"))

    assert Standard.objects.get().title == "Imaginary widget examiner"


def _without(key):
    def change(payload):
        del payload[key]

    return change


def _set(key, value):
    def change(payload):
        payload[key] = value

    return change


def _set_item(list_key, index, key, value):
    def change(payload):
        payload[list_key][index][key] = value

    return change


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (_without("title"), "$.title", "missing"),
        (_without("referenceNumber"), "$.referenceNumber", "missing"),
        (_set("referenceNumber", "STANDARD9"), "$.referenceNumber", "not ST followed by four"),
        (_set("level", "three"), "$.level", "must be a whole number, not text"),
        (_set("level", 9), "$.level", "at most 8"),
        (_set("version", "1.0.2"), "$.version", "not a version number"),
        (_set("version", 1.0), "$.version", "must be text"),
        (_set("status", "Approved-ish"), "$.status", "not a status psp knows"),
        (_set("versionEarliestStartDate", "1 January 2030"), "$.versionEarliestStartDate", "date"),
        (_set("typicalJobTitles", "Widget inspector"), "$.typicalJobTitles", "must be a list"),
        (_set("versionLatestStartDate", "2029-12-31"), "$.versionLatestStartDate", "before the"),
        (_set("proposedTypicalDuration", 40000), "$.proposedTypicalDuration", "at most 32767"),
        (_set("title", "x" * 201), "$.title", "longer than 200"),
        (_without("skills"), "$.skills", "give knowledges, skills and behaviours together"),
        (_set("knowledges", {"K1": "x"}), "$.knowledges", "must be a list, not an object"),
        (_set_item("knowledges", 0, "detail", 7), "$.knowledges[0].detail", "must be text"),
        (_set_item("knowledges", 1, "detail", "  "), "$.knowledges[1].detail", "empty"),
        (_set_item("behaviours", 0, "behaviourId", "B-one"), "$.behaviours[0].behaviourId", "GUID"),
        (_set_item("duties", 0, "dutyDetail", None), "$.duties[0].dutyDetail", "must be text"),
        (
            _set_item("duties", 1, "mappedSkills", [guid("K1")]),
            "$.duties[1].mappedSkills[0]",
            "is the GUID of K1, which is not skills",
        ),
        (_set_item("duties", 1, "isThisACoreDuty", 5), "$.duties[1].isThisACoreDuty", "0 or 1"),
    ],
)
def test_each_kind_of_problem_is_reported_with_its_json_path(db, change, path, words):
    payload = official_json()
    change(payload)

    problems = problems_of(payload)

    assert path in problems, problems
    assert words in problems[path]
    assert not StandardVersion.objects.exists()


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            _set_item("knowledges", 2, "detail", KNOWLEDGE[0]),
            "$.knowledges[2].detail",
            "K3 has the same text as K1",
        ),
        (
            _set_item("skills", 1, "skillId", guid("S1")),
            "$.skills[1].skillId",
            "S2 has the same GUID as S1",
        ),
        (
            _set_item("duties", 0, "mappedKnowledge", [guid("K7")]),
            "$.duties[0].mappedKnowledge[0]",
            "is not the GUID of any KSB in this file",
        ),
        (_set("typicalJobTitles", ["Inspector", "Inspector"]), "$.typicalJobTitles[1]", "twice"),
        (_set("version", "1"), "$.version", "is read as version 1.0"),
    ],
)
def test_oddities_of_the_official_data_are_warnings_not_refusals(db, change, path, words):
    payload = official_json()
    change(payload)

    data = parse_official(payload)
    import_standard(data)

    warnings = {w.path: w.message for w in data.warnings}
    assert words in warnings[path], warnings
    assert StandardVersion.objects.get().version == "1.0"


def test_every_problem_in_a_file_is_reported_at_once(db):
    payload = official_json(level=0, status="Nope")
    payload["knowledges"][1]["detail"] = 7
    payload["duties"][0]["mappedSkills"] = ["S9"]

    problems = problems_of(payload)

    assert {"$.level", "$.status", "$.knowledges[1].detail", "$.duties[0].mappedSkills[0]"} <= set(
        problems
    )


def test_problems_in_the_file_and_differences_from_psp_are_reported_together(db):
    do_import(official_json())
    payload = official_json(level="three")
    payload["skills"][0]["skillId"], payload["skills"][1]["skillId"] = guid("S2"), guid("S1")

    problems = problems_of(payload)

    assert set(problems) == {"$.level", "$.version", "$.skills[0]", "$.skills[1]"}


def test_a_new_version_with_problems_reports_only_them(db):
    assert set(problems_of(official_json(title=None, version="2.0"))) == {"$.title"}


def test_a_changed_duty_mapping_is_applied_as_a_revision(db):
    do_import(official_json())
    payload = official_json()
    payload["duties"][1]["mappedKnowledge"] = [guid("K2")]

    result = do_import(payload)

    assert result.changes == ["duty 2: KSB mapping changed"]
    duty = Duty.objects.get(number=2)
    assert sorted(k.code for k in duty.ksbs.all() if k.kind == "K") == ["K2"]
    assert VersionRevision.objects.get().before["Duty 2"]["ksbs"][0] == "K3"


def test_reading_a_single_object_checks_the_reference_asked_for():
    stream = io.BytesIO(json.dumps(official_json()).encode())
    with pytest.raises(InvalidImport) as raised:
        read_official(stream, reference="ST1234")
    assert raised.value.problems[0].path == "$.referenceNumber"


def test_reading_the_api_array_picks_the_latest_version_of_the_reference():
    array = [
        official_json(reference="ST9998"),
        official_json(version="1.0"),
        official_json(version="1.10", title="Latest"),
        official_json(version="1.9"),
    ]
    counts = []
    selection = read_official(
        io.BytesIO(json.dumps(array).encode()), reference="ST9990", progress=counts.append
    )

    assert selection.payload["title"] == "Latest"
    assert "the latest of its versions 1.0, 1.9, 1.10" in selection.note
    assert counts[-1] == 4


def test_invalid_json_is_one_clear_problem():
    with pytest.raises(InvalidImport) as raised:
        read_official(io.BytesIO(b'{"referenceNumber": "ST9990", '))
    assert raised.value.problems[0].path == "$"
    assert "not valid JSON" in raised.value.problems[0].message


# The command ---------------------------------------------------------------------------


def test_command_imports_a_file(db, tmp_path):
    out, _ = run("import_standard", write_json(tmp_path, official_json()))

    assert "ST9990 v1.0 changed: new standard ST9990" in out
    assert StandardVersion.objects.filter(standard__reference="ST9990").exists()


def test_command_reads_standard_input(db, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps(official_json()).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)

    run("import_standard", "-")

    assert StandardVersion.objects.filter(standard__reference="ST9990").exists()


def test_command_dry_run_writes_nothing(db, tmp_path):
    out, _ = run("import_standard", write_json(tmp_path, official_json()), "--dry-run")

    assert "Dry run: ST9990 v1.0 would change" in out
    assert not Standard.objects.exists()


def test_command_says_when_nothing_changed(db, tmp_path):
    path = write_json(tmp_path, official_json())
    run("import_standard", path)

    out, _ = run("import_standard", path)

    assert "already in psp with the same content: nothing changed" in out


def test_command_takes_a_version_from_the_api_array_by_reference(db, tmp_path):
    array = [official_json(reference="ST9998"), official_json(), official_json(version="1.1")]
    path = write_json(tmp_path, array)

    out, _ = run("import_standard", path, "--reference", "ST9990", "--version", "1.0")

    assert "Took ST9990 v1.0 from the 3 versions in the file" in out
    assert list(StandardVersion.objects.values_list("version", flat=True)) == ["1.0"]


def test_command_shows_progress_while_reading_a_long_array(db, tmp_path):
    array = [official_json(reference=f"ST{n:04d}") for n in range(1000, 1250)]
    path = write_json(tmp_path, [*array, official_json()])

    _, err = run("import_standard", path, "--reference", "ST9990")

    assert "Reading standard versions: 200" in err
    assert "Reading standard versions: 251, 100% of the file" in err


def test_command_needs_a_reference_for_the_api_array(db, tmp_path):
    with pytest.raises(CommandError, match="1 problem found: nothing was imported"):
        run("import_standard", write_json(tmp_path, [official_json()]))


def test_command_lists_every_problem_and_exits_non_zero(db, tmp_path):
    payload = official_json(level="three")
    payload["duties"][0]["mappedKnowledge"] = ["K8"]
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 problems found: nothing was imported"):
        call_command("import_standard", write_json(tmp_path, payload), stderr=err)

    assert "$.level: must be a whole number, not text" in err.getvalue()
    assert "$.duties[0].mappedKnowledge[0]:" in err.getvalue()
    assert not Standard.objects.exists()


def test_command_exits_non_zero_on_invalid_json(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"referenceNumber": "ST9990", "level": }', encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_standard", str(path), stderr=err)

    assert "$: the file is not valid JSON" in err.getvalue()


def test_command_applies_a_correction_and_says_what_it_changed(db, tmp_path):
    do_import(official_json())
    make_apprentice(version=StandardVersion.objects.get())
    payload = official_json(skills=[SKILLS[0], "Write a much shorter report."])
    out = io.StringIO()

    call_command("import_standard", write_json(tmp_path, payload), stdout=out)

    assert "ST9990 v1.0 changed: S2 reworded." in out.getvalue()
    assert VersionRevision.objects.get().source.endswith("standard.json")


def test_st0494_v1_0_in_the_official_format_reimports_as_identical(st0494, tmp_path):
    version = StandardVersion.objects.get(standard__reference="ST0494", version="1.0")
    official = export_official(version)
    assert [len(official[key]) for key in ("knowledges", "skills", "behaviours", "duties")] == [
        11, 16, 7, 10,
    ]  # fmt: skip
    assert official["title"] == "Probation services practitioner"
    before = dumps(official)

    out, _ = run("import_standard", write_json(tmp_path, copy.deepcopy(official)))

    assert "ST0494 v1.0 is already in psp with the same content: nothing changed" in out
    version.refresh_from_db()
    assert dumps(export_official(version)) == before
    assert not version.ksbs.filter(guid__isnull=True).exists()  # the official GUIDs
