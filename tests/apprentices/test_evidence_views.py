import datetime
import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apprentices.models import Evidence, EvidenceFile
from psp.models import Organisation
from psp.roles import Role
from tests.apprentices import samples
from tests.factories import make_apprentice, make_evidence, make_staff, make_user


@pytest.fixture
def apprentice(db):
    return make_apprentice()


@pytest.fixture
def apprentice_client(client, apprentice):
    client.force_login(apprentice.user)
    return client


def upload_form(**overrides):
    data = {
        "title": "Anonymised risk assessment",
        "activity_date_0": "14",
        "activity_date_1": "5",
        "activity_date_2": "2025",
        "evidence_type": "work_product",
        "reflection": "What I learned about assessing risk.",
        "personal_data_removed": "on",
        "uploads": [
            SimpleUploadedFile("report.pdf", samples.PDF, content_type="application/pdf"),
            SimpleUploadedFile("notes.txt", samples.TEXT, content_type="text/plain"),
        ],
    }
    data.update(overrides)
    return data


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_apprentice_uploads_two_files_as_one_evidence_item(apprentice_client, apprentice, settings):
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form()
    )
    evidence = Evidence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("apprentices:evidence_map", args=[evidence.pk])
    assert evidence.status == "draft"
    files = list(evidence.files.order_by("original_name"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("notes.txt", "text/plain"),
        ("report.pdf", "application/pdf"),
    ]
    assert len(files[1].sha256) == 64
    assert len(stored_files(settings)) == 2
    assert [e.action for e in evidence.events.order_by("id")] == [
        "created",
        "file_added",
        "file_added",
    ]


def test_a_refused_file_saves_nothing_and_says_why(apprentice_client, apprentice, settings):
    files = [
        SimpleUploadedFile("ok.pdf", samples.PDF),
        SimpleUploadedFile("totally-a.pdf", samples.HTML, content_type="application/pdf"),
    ]
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form(uploads=files)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "totally-a.pdf: The file contains web page markup or script" in page
    assert "govuk-error-summary" in page
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []


def test_an_oversized_file_is_refused_while_streaming(apprentice_client, apprentice, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.txt", b"a" * (1024 * 1024 + 10))
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form(uploads=[big])
    )
    assert "big.txt is larger than the limit" in response.content.decode()
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []


def test_a_postcode_in_the_reflection_is_flagged_until_fixed_or_confirmed(
    apprentice_client, apprentice
):
    url = reverse("apprentices:evidence_create", args=[apprentice.pk])
    response = apprentice_client.post(url, upload_form(reflection="Home visit at LS6 2QA."))
    assert "This may identify someone: a postcode (LS6 2QA)" in response.content.decode()
    assert Evidence.objects.count() == 0
    apprentice_client.post(
        url,
        upload_form(reflection="Home visit.", uploads=[SimpleUploadedFile("a.txt", samples.TEXT)]),
    )
    assert Evidence.objects.count() == 1
    apprentice_client.post(
        url,
        upload_form(
            reflection="Our office is at LS1 1AA.",
            confirm_identifiers="on",
            uploads=[SimpleUploadedFile("b.txt", samples.TEXT)],
        ),
    )
    assert Evidence.objects.latest("id").identifiers_confirmed == ["a postcode: LS1 1AA"]


def test_upload_requires_confirming_identifying_details_removed(apprentice_client, apprentice):
    data = upload_form()
    del data["personal_data_removed"]
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), data
    )
    assert "Confirm you have removed details that identify people" in response.content.decode()


def test_after_another_error_the_chosen_files_are_asked_for_again_by_name(
    apprentice_client, apprentice
):
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form(title="")
    )
    page = response.content.decode()
    assert "Choose your files again (report.pdf, notes.txt)" in page
    assert 'href="#id_uploads"' in page  # in the error summary, leading to the field
    assert not apprentice.evidence.exists()


def test_review_queue_finds_by_apprentice_or_title_and_sorts(
    client, apprentice, django_assert_max_num_queries
):
    provider_user = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    other = make_apprentice(
        training_provider=apprentice.training_provider,
        user=make_user(first_name="Zed", last_name="Aaronson"),
    )
    old = make_evidence(apprentice=apprentice, status="submitted", title="Risk assessment")
    new = make_evidence(apprentice=other, status="submitted", title="Supervision notes")
    Evidence.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=3))
    Evidence.objects.filter(pk=new.pk).update(submitted_at=timezone.now() - timedelta(days=1))
    client.force_login(provider_user)
    url = reverse("apprentices:review_queue")

    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert page.index("Risk assessment") < page.index("Supervision notes")  # waiting longest
    page = client.get(url, {"sort": "-submitted"}).content.decode()
    assert page.index("Supervision notes") < page.index("Risk assessment")
    page = client.get(url, {"sort": "apprentice"}).content.decode()
    assert page.index("Supervision notes") < page.index("Risk assessment")  # Aaronson first
    page = client.get(url, {"q": "aaronson"}).content.decode()
    assert new.title in page
    assert old.title not in page
    page = client.get(url, {"q": "nothing like it", "sort": "bogus"}).content.decode()
    assert "No evidence waiting for review matches" in page


def test_a_missing_answer_is_named_not_just_required(apprentice_client, apprentice):
    data = upload_form(title="")
    del data["evidence_type"]
    page = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), data
    ).content.decode()
    assert "Enter the title" in page
    assert "Choose the type of evidence" in page
    assert "This field is required" not in page


def test_apprentice_cannot_add_evidence_to_someone_elses_portfolio(apprentice_client, db):
    other = make_apprentice()
    response = apprentice_client.get(reverse("apprentices:evidence_create", args=[other.pk]))
    assert response.status_code == 404


def test_mapping_submit_review_resubmit_accept(client, apprentice):
    provider_user = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    client.force_login(apprentice.user)
    client.post(reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form())
    evidence = Evidence.objects.get()
    k1, _k2, s1 = apprentice.standard_version.ksbs.in_standard_order()
    client.post(
        reverse("apprentices:evidence_map", args=[evidence.pk]),
        {f"ksb_{k1.pk}": "on", f"note_{k1.pk}": "Shows the law", f"ksb_{s1.pk}": "on"},
    )
    assert {m.ksb.code: m.note for m in evidence.mappings.all()} == {
        "K1": "Shows the law",
        "S1": "",
    }
    client.post(reverse("apprentices:evidence_submit", args=[evidence.pk]))
    evidence.refresh_from_db()
    assert evidence.status == "submitted"

    client.force_login(provider_user)
    queue = client.get(reverse("apprentices:review_queue")).content.decode()
    assert "Anonymised risk assessment" in queue
    response = client.post(
        reverse("apprentices:evidence_review", args=[evidence.pk]), {"decision": "changes"}
    )
    assert "Say what the apprentice needs to change" in response.content.decode()
    client.post(
        reverse("apprentices:evidence_review", args=[evidence.pk]),
        {"decision": "changes", "comment": "Add your reflection on S1"},
    )
    evidence.refresh_from_db()
    assert evidence.status == "changes_requested"

    client.force_login(apprentice.user)
    detail = client.get(evidence.get_absolute_url()).content.decode()
    assert "Add your reflection on S1" in detail
    client.post(reverse("apprentices:evidence_submit", args=[evidence.pk]))
    evidence.refresh_from_db()
    assert evidence.status_label == "Resubmitted"

    client.force_login(provider_user)
    client.post(reverse("apprentices:evidence_review", args=[evidence.pk]), {"decision": "accept"})
    evidence.refresh_from_db()
    assert evidence.status == "accepted"
    assert [e.action for e in evidence.events.order_by("id")][-5:] == [
        "mapping_changed",
        "submitted",
        "changes_requested",
        "submitted",
        "accepted",
    ]


def test_accepted_evidence_is_read_only_to_the_apprentice(apprentice_client, apprentice):
    evidence = make_evidence(apprentice=apprentice, status="accepted")
    assert (
        apprentice_client.get(reverse("apprentices:evidence_edit", args=[evidence.pk])).status_code
        == 403
    )
    assert (
        apprentice_client.post(
            reverse("apprentices:evidence_withdraw", args=[evidence.pk])
        ).status_code
        == 403
    )
    assert (
        apprentice_client.post(
            reverse("apprentices:evidence_submit", args=[evidence.pk])
        ).status_code
        == 403
    )


def test_submit_without_files_or_ksbs_says_what_is_missing(apprentice_client, apprentice):
    evidence = make_evidence(apprentice=apprentice)
    response = apprentice_client.post(
        reverse("apprentices:evidence_submit", args=[evidence.pk]), follow=True
    )
    page = response.content.decode()
    assert "Add at least one file" in page
    assert "Map the evidence to at least one KSB" in page
    evidence.refresh_from_db()
    assert evidence.status == "draft"


def test_withdrawing_keeps_the_record_and_its_reason(apprentice_client, apprentice):
    evidence = make_evidence(apprentice=apprentice)
    apprentice_client.post(
        reverse("apprentices:evidence_withdraw", args=[evidence.pk]), {"reason": "Duplicate"}
    )
    evidence.refresh_from_db()
    assert evidence.status == "withdrawn"
    assert evidence.events.get().comment == "Duplicate"


def test_review_page_says_your_decision_once(client, apprentice):
    # The decision's legend is the heading of that part of the page: no second heading.
    evidence = make_evidence(apprentice=apprentice, status="submitted")
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    page = client.get(reverse("apprentices:evidence_review", args=[evidence.pk]))
    assert page.content.decode().count("Your decision") == 1


def test_reviewer_can_return_evidence_for_personal_data(client, apprentice):
    evidence = make_evidence(apprentice=apprentice, status="submitted")
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    client.post(
        reverse("apprentices:evidence_review", args=[evidence.pk]),
        {"decision": "accept", "personal_data": "on", "comment": "Page 2 names the victim"},
    )
    evidence.refresh_from_db()
    assert evidence.status == "changes_requested"
    assert evidence.returned_for_personal_data


def test_removing_a_file_keeps_it_stored_and_in_the_history(
    apprentice_client, apprentice, settings
):
    apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form()
    )
    evidence = Evidence.objects.get()
    evidence_file = evidence.files.first()
    apprentice_client.post(
        reverse("apprentices:evidence_file_remove", args=[evidence.pk, evidence_file.pk])
    )
    evidence_file.refresh_from_db()
    assert evidence_file.removed_at is not None
    assert len(stored_files(settings)) == 2
    assert evidence.events.filter(action="file_removed").exists()


@pytest.fixture
def uploaded(apprentice_client, apprentice):
    apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form()
    )
    return EvidenceFile.objects.get(original_name="report.pdf")


def test_owner_downloads_a_file_as_an_attachment_with_nosniff(apprentice_client, uploaded):
    response = apprentice_client.get(uploaded.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == samples.PDF


@pytest.mark.parametrize(
    ("role", "same_organisation", "status"),
    [
        (Role.PROVIDER, True, 200),
        (Role.PROVIDER, False, 404),
        (Role.EMPLOYER, True, 200),
        (Role.EMPLOYER, False, 404),
        (Role.ASSESSOR, False, 404),
        (Role.APPRENTICE, False, 404),
    ],
)
def test_file_download_is_scoped_to_who_may_see_the_evidence(
    client, apprentice, uploaded, role, same_organisation, status
):
    if same_organisation:
        organisation = (
            apprentice.training_provider if role == Role.PROVIDER else apprentice.employer
        )
    else:
        organisation = Organisation.objects.create(name=f"Other {role}", kind="employer")
    client.force_login(make_staff(role=role, organisation=organisation))
    assert client.get(uploaded.get_absolute_url()).status_code == status


def test_stored_files_have_no_public_url(client, uploaded, settings):
    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"
    client.force_login(make_user(role=Role.ADMIN))
    assert client.get(f"/media/{uploaded.file.name}").status_code == 404
    assert client.get(f"/{uploaded.file.name}").status_code == 404


def test_anonymous_user_is_sent_to_sign_in_for_a_file(client, uploaded):
    client.logout()
    response = client.get(uploaded.get_absolute_url())
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_activity_date_in_the_future_is_refused(apprentice_client, apprentice):
    future = timezone.localdate() + datetime.timedelta(days=30)
    data = upload_form(
        activity_date_0=str(future.day),
        activity_date_1=str(future.month),
        activity_date_2=str(future.year),
    )
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), data
    )
    assert "must be today or in the past" in response.content.decode()


def test_finding_a_ksb_without_javascript_keeps_the_ticks(apprentice_client, apprentice):
    evidence = make_evidence(apprentice=apprentice)
    k1 = apprentice.standard_version.ksbs.get(kind="K", number=1)
    response = apprentice_client.post(
        reverse("apprentices:evidence_map", args=[evidence.pk]),
        {f"ksb_{k1.pk}": "on", "q": "gadgets", "action": "filter"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert evidence.mappings.count() == 0
    assert f'id="id_ksb_{k1.pk}" name="ksb_{k1.pk}" type="checkbox" value="on" checked' in page
    assert 'data-ksb-text="K1 knows widgets" hidden' in page
    assert "There is a problem" not in page


def test_mapping_with_nothing_ticked_is_a_clear_error(apprentice_client, apprentice):
    evidence = make_evidence(apprentice=apprentice)
    response = apprentice_client.post(reverse("apprentices:evidence_map", args=[evidence.pk]), {})
    assert "Select at least one KSB that the evidence shows" in response.content.decode()


# Issue 15, finding 8: personal data in the files, not only in the form's text.
def test_a_name_in_an_uploaded_pdf_is_shown_with_file_and_page_until_confirmed(
    apprentice_client, apprentice, settings
):
    url = reverse("apprentices:evidence_create", args=[apprentice.pk])
    report = samples.pdf("A fictional account.", "I met Mr Smith at 14 Acacia Avenue.")
    response = apprentice_client.post(
        url, upload_form(uploads=[SimpleUploadedFile("report.pdf", report)])
    )
    page = response.content.decode()
    assert (
        "report.pdf may identify someone: a person&#x27;s name (Mr Smith, page 2); "
        "a street address (14 Acacia Avenue, page 2)"
    ) in page
    assert "I have checked: none of the things listed identify a person" in page
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []
    apprentice_client.post(
        url,
        upload_form(confirm_identifiers="on", uploads=[SimpleUploadedFile("report.pdf", report)]),
    )
    assert Evidence.objects.get().identifiers_confirmed == [
        "a person's name: Mr Smith",
        "a street address: 14 Acacia Avenue",
    ]


def test_a_victims_name_in_a_word_document_is_shown_with_its_paragraph(
    apprentice_client, apprentice
):
    document = samples.docx("Fictional reflection.", "The victim, Jane Doe, was not present.")
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]),
        upload_form(uploads=[SimpleUploadedFile("account.docx", document)]),
    )
    assert (
        "account.docx may identify someone: a person&#x27;s name (Jane Doe, paragraph 2)"
        in response.content.decode()
    )
    assert Evidence.objects.count() == 0


def test_a_photo_is_stored_without_its_camera_details_and_gps_position(
    apprentice_client, apprentice
):
    photo = samples.image("JPEG", exif=True)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the GPS position
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]),
        upload_form(uploads=[SimpleUploadedFile("photo.jpg", photo)]),
        follow=True,
    )
    assert "Hidden details (camera, date taken, location) were removed from photo.jpg" in (
        response.content.decode()
    )
    stored = EvidenceFile.objects.get()
    with stored.file.open("rb") as handle:
        data = handle.read()
    kept = Image.open(io.BytesIO(data))
    assert dict(kept.getexif()) == {}
    assert b"Fictional Camera Co" not in data
    assert kept.size == (16, 12)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)


# Issue 15, finding 3: a hostile file through the form is refused and nothing is kept.
def test_a_docx_with_a_renamed_vba_project_is_refused_and_nothing_kept(
    apprentice_client, apprentice, settings
):
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    document = samples.docx("Fictional", extra={"word/media/image1.png": vba})
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]),
        upload_form(
            uploads=[
                SimpleUploadedFile("ok.pdf", samples.PDF),
                SimpleUploadedFile("a.docx", document),
            ]
        ),
    )
    page = response.content.decode()
    assert "a.docx: The document holds an older-format Office part (word/media/image1.png)" in page
    assert "What I learned about assessing risk." in page  # what was typed is kept


def test_many_files_together_over_the_request_limit_are_refused_before_reading(
    apprentice_client, apprentice, settings
):
    # Issue 15, finding 7: each file was checked, but 40 files of 25 MB in one request was read.
    settings.PSP_MAX_REQUEST_MB = 1
    files = [SimpleUploadedFile(f"part-{n}.txt", b"a" * 400_000) for n in range(3)]
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form(uploads=files)
    )
    assert response.status_code == 413
    assert "must be at most 1 MB" in response.content.decode()
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []


def test_the_apprentice_is_told_which_pages_were_not_checked(
    apprentice_client, apprentice, monkeypatch
):
    monkeypatch.setattr("apprentices.identifiers.MAX_PDF_PAGES", 1)
    report = samples.pdf("A fictional account.", "More of it.")
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]),
        upload_form(uploads=[SimpleUploadedFile("report.pdf", report)]),
        follow=True,
    )
    assert (
        "report.pdf: page 2 could not be checked for details that identify people"
        in response.content.decode()
    )


def test_a_reflection_longer_than_the_limit_is_a_form_error_that_keeps_the_text(
    apprentice_client, apprentice
):
    # Issue 15, finding 7: free text had no length limit (1 MB texts were stored).
    from psp.forms import LONG_TEXT

    text = "I learned. " * (LONG_TEXT // 10)
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]),
        upload_form(reflection=text),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Keep this to at most 10,000 characters" in page
    assert "I learned. I learned." in page
    assert Evidence.objects.count() == 0


def test_a_megabyte_of_text_in_one_request_is_refused(apprentice_client, apprentice):
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]),
        upload_form(reflection="x" * 1024 * 1024),
    )
    assert response.status_code == 400
    assert Evidence.objects.count() == 0
