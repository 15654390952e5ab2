import hashlib
import json
from pathlib import Path
from unittest import mock

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from storages.backends.s3 import S3Storage

from apprentices.models import Evidence, EvidenceFile
from psp.storage import StorageUnavailable, move_files, sha256_of
from reports import building
from reports.models import Report
from tests.apprentices import samples
from tests.factories import make_apprentice, make_evidence

DOWN = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/psp-test")


@pytest.fixture
def apprentice(db):
    return make_apprentice()


def upload_form(content=samples.PDF):
    return {
        "title": "Anonymised risk assessment",
        "activity_date_0": "14",
        "activity_date_1": "5",
        "activity_date_2": "2025",
        "evidence_type": "work_product",
        "reflection": "What I learned.",
        "personal_data_removed": "on",
        "uploads": [SimpleUploadedFile("report.pdf", content, content_type="application/pdf")],
    }


def bucket_names(store) -> list[str]:
    return sorted(o.key for o in store.bucket.objects.all())


# Uploads and downloads through the object store


def test_an_upload_is_stored_encrypted_in_the_object_store_and_streams_back(
    client, apprentice, object_store, settings, tmp_path
):
    client.force_login(apprentice.user)
    response = client.post(
        reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form()
    )
    assert response.status_code == 302
    stored = EvidenceFile.objects.get()
    assert bucket_names(object_store) == [stored.file.name]
    head = object_store.bucket.Object(stored.file.name)
    assert head.server_side_encryption == "AES256"
    assert stored.sha256 == hashlib.sha256(samples.PDF).hexdigest() == sha256_of(stored.file.name)
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing on this node's disk

    download = client.get(
        reverse("apprentices:evidence_file_download", args=[stored.evidence_id, stored.pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == samples.PDF
    assert download["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Length"] == str(len(samples.PDF))
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"


def test_with_signed_urls_a_download_redirects_to_a_short_lived_url_after_the_check(
    client, apprentice, object_store, settings
):
    settings.PSP_DOWNLOADS = "signed-url"
    settings.PSP_SIGNED_URL_SECONDS = 45
    evidence = make_evidence(apprentice=apprentice)
    record = EvidenceFile.objects.create(
        evidence=evidence,
        file=object_store.save("evidence/x/ab/abc", ContentFile(samples.PDF)),
        original_name="risk assessment.pdf",
        content_type="application/pdf",
        size=len(samples.PDF),
        sha256=hashlib.sha256(samples.PDF).hexdigest(),
        uploaded_by=apprentice.user,
    )
    url = reverse("apprentices:evidence_file_download", args=[evidence.pk, record.pk])
    client.force_login(make_apprentice().user)
    assert client.get(url).status_code == 404  # someone else's: no URL is issued
    client.force_login(apprentice.user)
    response = client.get(url)
    assert response.status_code == 302
    location = response["Location"]
    assert "X-Amz-Expires=45" in location
    assert "X-Amz-Signature=" in location
    assert "response-content-disposition=attachment" in location
    assert "response-content-type=application%2Fpdf" in location
    assert response["Cache-Control"] == "private, no-store"


def test_an_upload_while_the_store_is_down_is_refused_and_nothing_is_recorded(
    client, apprentice, object_store
):
    client.force_login(apprentice.user)
    with mock.patch.object(S3Storage, "_save", side_effect=DOWN):
        response = client.post(
            reverse("apprentices:evidence_create", args=[apprentice.pk]), upload_form()
        )
    assert response.status_code == 503
    assert str(StorageUnavailable()) in response.content.decode()
    assert 'value="Anonymised risk assessment"' in response.content.decode()  # kept
    assert Evidence.objects.count() == 0
    assert EvidenceFile.objects.count() == 0
    assert bucket_names(object_store) == []


def test_a_download_while_the_store_is_down_says_so_and_audits_nothing(
    client, apprentice, object_store
):
    from psp.models import AuditEntry

    evidence = make_evidence(apprentice=apprentice)
    record = EvidenceFile.objects.create(
        evidence=evidence,
        file=object_store.save("evidence/x/ab/abc", ContentFile(samples.PDF)),
        original_name="a.pdf",
        content_type="application/pdf",
        size=len(samples.PDF),
        sha256=hashlib.sha256(samples.PDF).hexdigest(),
        uploaded_by=apprentice.user,
    )
    client.force_login(apprentice.user)
    before = AuditEntry.objects.count()
    with mock.patch("psp.storage.open_stream", side_effect=DOWN):
        response = client.get(
            reverse("apprentices:evidence_file_download", args=[evidence.pk, record.pk])
        )
    assert response.status_code == 503
    assert "try the download again in a few minutes" in response.content.decode()
    assert AuditEntry.objects.count() == before
    response = client.get(
        reverse("apprentices:evidence_file_download", args=[evidence.pk, record.pk])
    )
    assert b"".join(response.streaming_content) == samples.PDF
    assert AuditEntry.objects.count() == before + 1


# Reports


@pytest.fixture
def portfolio_report(apprentice):
    return Report.objects.create(
        kind=Report.Kind.PORTFOLIO, apprentice=apprentice, requested_by=apprentice.user
    )


def test_a_report_is_built_into_the_object_store_and_a_rebuild_replaces_it(
    portfolio_report, object_store, monkeypatch
):
    builds = iter([b"%PDF-1.7 first", b"%PDF-1.7 second"])
    monkeypatch.setattr(building, "render_pdf", lambda report: next(builds))
    first = building.build(portfolio_report.pk)
    assert first.status == "ready"
    assert bucket_names(object_store) == [f"reports/report-{portfolio_report.pk}.pdf"]
    Report.objects.filter(pk=portfolio_report.pk).update(status="queued")
    second = building.build(portfolio_report.pk)
    assert bucket_names(object_store) == [f"reports/report-{portfolio_report.pk}.pdf"]
    assert second.sha256 == hashlib.sha256(b"%PDF-1.7 second").hexdigest()
    assert sha256_of(second.file.name) == second.sha256


def test_a_report_build_with_the_store_down_raises_for_a_retry_and_stays_running(
    portfolio_report, object_store, monkeypatch
):
    monkeypatch.setattr(building, "render_pdf", lambda report: b"%PDF-1.7")
    with (
        mock.patch.object(S3Storage, "_save", side_effect=DOWN),
        pytest.raises(StorageUnavailable),
    ):
        building.build(portfolio_report.pk)
    assert isinstance(StorageUnavailable(), building.TRANSIENT_ERRORS)
    portfolio_report.refresh_from_db()
    assert (portfolio_report.status, portfolio_report.file.name) == ("running", "")
    assert building.build(portfolio_report.pk, retrying=True).status == "ready"


# Health


def test_healthz_reports_storage_and_ready_fails_when_the_store_is_down(
    client, db, object_store, settings, tmp_path
):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    body = json.loads(client.get(reverse("healthz")).content)
    assert body["checks"]["storage"] == {"ok": True, "kind": "s3"}
    assert client.get(reverse("healthz_ready")).status_code == 200
    with mock.patch.object(S3Storage, "exists", side_effect=DOWN):
        ready = client.get(reverse("healthz_ready"))
        live = client.get(reverse("healthz_live"))
    assert ready.status_code == 503
    assert json.loads(ready.content)["checks"]["storage"] == {
        "ok": False,
        "kind": "s3",
        "error": "file store unreachable",
    }
    assert live.status_code == 200


def test_readiness_checks_the_folder_when_there_is_no_object_store(client, db, settings):
    body = json.loads(client.get(reverse("healthz_ready")).content)
    assert body["checks"]["storage"] == {"ok": True, "kind": "folder"}  # made if missing
    Path(settings.MEDIA_ROOT).rmdir()
    Path(settings.MEDIA_ROOT).write_bytes(b"not a folder")
    assert client.get(reverse("healthz_ready")).status_code == 503


# manage.py move_files_to_storage


def folder_with_files(settings, apprentice):
    folder = FileSystemStorage(location=settings.MEDIA_ROOT)
    evidence = make_evidence(apprentice=apprentice)
    records = []
    for index in range(3):
        content = samples.PDF + f"% {index}\n".encode()
        digest = hashlib.sha256(content).hexdigest()
        name = folder.save(f"evidence/{apprentice.pk}/{digest[:2]}/{digest}", ContentFile(content))
        records.append(
            EvidenceFile.objects.create(
                evidence=evidence,
                file=name,
                original_name=f"{index}.pdf",
                content_type="application/pdf",
                size=len(content),
                sha256=digest,
                uploaded_by=apprentice.user,
            )
        )
    return folder, records


def test_move_files_copies_verifies_and_resumes(apprentice, object_store, settings):
    folder, records = folder_with_files(settings, apprentice)
    # A run that stopped half-way: one copied, one cut short (wrong content).
    object_store.save(records[0].file.name, ContentFile(folder.open(records[0].file.name).read()))
    object_store.save(records[1].file.name, ContentFile(b"half"))

    outcome = move_files(folder, object_store)
    assert outcome.ok
    assert outcome.already_there == [records[0].file.name]
    assert sorted(outcome.copied) == sorted([records[1].file.name, records[2].file.name])
    for record in records:
        assert sha256_of(record.file.name, object_store) == record.sha256

    again = move_files(folder, object_store)
    assert (again.copied, len(again.already_there)) == ([], 3)
    assert sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == sorted(
        r.sha256 for r in records
    )  # the folder is left as it was


def test_move_files_reports_missing_and_tampered_files(apprentice, object_store, settings):
    folder, records = folder_with_files(settings, apprentice)
    Path(folder.path(records[0].file.name)).unlink()
    Path(folder.path(records[1].file.name)).write_bytes(b"changed on disk")
    outcome = move_files(folder, object_store)
    assert not outcome.ok
    assert outcome.missing == [records[0].file.name]
    assert outcome.failed == [
        (records[1].file.name, "the file differs from the hash its row records")
    ]
    assert bucket_names(object_store) == [records[2].file.name]


def test_move_files_to_storage_command_reports_and_fails_on_problems(
    apprentice, object_store, settings, capsys
):
    folder, records = folder_with_files(settings, apprentice)
    call_command("move_files_to_storage", "--dry-run")
    assert "Would copy: 3" in capsys.readouterr().out
    assert bucket_names(object_store) == []
    call_command("move_files_to_storage")
    out = capsys.readouterr().out
    assert "Copied and verified: 3" in out
    assert "Every stored file is in the object store." in out
    Path(folder.path(records[0].file.name)).unlink()
    Path(folder.path(records[1].file.name)).write_bytes(b"changed")
    call_command("move_files_to_storage")  # already copied: the folder is not read again
    assert "Already in the store and verified: 3" in capsys.readouterr().out


def test_move_files_to_storage_needs_an_object_store(db):
    with pytest.raises(CommandError, match="PSP_STORAGE=s3"):
        call_command("move_files_to_storage")


def test_when_the_store_stays_down_the_build_task_retries_then_says_so(
    portfolio_report, object_store, monkeypatch
):
    from reports.tasks import build_report

    monkeypatch.setattr(building, "render_pdf", lambda report: b"%PDF-1.7")
    monkeypatch.setattr(build_report, "retry_backoff", False)
    with mock.patch.object(S3Storage, "_save", side_effect=DOWN):
        build_report.apply(args=[portfolio_report.pk])
    portfolio_report.refresh_from_db()
    assert portfolio_report.status == "failed"
    assert "The file store could not be reached" in portfolio_report.failure_reason
    assert portfolio_report.attempts == build_report.max_retries + 1
    assert bucket_names(object_store) == []
