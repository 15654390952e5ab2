"""Virus scanning of uploads: the EICAR test file, and ClamAV's clamd over INSTREAM, tested
against a small fake clamd that this file runs on 127.0.0.1 (or a Unix socket)."""

import io
import json
import socketserver
import struct
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from apprentices.filetypes import FileTypeError
from apprentices.models import Evidence, EvidenceFile
from apprentices.portfolio import create_evidence
from apprentices.scanning import CHUNK_SIZE, EICAR, ScanFailed, VirusFound, scan
from apprentices.uploads import check_upload
from psp.roles import Role
from tests.apprentices import samples
from tests.factories import make_apprentice, make_user

FAKE_VIRUS = b"FAKE-VIRUS-FOR-THE-FAKE-CLAMD"
EICAR_FILE = EICAR + b"\r\n"


class FakeClamdHandler(socketserver.StreamRequestHandler):
    """Speaks just enough of clamd's protocol: zPING and zINSTREAM."""

    def handle(self) -> None:
        server = self.server
        command = b""
        while not command.endswith((b"\0", b"\n")):
            byte = self.rfile.read(1)
            if not byte:
                return
            command += byte
        command = command.strip(b"\0\n")
        if command in (b"zPING", b"nPING"):
            self.wfile.write(b"PONG\0")
            return
        if command not in (b"zINSTREAM", b"nINSTREAM"):
            self.wfile.write(b"UNKNOWN COMMAND\0")
            return
        data = b""
        while True:
            (length,) = struct.unpack(">I", self.rfile.read(4))
            if length == 0:
                break
            data += self.rfile.read(length)
        server.received.append(data)  # type: ignore[attr-defined]
        mode = server.mode  # type: ignore[attr-defined]
        if mode == "hang-up":
            return
        if mode == "error":
            self.wfile.write(b"INSTREAM size limit exceeded. ERROR\0")
        elif FAKE_VIRUS in data:
            self.wfile.write(b"stream: Fake.Test.Virus FOUND\0")
        else:
            self.wfile.write(b"stream: OK\0")


class FakeTCPClamd(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeUnixClamd(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def _serve(server):
    server.received = []
    server.mode = "scan"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def clamd(settings):
    server = _serve(FakeTCPClamd(("127.0.0.1", 0), FakeClamdHandler))
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST, settings.CLAMD_PORT = server.server_address
    settings.CLAMD_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_clamd(settings):
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = ""


def upload(data: bytes, name: str = "notes.txt"):
    return SimpleUploadedFile(name, data)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def evidence_form(files):
    return {
        "title": "Anonymised risk assessment",
        "activity_date_0": "14",
        "activity_date_1": "5",
        "activity_date_2": "2025",
        "evidence_type": "work_product",
        "reflection": "What I learned about assessing risk.",
        "personal_data_removed": "on",
        "uploads": files,
    }


@pytest.fixture
def apprentice_client(client, db):
    apprentice = make_apprentice()
    client.force_login(apprentice.user)
    client.apprentice = apprentice
    return client


# EICAR, always


def test_the_eicar_test_file_is_refused_with_a_clear_message(no_clamd):
    with pytest.raises(VirusFound, match=r"virus signature \(EICAR test file\)"):
        check_upload(upload(EICAR_FILE))


def test_eicar_split_across_two_reads_is_still_found(no_clamd):
    data = b"a" * (CHUNK_SIZE - 20) + EICAR + b"\n"
    with pytest.raises(VirusFound):
        scan(io.BytesIO(data), len(data))


def test_an_eicar_upload_through_the_evidence_form_keeps_nothing(
    apprentice_client, no_clamd, settings
):
    files = [upload(samples.PDF, "fine.pdf"), upload(EICAR_FILE, "eicar.com.txt")]
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice_client.apprentice.pk]),
        evidence_form(files),
    )
    assert response.status_code == 200
    assert "eicar.com.txt: The file contains a virus signature (EICAR test file)" in (
        response.content.decode()
    )
    assert not Evidence.objects.exists()
    assert not EvidenceFile.objects.exists()
    assert stored_files(settings) == []


# ClamAV


def test_with_clamd_every_upload_is_streamed_to_it_before_it_is_kept(clamd, db):
    checked = check_upload(upload(samples.PDF, "report.pdf"))
    assert clamd.received == [samples.PDF]
    assert checked.file_type.extension == "pdf"


def test_a_large_upload_is_streamed_in_chunks(clamd):
    data = b"plain text line\n" * (3 * CHUNK_SIZE // 16)
    check_upload(upload(data))
    assert clamd.received == [data]


def test_a_virus_found_by_clamd_is_refused_and_nothing_is_kept(apprentice_client, clamd, settings):
    files = [upload(b"Reflective notes\n" + FAKE_VIRUS + b"\n", "notes.txt")]
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice_client.apprentice.pk]),
        evidence_form(files),
    )
    assert "notes.txt: The file contains a virus (Fake.Test.Virus)" in response.content.decode()
    assert not EvidenceFile.objects.exists()
    assert stored_files(settings) == []


def test_a_clean_upload_with_clamd_is_kept(apprentice_client, clamd, settings):
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice_client.apprentice.pk]),
        evidence_form([upload(samples.PDF, "report.pdf")]),
    )
    assert response.status_code == 302
    assert EvidenceFile.objects.count() == 1
    assert clamd.received == [samples.PDF]


def test_a_file_too_big_for_clamd_is_refused_not_passed_unscanned(clamd, settings):
    settings.CLAMD_MAX_BYTES = 1024
    with pytest.raises(ScanFailed, match="too large to be scanned for viruses"):
        check_upload(upload(b"x" * 2048))
    assert clamd.received == []


@pytest.mark.parametrize("mode", ["error", "hang-up"])
def test_a_clamd_error_refuses_the_upload(clamd, mode):
    clamd.mode = mode
    with pytest.raises(ScanFailed, match="could not be scanned for viruses, so it was not kept"):
        check_upload(upload(samples.TEXT))


def test_an_unreachable_clamd_refuses_the_upload(clamd, settings):
    clamd.shutdown()
    clamd.server_close()
    with pytest.raises(ScanFailed, match="could not be scanned"):
        check_upload(upload(samples.TEXT))


def test_clamd_on_a_unix_socket(settings, tmp_path):
    path = str(tmp_path / "clamd.sock")
    server = _serve(FakeUnixClamd(path, FakeClamdHandler))
    settings.CLAMD_SOCKET = path
    try:
        check_upload(upload(samples.TEXT))
        with pytest.raises(VirusFound):
            check_upload(upload(FAKE_VIRUS))
    finally:
        server.shutdown()
        server.server_close()
    assert server.received == [samples.TEXT, FAKE_VIRUS]


def test_scan_failures_are_file_type_errors_so_forms_show_them():
    assert issubclass(VirusFound, FileTypeError)
    assert issubclass(ScanFailed, FileTypeError)


# Health and the admin home


def test_health_says_scanning_is_off_without_failing(client, db, no_clamd, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    response = client.get(reverse("healthz"))
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["checks"]["antivirus"] == {"ok": True, "scanning": "off"}


def test_health_checks_clamd_when_configured(client, db, clamd, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    body = json.loads(client.get(reverse("healthz")).content)
    assert body["checks"]["antivirus"] == {"ok": True, "scanning": "clamd"}
    clamd.shutdown()
    clamd.server_close()
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["antivirus"]["error"] == "clamd unreachable"


def test_the_admin_home_says_when_scanning_is_off(client, db, settings):
    client.force_login(make_user(role=Role.ADMIN))
    settings.CLAMD_SOCKET, settings.CLAMD_HOST = "", ""
    assert b"Virus scanning of uploads is off" in client.get(reverse("home")).content
    settings.CLAMD_HOST = "127.0.0.1"
    assert b"Virus scanning of uploads is off" not in client.get(reverse("home")).content


# Truncated uploads and stored files


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", samples.PDF[:-8], "The PDF is incomplete"),
        ("photo.png", samples.PNG[:-12], "The PNG image is incomplete"),
        ("photo.jpg", samples.JPEG[:-2], "The JPEG image is incomplete"),
        (
            "notes.docx",
            samples.office()[:-30],
            "The file looks like an Office document but is damaged or incomplete",
        ),
    ],
)
def test_a_truncated_file_is_refused_and_nothing_is_kept(
    apprentice_client, no_clamd, settings, name, data, message
):
    response = apprentice_client.post(
        reverse("apprentices:evidence_create", args=[apprentice_client.apprentice.pk]),
        evidence_form([upload(data, name)]),
    )
    assert f"{name}: {message}" in response.content.decode()
    assert not EvidenceFile.objects.exists()
    assert stored_files(settings) == []


def test_an_upload_cut_off_in_transit_keeps_no_file(apprentice_client, no_clamd, settings):
    body = encode_multipart(BOUNDARY, evidence_form([upload(samples.TEXT * 500, "notes.txt")]))
    cut = body[: body.index(b"Reflective account") + 100]  # the connection dropped here
    url = reverse("apprentices:evidence_create", args=[apprentice_client.apprentice.pk])
    response = apprentice_client.generic("POST", url, cut, content_type=MULTIPART_CONTENT)
    assert response.status_code == 200
    assert b"Choose at least one file to upload" in response.content
    assert not EvidenceFile.objects.exists()
    assert stored_files(settings) == []


def test_a_stored_file_cannot_be_fetched_by_its_path(client, db, no_clamd, settings):
    apprentice = make_apprentice()
    evidence = create_evidence(
        apprentice,
        by=apprentice.user,
        files=[check_upload(upload(samples.PDF, "report.pdf"))],
        title="Report",
        activity_date="2030-02-01",
        evidence_type="work_product",
    )
    stored = evidence.files.get()
    client.force_login(apprentice.user)
    for path in (
        f"/{stored.file.name}",
        f"/media/{stored.file.name}",
        f"/var/media/{stored.file.name}",
        f"/static/../var/media/{stored.file.name}",
    ):
        assert client.get(path).status_code == 404, path
    # Only the checking view serves it, and only to someone who may see it.
    assert client.get(stored.get_absolute_url()).status_code == 200
    client.force_login(make_apprentice().user)
    assert client.get(stored.get_absolute_url()).status_code == 404
