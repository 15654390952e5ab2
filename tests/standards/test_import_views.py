import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from psp.roles import Role
from standards.importing import import_standard, parse_official
from standards.models import EpaPlan, StandardImport, StandardVersion
from standards.uploads import payload_sha256
from tests.factories import make_user
from tests.standards.samples import KNOWLEDGE, epa_plan_json, guid, official_json


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user(role=Role.ADMIN))
    return client


def upload(client, data, *, kind="standard", name="standard.json", **fields):
    content = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(
        reverse("standards:import_upload"),
        {"kind": kind, "file": SimpleUploadedFile(name, content), **fields},
    )


def staged(admin, **fields):
    payload = fields.pop("payload", official_json())
    return StandardImport.objects.create(
        kind=StandardImport.Kind.STANDARD,
        filename="standard.json",
        reference=payload["referenceNumber"],
        version=payload["version"],
        payload=payload,
        sha256=payload_sha256(payload),
        uploaded_by=admin,
        **fields,
    )


def test_anonymous_users_are_sent_to_sign_in(client, db):
    admin = make_user(role=Role.ADMIN)
    pk = staged(admin).pk
    for url in [
        reverse("standards:import_list"),
        reverse("standards:import_upload"),
        reverse("standards:import_preview", args=[pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    confirm = client.post(reverse("standards:import_confirm", args=[pk]))
    assert confirm.status_code == 302
    assert StandardImport.objects.get().is_pending


@pytest.mark.parametrize("role", [role for role in Role if role != Role.ADMIN])
def test_only_administrators_may_import(client, db, role):
    pk = staged(make_user(role=Role.ADMIN)).pk
    client.force_login(make_user(role=role))

    for url in [
        reverse("standards:import_list"),
        reverse("standards:import_upload"),
        reverse("standards:import_preview", args=[pk]),
    ]:
        assert client.get(url).status_code == 403
    assert upload(client, official_json()).status_code == 403
    assert client.post(reverse("standards:import_confirm", args=[pk])).status_code == 403
    assert client.post(reverse("standards:import_discard", args=[pk])).status_code == 403
    assert not StandardVersion.objects.exists()


def test_upload_keeps_the_payload_for_preview_and_writes_nothing_else(admin_client):
    response = upload(admin_client, official_json())

    standard_import = StandardImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == standard_import.get_absolute_url()
    assert standard_import.is_pending
    assert (standard_import.reference, standard_import.version) == ("ST9990", "1.0")
    assert standard_import.sha256 == payload_sha256(official_json())
    assert not StandardVersion.objects.exists()


def test_upload_of_invalid_json_lists_the_problem_and_saves_nothing(admin_client):
    response = upload(admin_client, b'{"referenceNumber": "ST9990",')

    page = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in page
    assert "$: the file is not valid JSON" in page
    assert not StandardImport.objects.exists()


def test_upload_lists_every_validation_problem_with_its_path(admin_client):
    payload = official_json(level="three")
    payload["duties"][0]["mappedKnowledge"] = ["K9"]

    response = upload(admin_client, payload)

    page = response.content.decode()
    assert response.status_code == 400
    assert page.count('<li><a href="#id_file">') == 2
    assert "$.level: must be a whole number, not text" in page
    assert "$.duties[0].mappedKnowledge[0]:" in page
    assert not StandardImport.objects.exists()


def test_upload_of_the_api_array_picks_the_reference_asked_for(admin_client):
    array = [official_json(reference="ST9998"), official_json(), official_json(version="1.1")]

    response = upload(admin_client, array, reference="ST9990")

    assert StandardImport.objects.get().version == "1.1"
    preview = admin_client.get(response["Location"]).content.decode()
    assert "Took ST9990 v1.1 from the 3 versions in the file" in preview


def test_upload_of_the_api_array_without_a_reference_imports_every_version_in_the_worker(
    admin_client, settings, tmp_path
):
    """Once refused ("say which standard"); now `--all` (tests/standards/test_bulk_import_views)."""
    from standards.models import BulkImport

    settings.MEDIA_ROOT = tmp_path
    response = upload(admin_client, [official_json()])

    assert response["Location"] == BulkImport.objects.get().get_absolute_url()
    assert not StandardImport.objects.exists()


def test_preview_highlights_reworded_text_word_by_word(admin_client):
    import_standard(parse_official(official_json()))
    revised = official_json(
        version="1.1",
        knowledge=[
            "How imaginary widgets are built from sprockets and flanges.",
            KNOWLEDGE[1],
            KNOWLEDGE[2],
            "How imaginary gadgets differ from widgets.",
        ],
        skills=["Inspect a widget for cracked sprockets."],
    )
    revised["knowledges"][3]["knowledgeId"] = guid("K4-new")
    revised["duties"][1]["mappedSkills"] = []  # S2 is removed

    response = admin_client.get(upload(admin_client, revised)["Location"])

    page = response.content.decode()
    assert response.status_code == 200
    assert "Compared with version 1.0, the latest earlier version in psp that has its KSBs." in page
    assert '<del><span class="govuk-visually-hidden">[removed: </span>assembled' in page
    assert '<ins><span class="govuk-visually-hidden">[added: </span>built' in page
    assert " style=" not in page
    items = {
        item.label: item.change
        for section in response.context["preview"].sections
        for item in section.items
    }
    assert (items["K1"], items["K2"], items["K4"], items["S2"]) == (
        "changed", "unchanged", "added", "removed",
    )  # fmt: skip
    assert "Confirm and import" in page


def test_confirm_applies_exactly_the_previewed_upload(admin_client):
    location = upload(admin_client, official_json())["Location"]
    standard_import = StandardImport.objects.get()

    response = admin_client.post(
        reverse("standards:import_confirm", args=[standard_import.pk]),
        {"sha256": standard_import.sha256},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("standards:version_detail", args=["ST9990", "1.0"])
    standard_import.refresh_from_db()
    assert standard_import.status == StandardImport.Status.APPLIED
    assert standard_import.decided_by.role == Role.ADMIN
    assert "new version ST9990 v1.0" in standard_import.result
    assert StandardVersion.objects.get().ksbs.count() == 7
    done = admin_client.get(location).content.decode()
    assert "Confirm and import" not in done
    assert "Imported" in done


def test_confirm_with_another_uploads_checksum_imports_nothing(admin_client):
    upload(admin_client, official_json())
    standard_import = StandardImport.objects.get()

    response = admin_client.post(
        reverse("standards:import_confirm", args=[standard_import.pk]), {"sha256": "0" * 64}
    )

    assert response.status_code == 302
    assert StandardImport.objects.get().is_pending
    assert not StandardVersion.objects.exists()


def test_confirm_after_psp_changed_imports_nothing_and_the_preview_says_why(admin_client):
    upload(admin_client, official_json(title="Imaginary widget examiner"))
    standard_import = StandardImport.objects.get()
    # Someone else imported v1.0 meanwhile, with a statement the upload would remove.
    import_standard(parse_official(official_json(knowledge=[*KNOWLEDGE, "Knows sprockets."])))

    response = admin_client.post(
        reverse("standards:import_confirm", args=[standard_import.pk]),
        {"sha256": standard_import.sha256},
        follow=True,
    )

    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "This file can no longer be imported" in page
    assert "<code>$.knowledges</code>: K4 is in this version in psp but not in the file" in page
    assert StandardVersion.objects.get().title == "Imaginary widget inspector"
    assert StandardImport.objects.get().is_pending


def test_an_upload_can_be_discarded(admin_client):
    upload(admin_client, official_json())
    standard_import = StandardImport.objects.get()

    response = admin_client.post(reverse("standards:import_discard", args=[standard_import.pk]))

    assert response["Location"] == reverse("standards:import_list")
    standard_import.refresh_from_db()
    assert standard_import.status == StandardImport.Status.DISCARDED
    assert (
        admin_client.post(
            reverse("standards:import_confirm", args=[standard_import.pk]),
            {"sha256": standard_import.sha256},
        ).status_code
        == 302
    )
    assert not StandardVersion.objects.exists()


def test_an_epa_plan_is_uploaded_previewed_and_confirmed(admin_client):
    import_standard(parse_official(official_json()))

    location = upload(admin_client, epa_plan_json(), kind="epa_plan", name="plan.json")["Location"]
    page = admin_client.get(location).content.decode()
    standard_import = StandardImport.objects.get()
    admin_client.post(
        reverse("standards:import_confirm", args=[standard_import.pk]),
        {"sha256": standard_import.sha256},
    )

    assert "There is no earlier EPA plan for this standard in psp" in page
    assert "Observation of a widget inspection" in page
    assert EpaPlan.objects.get().grading_imported


def test_an_official_file_uploaded_as_an_epa_plan_is_explained(admin_client):
    import_standard(parse_official(official_json()))

    response = upload(admin_client, official_json(), kind="epa_plan")

    assert "is it the official standard JSON?" in response.content.decode()


def test_import_list_shows_uploads_newest_first_in_pages_of_25(admin_client):
    admin = make_user(role=Role.ADMIN, first_name="Ada", last_name="Admin")
    for number in range(30):
        staged(admin, payload=official_json(version=f"1.{number}"))

    first = admin_client.get(reverse("standards:import_list"))
    second = admin_client.get(reverse("standards:import_list"), {"page": 2})

    assert [i.version for i in first.context["page"].object_list][:2] == ["1.29", "1.28"]
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert "Ada Admin" in first.content.decode()


def test_import_list_uses_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    admin = make_user(role=Role.ADMIN)
    from standards.models import BulkImport

    for number in range(10):
        staged(admin, payload=official_json(version=f"1.{number}"))
        BulkImport.objects.create(filename=f"list{number}.json", sha256="0" * 64, uploaded_by=admin)

    # 8, and one for the latest lists of standard versions imported whole.
    with django_assert_max_num_queries(9):
        response = admin_client.get(reverse("standards:import_list"))
    assert "list9.json" in response.content.decode()


def test_administrators_see_the_import_page_in_the_navigation(client, db):
    client.force_login(make_user(role=Role.ADMIN))
    assert reverse("standards:import_list") in client.get(reverse("home")).content.decode()
    client.force_login(make_user(role=Role.PROVIDER))
    assert reverse("standards:import_list") not in client.get(reverse("home")).content.decode()


def test_upload_shows_the_oddities_of_a_real_official_file_as_warnings(admin_client):
    payload = official_json()
    payload["knowledges"].append(dict(payload["knowledges"][0], knowledgeId=guid("K9")))
    payload["duties"][0]["mappedSkills"].append(guid("S7"))

    response = upload(admin_client, payload)

    preview = admin_client.get(response["Location"]).content.decode()
    assert "The file has 2 oddities that psp imports as described" in preview
    assert "K4 has the same text as K1" in preview
    assert "$.duties[0].mappedSkills[" in preview


def test_upload_of_a_real_official_file_previews_it(admin_client):
    from tests.standards.official import OFFICIAL

    content = (OFFICIAL / "ST0096_2.1.json").read_bytes()

    response = upload(admin_client, content, name="ST0096_2.1.json")

    assert StandardImport.objects.get().reference == "ST0096"
    preview = admin_client.get(response["Location"]).content.decode()
    assert "ST0096 version 2.1" in preview
