"""The importer on the real files of the official API (shared/standards/official), not only
made-up samples: the three single versions, and a slice of the whole download (every
twentieth of its 1,926 versions; the full run's figures are in docs/performance.md)."""

import functools
import io
import itertools
import json

import pytest
from django.core.management import call_command

from standards.importing import import_items, import_standard, parse_official
from standards.models import KSB, Duty, StandardVersion
from standards.reference_data import load_reference_data
from tests.standards.official import WHOLE_DOWNLOAD, differences, payload, whole_download

SINGLE_FILES = ["ST0494_1.0.json", "ST0494_1.1.json", "ST0096_2.1.json"]


@pytest.mark.parametrize("name", SINGLE_FILES)
def test_each_real_file_imports_word_for_word_and_again_changes_nothing(db, name):
    item = payload(name)
    data = parse_official(item)
    assert import_standard(data).created
    assert differences(item) == []
    before = held_rows()

    again = import_standard(parse_official(payload(name)))

    assert not again.changed
    assert held_rows() == before


def held_rows():
    models = [StandardVersion, KSB, Duty, Duty.ksbs.through]
    return {m: list(m.objects.order_by("pk").values()) for m in models}


def test_st0494_v1_1_official_record_reads_as_the_api_writes_it(db):
    data = parse_official(payload("ST0494_1.1.json"))
    assert data.version == "1.1"
    assert str(data.fields["approved_for_delivery"]) == "2019-08-20"  # "… +00:00"
    assert "latest_start_date" not in data.fields  # null: not given
    assert data.fields["off_the_job_minimum_hours"] == 326  # "326", text in the API
    assert data.fields["lars_code"] == "496"  # a number in the API
    assert data.fields["english_and_maths"] == (
        "English and maths qualifications must be completed in line with the apprenticeship "
        "funding rules."
    )  # HTML escaped as entities in the API
    assert "&lt;" not in data.fields["occupation_summary"]
    assert "\n\n" in data.fields["occupation_summary"]  # its paragraphs kept
    assert [len(data.ksbs or ()), len(data.duties or ())] == [44, 10]
    assert data.warnings == []


def test_st0494_v1_1_official_record_is_what_the_reference_data_holds(db):
    load_reference_data()

    result = import_standard(parse_official(payload("ST0494_1.1.json")))

    assert not result.changed, result.changes


def test_command_imports_a_real_file_and_names_what_it_did(db, tmp_path):
    out = io.StringIO()
    path = WHOLE_DOWNLOAD.parent / "ST0096_2.1.json"
    call_command("import_standard", str(path), stdout=out)
    assert "ST0096 v2.1" in out.getvalue()
    assert StandardVersion.objects.get().ksbs.exists()


@functools.cache
def _slice() -> tuple[str, ...]:
    return tuple(json.dumps(i) for i in itertools.islice(whole_download(), 0, None, 20))


def slice_of_the_whole_download():
    """Every twentieth version of the whole download, read once for all tests."""
    return [json.loads(i) for i in _slice()]


def test_a_slice_of_the_whole_download_imports_word_for_word_and_again_changes_nothing(db):
    items = slice_of_the_whole_download()
    assert len(items) == 97
    with_version = [i for i in items if i.get("version")]

    result = import_items(items)

    assert result.total == len(items)
    assert len(result.imported) >= 0.99 * len(with_version)
    assert all(reason for _, reason in result.refused)
    for name, reason in result.refused:
        assert "is empty: this record" in reason or "is before the earliest" in reason, name
    for item in items:
        if f"{item['referenceNumber']} v{item.get('version')}" in result.imported:
            assert differences(item) == []
    again = import_items(items)
    assert len(again.unchanged) == len(result.imported)
    assert (again.imported, again.revised) == ([], [])


def test_command_all_sums_up_and_lists_each_refusal_with_its_reason(db, tmp_path):
    items = slice_of_the_whole_download()[:30]
    path = tmp_path / "slice.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    out = io.StringIO()

    call_command("import_standard", str(path), "--all", stdout=out, stderr=io.StringIO())

    refused = [i for i in items if not i.get("version")]
    text = out.getvalue()
    assert f"30 versions read: {30 - len(refused)} imported, 0 unchanged, 0 revised" in text
    assert text.count("Refused ") == len(refused)


def test_st0494_v1_0_official_record_imports_as_a_revision_shown_on_the_version_page(
    st0494, client
):
    from django.urls import reverse

    from psp.roles import Role
    from standards.models import VersionRevision
    from tests.factories import make_apprentice, make_evidence, make_user

    v10 = StandardVersion.objects.get_by_natural_key("ST0494", "1.0")
    k3 = KSB.objects.get(version=v10, kind="K", number=3)
    evidence = make_evidence(apprentice=make_apprentice(version=v10), ksbs=[k3])

    result = import_standard(parse_official(payload("ST0494_1.0.json")), source="ST0494_1.0.json")

    assert not result.created
    assert "change detail (version log) corrected to “Approved for delivery”" in result.changes
    assert "1.2" not in result.summary
    revision = VersionRevision.objects.get(version=v10)
    assert revision.before["change_detail"] == "Retired"
    assert list(evidence.ksbs.all()) == [k3]
    assert differences(payload("ST0494_1.0.json")) == []
    assert not import_standard(parse_official(payload("ST0494_1.0.json"))).changed
    client.force_login(make_user(role=Role.APPRENTICE))
    page = client.get(reverse("standards:version_detail", args=["ST0494", "1.0"])).content
    assert b"Revision 1, " in page
    assert "change detail (version log) corrected to “Approved for delivery”".encode() in page
    assert b"From ST0494_1.0.json." in page


def test_an_empty_ksb_list_never_hides_the_ksbs_a_later_record_has(db):
    from tests.standards.samples import official_json

    empty = official_json(knowledge=[], skills=[], behaviours=[])
    empty["duties"] = []
    import_standard(parse_official(empty))
    version = StandardVersion.objects.get()
    assert (version.ksbs_imported, version.duties_imported) == (False, False)

    later = import_standard(parse_official(official_json()))

    assert "7 KSBs added" in later.changes
    version.refresh_from_db()
    assert version.ksbs_imported
    assert version.ksbs.count() == 7
    again = import_standard(parse_official(empty))
    assert not again.changed
    assert version.ksbs.count() == 7


def test_a_draft_record_never_corrects_a_published_version(db):
    """ST0701, ST0933 and ST0950 each have an in-development record written as version "1"
    beside their approved 1.0 in the whole download."""
    from tests.standards.samples import official_json

    import_standard(parse_official(official_json()))
    draft = official_json(version="1", status="In development", title="A draft title")

    result = import_items([draft])

    assert result.refused == [
        (
            "ST9990 v1",
            "not a correction psp can apply to the version it holds: $.status: is in "
            "development, and psp holds this version as approved for delivery: a draft never "
            "corrects it",
        )
    ]
    assert StandardVersion.objects.get().title == "Imaginary widget inspector"


def test_export_uses_the_apis_names_and_reimports_unchanged(st0494):
    from standards.exporting import dumps, export_official

    v11 = StandardVersion.objects.get_by_natural_key("ST0494", "1.1")
    exported = export_official(v11)
    official = payload("ST0494_1.1.json")
    for key in (
        "referenceNumber",
        "versionNumber",
        "title",
        "level",
        "larsCode",
        "typicalDuration",
        "maxFunding",
        "minimumHoursForCompliance",
        "ePALength",
        "keywords",
        "involvedEmployers",
        "typicalJobTitles",
        "change",
        "route",
    ):
        assert exported[key] == official[key], key
    assert set(exported) - {"psp"} <= set(official)
    for list_key in ("knowledges", "skills", "behaviours"):
        assert [k["detail"] for k in exported[list_key]] == [
            k["detail"].strip() for k in official[list_key]
        ]
    assert [d["dutyID"] for d in exported["duties"]] == [d["dutyID"] for d in official["duties"]]
    before = dumps(exported)

    assert not import_standard(parse_official(json.loads(before))).changed
    StandardVersion.objects.filter(pk=v11.pk).delete()
    import_standard(parse_official(json.loads(before)))
    again = StandardVersion.objects.get_by_natural_key("ST0494", "1.1")
    assert dumps(export_official(again)) == before


def test_core_and_options_keep_their_options_and_each_dutys_option(client, db):
    from django.urls import reverse

    from psp.roles import Role
    from standards.exporting import export_official
    from standards.models import Option
    from tests.factories import make_user

    official = payload("ST0096_2.1.json")
    import_standard(parse_official(official))

    version = StandardVersion.objects.get()
    assert version.core_and_options
    options = list(Option.objects.filter(version=version))
    assert [(o.title, str(o.guid)) for o in options] == [
        (o["title"], o["optionId"]) for o in official["options"]
    ]
    by_guid = {str(o.guid): o for o in options}
    for duty, item in zip(Duty.objects.filter(version=version), official["duties"], strict=True):
        assert [by_guid[g] for g in item["mappedOptions"]] == list(duty.options.all())
        assert duty.is_core is bool(item["isThisACoreDuty"])
    exported = export_official(version)
    assert exported["coreAndOptions"] is True
    assert [o["optionId"] for o in exported["options"]] == [
        o["optionId"] for o in official["options"]
    ]
    assert [d["mappedOptions"] for d in exported["duties"]] == [
        d["mappedOptions"] for d in official["duties"]
    ]
    assert not import_standard(parse_official(exported)).changed
    client.force_login(make_user(role=Role.APPRENTICE))
    page = client.get(reverse("standards:version_detail", args=["ST0096", "2.1"])).content
    assert b"Option 1: solid Plasterer" in page
    assert b"Option: fibrous Plasterer" in page
