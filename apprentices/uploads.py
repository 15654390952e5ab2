"""Receiving evidence files: a size limit enforced while the upload streams in, content
type checks, safe names, metadata (EXIF, GPS) removed from pictures, the file's text read
for the identifier check, and a SHA-256 of what is stored."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from PIL import Image, ImageOps

from apprentices import filetypes
from apprentices.filetypes import FileType, FileTypeError, detect
from apprentices.identifiers import Passage, file_text
from apprentices.scanning import scan

# Names a file of each type may end in; any other name gets the type's extension added.
_EXTENSIONS = {
    "jpg": {"jpg", "jpeg"},
    "txt": {"txt", "text", "csv", "log", "md"},
    "mp4": {"mp4", "m4v"},
    "ogg": {"ogg", "oga", "opus"},
    "mov": {"mov", "qt"},
}
_FORBIDDEN_IN_NAMES = set('<>:"/\\|?*')
MAX_NAME_LENGTH = 150


def max_upload_bytes() -> int:
    return int(settings.EVIDENCE_MAX_UPLOAD_MB) * 1024 * 1024


class SizeLimitUploadHandler(FileUploadHandler):
    """Drops a file as soon as it grows past the limit, before it is all received.

    The names of dropped files are kept on the request (`request.oversized_uploads`) so the
    form can say which file was too big instead of pretending nothing was sent.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0
        if request is not None and not hasattr(request, "oversized_uploads"):
            setattr(request, "oversized_uploads", [])  # noqa: B010 (not an HttpRequest attribute)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > max_upload_bytes():
            if self.request is not None:
                dropped: list[str] = getattr(self.request, "oversized_uploads", [])
                dropped.append(clean_filename(self.file_name or "file"))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def clean_filename(name: str) -> str:
    """A display and download name with no path, control or reserved characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in _FORBIDDEN_IN_NAMES)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def download_name(name: str, file_type: FileType) -> str:
    """The name with an extension that matches what the file really is."""
    _, dot, extension = name.rpartition(".")
    allowed = _EXTENSIONS.get(file_type.extension, {file_type.extension})
    if dot and extension.lower() in allowed:
        return name
    return f"{name}.{file_type.extension}"


@dataclass(frozen=True)
class CheckedUpload:
    """A file that passed every check: what will be stored (pictures without their
    metadata), its type, safe name, SHA-256 and size, and its text for the identifier check."""

    upload: File
    name: str
    file_type: FileType
    sha256: str
    size: int
    passages: tuple[Passage, ...] = ()
    metadata_removed: bool = False
    # What of its text the identifier check could not read ("pages 301 to 420"), if anything.
    text_unread: str = ""


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Type by content, size, virus scan, safe name, metadata removed and SHA-256;
    FileTypeError says what is wrong."""
    size = upload.size or 0
    if size > max_upload_bytes():
        raise FileTypeError(f"The file is larger than {settings.EVIDENCE_MAX_UPLOAD_MB} MB")
    file_type = detect(cast(IO[bytes], upload.file), size)
    scan(cast(IO[bytes], upload.file), size)
    name = download_name(clean_filename(upload.name or "file"), file_type)
    stored: File = upload
    cleaned = without_metadata(cast(IO[bytes], upload.file), file_type)
    if cleaned is not None:
        stored, size = ContentFile(cleaned, name=name), len(cleaned)
    digest = hashlib.sha256()
    for chunk in stored.chunks():
        digest.update(chunk)
    stored.seek(0)
    text = file_text(cast(IO[bytes], stored.file), file_type)
    return CheckedUpload(
        stored,
        name,
        file_type,
        digest.hexdigest(),
        size,
        passages=text.passages,
        metadata_removed=cleaned is not None,
        text_unread=text.unread,
    )


_ORIENTATION = 0x0112


def without_metadata(stream: IO[bytes], file_type: FileType) -> bytes | None:
    """A JPEG or PNG picture saved again by Pillow without its metadata (EXIF with any GPS
    position, XMP, IPTC, comments, text chunks), turned the way its EXIF said to show it;
    None for other types. The colour profile is kept, and a JPEG keeps its quantisation
    tables (no further loss) unless it had to be turned."""
    if file_type not in (filetypes.JPEG, filetypes.PNG):
        return None
    stream.seek(0)
    try:
        with Image.open(stream) as image:
            image.load()
            options: dict[str, Any] = {}
            if icc := image.info.get("icc_profile"):
                options["icc_profile"] = icc
            turned = image.getexif().get(_ORIENTATION, 1) not in (0, 1)
            picture = ImageOps.exif_transpose(image) if turned else image
            if file_type is filetypes.JPEG:
                if turned:
                    options["quality"] = 95
                else:
                    options.update(quality="keep", subsampling="keep")
            elif "transparency" in image.info:
                options["transparency"] = image.info["transparency"]
            picture.info = {}
            output = io.BytesIO()
            picture.save(output, "JPEG" if file_type is filetypes.JPEG else "PNG", **options)
    finally:
        stream.seek(0)
    return output.getvalue()
