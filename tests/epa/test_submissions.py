"""The apprentice hands in material a method asks for; late or missing is shown to the
assessor, and the material joins the gateway pack with its hash."""

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from demo.seeding import DEMO_PDF
from epa.models import MethodSubmission


@pytest.fixture
def demonstration(epa):
    """Method 2 of the plan: material due by the end of week 8 of the EPA period."""
    return epa.assessments.get(method__number=2)


def hand_in(client, epa, assessment, *, name="slides.pdf", kind="slides"):
    url = reverse("epa:submission_add", args=[epa.pk, assessment.pk])
    return client.post(
        url,
        {"kind": kind, "upload": SimpleUploadedFile(name, DEMO_PDF, "application/pdf")},
        follow=True,
    )


def test_slides_handed_in_late_are_kept_and_shown_late_to_the_assessor(client, epa, demonstration):
    # The conftest EPA period started in 2031 but today is earlier: move the period back so
    # the deadline has passed, as the workflow would after weeks of waiting.
    type(epa).objects.filter(pk=epa.pk).update(
        period_start=timezone.localdate() - datetime.timedelta(days=70),
        period_end=timezone.localdate() + datetime.timedelta(days=50),
    )
    epa.refresh_from_db()
    client.force_login(epa.apprentice.user)
    page = hand_in(client, epa, demonstration).content.decode()
    assert "handed in after the deadline" in page
    submission = MethodSubmission.objects.get()
    assert submission.is_late
    assert submission.sha256 == hashlib.sha256(DEMO_PDF).hexdigest()
    client.force_login(epa.assessor)
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "Late</strong>" in page
    assert submission.sha256 in page
    download = client.get(submission.get_absolute_url())
    assert b"".join(download.streaming_content) == DEMO_PDF
    pack = client.get(
        reverse("epa:gateway_pack", args=[epa.apprentice_id, epa.gateway.number])
    ).content.decode()
    assert "Supplement: handed in for the assessment methods" in pack
    assert submission.sha256 in pack


def test_slides_handed_in_before_the_deadline_are_on_time(client, epa, demonstration):
    client.force_login(epa.apprentice.user)
    page = hand_in(client, epa, demonstration).content.decode()
    assert "slides.pdf handed in." in page
    assert not MethodSubmission.objects.get().is_late
    demonstration.refresh_from_db()
    assert demonstration.submission_state == "on time"


def test_nothing_handed_in_by_the_deadline_is_missing(epa, demonstration):
    type(epa).objects.filter(pk=epa.pk).update(
        period_start=timezone.localdate() - datetime.timedelta(days=70)
    )
    demonstration = epa.assessments.select_related("epa").get(pk=demonstration.pk)
    assert demonstration.submission_state == "missing"


def test_a_method_without_a_deadline_takes_no_material(client, epa):
    interview = epa.assessments.get(method__number=1)
    client.force_login(epa.apprentice.user)
    assert hand_in(client, epa, interview).status_code == 403
    assert not MethodSubmission.objects.exists()


def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_kept(client, epa, demonstration):
    client.force_login(epa.apprentice.user)
    url = reverse("epa:submission_add", args=[epa.pk, demonstration.pk])
    page = client.post(
        url, {"kind": "slides", "upload": SimpleUploadedFile("run.exe", b"MZ\x90\x00binary")}
    ).content.decode()
    assert "run.exe:" in page
    assert not MethodSubmission.objects.exists()


def test_only_the_apprentice_hands_in(client, epa, demonstration, provider_user):
    client.force_login(provider_user)
    assert hand_in(client, epa, demonstration).status_code == 403
    client.force_login(epa.assessor)
    assert hand_in(client, epa, demonstration).status_code == 403
    assert not MethodSubmission.objects.exists()


def test_hand_ins_join_the_gateway_pack_as_a_supplement_chained_to_its_hash(
    client, epa, demonstration
):
    from epa import gateway

    pack_hash = epa.gateway.pack_hash
    client.force_login(epa.apprentice.user)
    hand_in(client, epa, demonstration)
    hand_in(client, epa, demonstration, name="notes.pdf", kind="supporting")
    first, second = MethodSubmission.objects.order_by("id")
    expected = gateway.supplement_link(pack_hash, gateway.supplement_entry(first))
    assert first.supplement_hash == expected
    assert second.supplement_hash == gateway.supplement_link(
        expected, gateway.supplement_entry(second)
    )
    epa.gateway.refresh_from_db()
    assert epa.gateway.pack_hash == pack_hash  # the frozen pack is not touched
    supplement = gateway.supplement(epa.gateway)
    assert (supplement.hash, supplement.verified) == (second.supplement_hash, True)
    client.force_login(epa.assessor)
    pack = client.get(reverse("epa:gateway_pack", args=[epa.apprentice_id, epa.gateway.number]))
    page = pack.content.decode()
    assert second.supplement_hash in page
    assert "still has this hash" in page
    assert "Changed since handed in" not in page


def test_a_hand_in_changed_afterwards_no_longer_matches_the_supplement(client, epa, demonstration):
    from django.db import connection

    client.force_login(epa.apprentice.user)
    hand_in(client, epa, demonstration)
    hand_in(client, epa, demonstration, name="notes.pdf", kind="supporting")
    first = MethodSubmission.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE epa_methodsubmission SET sha256 = %s WHERE id = %s", ["0" * 64, first.pk]
        )
    client.force_login(epa.assessor)
    pack = client.get(reverse("epa:gateway_pack", args=[epa.apprentice_id, epa.gateway.number]))
    page = pack.content.decode()
    assert page.count("Changed since handed in") == 2  # that hand-in and every later link
    assert "no longer matches its hashes" in page


def test_the_gateway_pack_pdf_lists_the_supplement_with_its_hashes(epa, demonstration):
    from apprentices.uploads import check_upload
    from epa import grading
    from psp.roles import Role
    from reports import building
    from tests.factories import make_staff
    from tests.reports.test_building import pdf_text

    upload = check_upload(SimpleUploadedFile("slides.pdf", DEMO_PDF, "application/pdf"))
    submission = grading.hand_in(demonstration, upload, kind="slides", by=epa.apprentice.user)
    provider = make_staff(role=Role.PROVIDER, organisation=epa.apprentice.training_provider)
    report = building.build(building.request_report(epa.gateway, requested_by=provider).pk)
    text = " ".join(pdf_text(report).split())
    for expected in (
        "Supplement SHA-256",
        submission.supplement_hash,
        "recomputed from the pack hash and the 1 hand-in below",
        "Supplement: handed in for the assessment methods",
        "slides.pdf",
        submission.sha256,
    ):
        assert expected in text, expected
