"""Deciding what an uploaded file is from its content (magic bytes), never its name.

Only the types on the allowlist are kept. HTML, SVG, scripts, executables, macro-enabled
Office files and polyglots (a file that is also another kind of file) are refused with a
message saying why.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import IO

HEAD_SIZE = 64 * 1024
TAIL_SIZE = 64 * 1024
# Office and OpenDocument files are zip archives: refuse ones that expand absurdly.
ZIP_MAX_RATIO = 100
ZIP_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
ZIP_MAX_ENTRIES = 10_000


class FileTypeError(ValueError):
    """The file is not one we keep; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    extension: str


PDF = FileType("application/pdf", "PDF document", "pdf")
PNG = FileType("image/png", "PNG image", "png")
JPEG = FileType("image/jpeg", "JPEG image", "jpg")
TEXT = FileType("text/plain", "plain text", "txt")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word document",
    "docx",
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "Excel spreadsheet",
    "xlsx",
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "PowerPoint presentation",
    "pptx",
)
ODT = FileType("application/vnd.oasis.opendocument.text", "OpenDocument text", "odt")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet", "ods")
ODP = FileType(
    "application/vnd.oasis.opendocument.presentation", "OpenDocument presentation", "odp"
)
MP3 = FileType("audio/mpeg", "MP3 audio", "mp3")
WAV = FileType("audio/wav", "WAV audio", "wav")
OGG = FileType("audio/ogg", "Ogg audio", "ogg")
M4A = FileType("audio/mp4", "M4A audio", "m4a")
MP4 = FileType("video/mp4", "MP4 video", "mp4")
MOV = FileType("video/quicktime", "QuickTime video", "mov")
WEBM = FileType("video/webm", "WebM video", "webm")
AVI = FileType("video/x-msvideo", "AVI video", "avi")

ALLOWED_DESCRIPTION = (
    "PDF, Word, Excel, PowerPoint, OpenDocument, plain text, PNG, JPEG, "
    "MP3, WAV, M4A, Ogg, MP4, MOV, WebM or AVI"
)

_ODF_TYPES = {t.content_type: t for t in (ODT, ODS, ODP)}
_OOXML_MAIN = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_M4A_BRANDS = {b"M4A ", b"M4B "}
_MOV_BRANDS = {b"qt  "}
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"MSNV",
    b"dash",
    b"3gp4",
    b"3gp5",
}

# Markup or script inside any file makes a browser-interpretable polyglot.
_ACTIVE_CONTENT = re.compile(
    rb"<\s*(?:script|html|svg|iframe|object|embed|body|head|meta\s+http-equiv|\?php)\b|"
    rb"<!doctype\s+html|javascript:",
    re.I,
)
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


def _read_head_tail(stream: IO[bytes], size: int) -> tuple[bytes, bytes]:
    stream.seek(0)
    head = stream.read(HEAD_SIZE)
    if size > HEAD_SIZE:
        stream.seek(max(size - TAIL_SIZE, HEAD_SIZE))
        tail = stream.read(TAIL_SIZE)
    else:
        tail = b""
    stream.seek(0)
    return head, tail


def detect(stream: IO[bytes], size: int) -> FileType:
    """The type of the file, decided from its bytes, or FileTypeError saying why it is refused."""
    if size == 0:
        raise FileTypeError("The file is empty")
    head, tail = _read_head_tail(stream, size)
    _refuse_executables(head)
    file_type = _by_signature(stream, head, tail, size)
    # Zip-based Office files are checked entry by entry in _inspect_zip instead.
    zipped = file_type in _OOXML_MAIN.values() or file_type in _ODF_TYPES.values()
    if not zipped and (_ACTIVE_CONTENT.search(head) or _ACTIVE_CONTENT.search(tail)):
        if file_type is TEXT:
            raise FileTypeError(
                "The file contains web page markup or script (HTML, SVG or JavaScript). "
                "Upload it as a PDF or plain text without markup"
            )
        raise FileTypeError(
            f"The file looks like a {file_type.label} but also contains web page markup or "
            "script, so it may be disguised. Save it again from the program that made it"
        )
    return file_type


def _refuse_executables(head: bytes) -> None:
    if head.startswith(
        (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")
    ):
        raise FileTypeError("Programs and executable files cannot be uploaded")
    if head.startswith(b"#!"):
        raise FileTypeError("Scripts cannot be uploaded")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise FileTypeError(
            "Older Office files (.doc, .xls, .ppt) can hold macros and cannot be uploaded. "
            "Save the file as .docx, .xlsx, .pptx or PDF"
        )


def _by_signature(stream: IO[bytes], head: bytes, tail: bytes, size: int) -> FileType:
    if head.startswith(b"%PDF-"):
        if _PDF_ACTIVE.search(head) or _PDF_ACTIVE.search(tail):
            raise FileTypeError(
                "The PDF contains JavaScript, attachments or actions that run on opening. "
                "Print it to a new PDF and upload that"
            )
        if b"%%EOF" not in (tail or head)[-2048:]:
            raise FileTypeError("The PDF is incomplete (it may not have finished uploading)")
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        end = (tail or head).rfind(b"IEND\xaeB`\x82")
        if end == -1:
            raise FileTypeError("The PNG image is incomplete (it may not have finished uploading)")
        if len((tail or head)[end + 8 :].strip(b"\x00")) > 0:
            raise FileTypeError(
                "The PNG image has other data hidden after the picture. Save the image again"
            )
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        data = tail or head
        end = data.rfind(b"\xff\xd9")
        if end == -1:
            raise FileTypeError("The JPEG image is incomplete (it may not have finished uploading)")
        if len(data[end + 2 :].strip(b"\x00")) > 16:
            raise FileTypeError(
                "The JPEG image has other data hidden after the picture. Save the image again"
            )
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _inspect_zip(stream, size)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _M4A_BRANDS:
            return M4A
        if brand in _MOV_BRANDS:
            return MOV
        if brand in _MP4_BRANDS:
            return MP4
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if _is_text(head):
        return TEXT
    raise FileTypeError(
        f"This type of file cannot be uploaded. Upload a {ALLOWED_DESCRIPTION} file"
    )


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    sample = head[: HEAD_SIZE - 4]  # a multi-byte character may be cut at the end
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = sample[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return printable >= 0.95 * max(len(text), 1)


def _inspect_zip(stream: IO[bytes], size: int) -> FileType:
    try:
        archive = zipfile.ZipFile(stream)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise FileTypeError(
            "The file looks like an Office document but is damaged or incomplete"
        ) from error
    finally:
        stream.seek(0)
    if len(entries) > ZIP_MAX_ENTRIES:
        raise FileTypeError("The document holds too many parts to be a real Office file")
    total = sum(entry.file_size for entry in entries)
    if total > ZIP_MAX_UNCOMPRESSED or total > ZIP_MAX_RATIO * max(size, 1):
        raise FileTypeError(
            "The document expands to far more than its size (a 'zip bomb'), so it was refused"
        )
    names = {entry.filename for entry in entries}
    if any(
        name.endswith((".exe", ".dll", ".js", ".vbs", ".bat", ".cmd", ".ps1")) for name in names
    ):
        raise FileTypeError("The document contains programs or scripts, so it was refused")
    if any(name.endswith("vbaProject.bin") for name in names):
        raise FileTypeError(
            "The document contains macros. Save it as a macro-free .docx, .xlsx or .pptx"
        )
    try:
        if "mimetype" in names:
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            if mimetype in _ODF_TYPES:
                return _ODF_TYPES[mimetype]
        if "[Content_Types].xml" in names:
            content_types = archive.read("[Content_Types].xml")
            if b"macroEnabled" in content_types:
                raise FileTypeError(
                    "The document is macro-enabled. Save it as a macro-free .docx, .xlsx or .pptx"
                )
            for prefix, file_type in _OOXML_MAIN.items():
                if any(name.startswith(prefix) for name in names):
                    return file_type
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError) as error:
        raise FileTypeError("The document is damaged or incomplete") from error
    finally:
        stream.seek(0)
    raise FileTypeError(
        f"Zip archives cannot be uploaded. Upload a {ALLOWED_DESCRIPTION} file instead"
    )
