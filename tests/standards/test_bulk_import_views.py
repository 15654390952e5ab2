"""The admin's upload of the API's whole list: every version imported in the worker, with
progress on a status page (standards.uploads.run_bulk_import)."""

import gzip
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from psp.roles import Role
from standards.models import BulkImport, StandardImport, StandardVersion
from standards.uploads import run_bulk_import
from tests.factories import make_user
from tests.standards.official import OFFICIAL, payload


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user(role=Role.ADMIN))
    return client


def a_list() -> list:
    not_a_version = {**payload("ST0096_2.1.json"), "version": "", "referenceNumber": "ST0001"}
    return [payload("ST0494_1.0.json"), payload("ST0096_2.1.json"), not_a_version]


def upload(client, content: bytes, name: str, **fields):
    data = {"kind": "standard", "file": SimpleUploadedFile(name, content), **fields}
    return client.post(reverse("standards:import_upload"), data)


@pytest.mark.parametrize("compress", [False, True])
def test_the_whole_list_is_imported_in_the_worker_with_progress_and_refusals(
    admin_client, django_capture_on_commit_callbacks, compress, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    content = json.dumps(a_list()).encode()
    if compress:
        content = gzip.compress(content)
    name = "apprenticeshipstandards.json" + (".gz" if compress else "")
    with django_capture_on_commit_callbacks() as queued:
        response = upload(admin_client, content, name)
    bulk = BulkImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == bulk.get_absolute_url()
    assert len(queued) == 1  # the worker's task, after the commit
    assert not StandardVersion.objects.filter(standard__reference="ST0096").exists()
    page = admin_client.get(bulk.get_absolute_url()).content.decode()
    assert "Waiting for the background worker" in page
    assert "Check now" in page  # without JavaScript; with it, report-status.js polls
    assert 'data-report-status="queued"' in page

    run_bulk_import(bulk.pk)  # what the task does

    bulk.refresh_from_db()
    assert bulk.status == BulkImport.Status.DONE
    assert (bulk.read, bulk.imported, bulk.unchanged, bulk.revised) == (3, 2, 0, 0)
    assert [name for name, _ in bulk.refusals] == ["ST0001 v(none)"]
    assert bulk.refusals[0][1]  # with its reason
    assert not bulk.file  # the file is not kept once imported
    assert StandardVersion.objects.filter(standard__reference="ST0096", version="2.1").exists()
    assert not StandardImport.objects.exists()  # no single-version preview
    page = admin_client.get(bulk.get_absolute_url()).content.decode()
    assert "Import finished" in page
    assert 'data-report-status="done"' in page
    assert "ST0001 v(none)" in page
    assert "Check now" not in page

    # The same file again changes nothing.
    upload(admin_client, content, name)
    again = BulkImport.objects.exclude(pk=bulk.pk).get()
    run_bulk_import(again.pk)
    again.refresh_from_db()
    assert (again.imported, again.unchanged, again.revised, again.refused) == (0, 2, 0, 1)


def test_a_list_with_a_reference_keeps_the_preview_and_confirm_flow(
    admin_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    content = json.dumps(a_list()).encode()
    response = upload(admin_client, content, "list.json", reference="ST0096")
    staged = StandardImport.objects.get()
    assert response["Location"] == staged.get_absolute_url()
    assert not BulkImport.objects.exists()
    assert not StandardVersion.objects.filter(standard__reference="ST0096").exists()


def test_a_single_version_file_keeps_the_preview_even_gzipped(admin_client):
    content = gzip.compress((OFFICIAL / "ST0096_2.1.json").read_bytes())
    response = upload(admin_client, content, "ST0096_2.1.json.gz")
    assert response["Location"] == StandardImport.objects.get().get_absolute_url()
    assert not BulkImport.objects.exists()


def test_a_broken_list_stops_with_a_reason_and_keeps_what_was_imported(
    admin_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    whole = json.dumps(a_list()[:2])
    broken = whole[: whole.rindex("{")] + '{"referenceNumber": "ST9'  # cut in the last one
    upload(admin_client, broken.encode(), "cut.json")
    bulk = BulkImport.objects.get()
    run_bulk_import(bulk.pk)
    bulk.refresh_from_db()
    assert bulk.status == BulkImport.Status.FAILED
    assert bulk.error
    assert bulk.imported == 1
    page = admin_client.get(bulk.get_absolute_url()).content.decode()
    assert "The import stopped" in page


def test_only_administrators_see_a_bulk_import(client, admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload(admin_client, json.dumps(a_list()).encode(), "list.json")
    url = BulkImport.objects.get().get_absolute_url()
    client.logout()
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(make_user(role=Role.PROVIDER))
    assert client.get(url).status_code == 403
