"""Deciding what an uploaded file is from its content, never its name.

The first bytes only say which parser to try: the file is then parsed as that type, and
refused unless it is one. PDFs are read with pypdf (apprentices.pdfs), Office and
OpenDocument packages are opened member by member (apprentices.packages), images are
decoded by Pillow, and audio and video containers are walked box by box, chunk by chunk or
page by page to the end of the file, so a zip, PE or ELF file behind a few magic bytes is
refused. Only the types on the allowlist are kept. HTML, SVG, scripts, executables,
macro-enabled Office files and polyglots (a file that is also another kind of file) are
refused with a message saying why.
"""

from __future__ import annotations

import re
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from PIL import Image, UnidentifiedImageError

from apprentices.packages import PackageError, check_package
from apprentices.pdfs import ActiveContent, Unreadable, check_pdf, contents

HEAD_SIZE = 64 * 1024
TAIL_SIZE = 64 * 1024


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
# The end of a zip's central directory: unzip tools find an archive from the end of a file.
_ZIP_END = b"PK\x05\x06"


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
    """The type of the file, decided by parsing it, or FileTypeError saying why it is refused."""
    if size == 0:
        raise FileTypeError("The file is empty")
    head, tail = _read_head_tail(stream, size)
    _refuse_executables(head)
    file_type = _by_signature(stream, head, tail, size)
    # Zip-based Office files are checked member by member in apprentices.packages instead.
    zipped = file_type in _OOXML_MAIN.values() or file_type in _ODF_TYPES.values()
    marked_up = _ACTIVE_CONTENT.search(head) or _ACTIVE_CONTENT.search(tail)
    if file_type is TEXT and not marked_up and size > HEAD_SIZE + TAIL_SIZE:
        # A text file is read whole: a browser would find markup anywhere in it.
        with contents(stream) as data:
            marked_up = _ACTIVE_CONTENT.search(data)
    if not zipped and marked_up:
        if file_type is TEXT:
            raise FileTypeError(
                "The file contains web page markup or script (HTML, SVG or JavaScript). "
                "Upload it as a PDF or plain text without markup"
            )
        raise FileTypeError(
            f"The file looks like {_a(file_type.label)} but also contains web page markup or "
            "script, so it may be disguised. Save it again from the program that made it"
        )
    if not zipped and _ends_with_zip(tail or head, size):
        raise FileTypeError(
            f"The file looks like {_a(file_type.label)} but is also a zip archive, so it may be "
            "disguised. Save it again from the program that made it"
        )
    return file_type


def _a(label: str) -> str:
    """The label with its article: "a PDF document", "an MP3 audio"."""
    return f"an {label}" if label[0] in "AEIOU" or label.startswith("M") else f"a {label}"


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


def _ends_with_zip(end: bytes, size: int) -> bool:
    """True when the file ends with a zip directory (its comment running to the end)."""
    position = end.rfind(_ZIP_END)
    while position != -1:
        record = end[position : position + 22]
        if len(record) == 22:
            comment_length = struct.unpack("<H", record[20:22])[0]
            if position + 22 + comment_length == len(end):
                return True
        position = end.rfind(_ZIP_END, 0, position)
    return False


def _by_signature(stream: IO[bytes], head: bytes, tail: bytes, size: int) -> FileType:
    if head.startswith(b"%PDF-"):
        if b"%%EOF" not in (tail or head)[-2048:]:
            raise FileTypeError("The PDF is incomplete (it may not have finished uploading)")
        _check_pdf(stream)
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        end = (tail or head).rfind(b"IEND\xaeB`\x82")
        if end == -1:
            raise FileTypeError("The PNG image is incomplete (it may not have finished uploading)")
        if len((tail or head)[end + 8 :].strip(b"\x00")) > 0:
            raise FileTypeError(
                "The PNG image has other data hidden after the picture. Save the image again"
            )
        _check_image(stream, "PNG")
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
        _check_image(stream, "JPEG")
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _inspect_zip(stream, size)
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "):
        file_type = WAV if head[8:12] == b"WAVE" else AVI
        _check_media(_walk_riff, stream, size, file_type)
        return file_type
    if head.startswith(b"OggS"):
        _check_media(_walk_ogg, stream, size, OGG)
        return OGG
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        _check_media(_walk_ebml, stream, size, WEBM)
        return WEBM
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        by_brand = {**dict.fromkeys(_M4A_BRANDS, M4A), **dict.fromkeys(_MOV_BRANDS, MOV)}
        by_brand.update(dict.fromkeys(_MP4_BRANDS, MP4))
        branded = by_brand.get(brand)
        if branded is not None:
            _check_media(_walk_boxes, stream, size, branded)
            return branded
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        _check_media(_walk_mp3, stream, size, MP3)
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


def _check_pdf(stream: IO[bytes]) -> None:
    try:
        check_pdf(stream)
    except ActiveContent as found:
        raise FileTypeError(
            f"The PDF contains {found}, which could run when staff open it, so it was refused. "
            "Print it to a new PDF (or export it again without attachments or scripts) and "
            "upload that"
        ) from None
    except Unreadable as error:
        raise FileTypeError(str(error)) from None


def _check_image(stream: IO[bytes], expected: str) -> None:
    """Pillow must read the header as the expected format and decode the whole picture."""
    label = f"{expected} image"
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                if image.format != expected:
                    raise FileTypeError(f"The {label} is not really a {label}")
                image.verify()
            stream.seek(0)
            with Image.open(stream) as image:
                image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise FileTypeError(
            f"The {label} is too large to be a real picture ({Image.MAX_IMAGE_PIXELS:,} pixels "
            "at most), so it was refused. Make it smaller"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
        raise FileTypeError(
            f"The {label} is damaged or is not really a picture, so it was refused. "
            "Save the image again"
        ) from None
    finally:
        stream.seek(0)


class _NotMedia(ValueError):
    """The container's structure is broken; the message says where."""


def _check_media(
    walk: Callable[[IO[bytes], int], None], stream: IO[bytes], size: int, file_type: FileType
) -> None:
    stream.seek(0)
    try:
        walk(stream, size)
    except (_NotMedia, struct.error) as error:
        raise FileTypeError(
            f"The file starts like {_a(file_type.label)} but is not one ({error}), so it may be "
            "disguised. Export it again from the program that made it"
        ) from None
    finally:
        stream.seek(0)


def _read_exact(stream: IO[bytes], count: int, what: str) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise _NotMedia(f"{what} is cut short")
    return data


def _is_fourcc(code: bytes) -> bool:
    return len(code) == 4 and all(32 <= byte < 127 for byte in code)


def _walk_riff(stream: IO[bytes], size: int) -> None:
    """WAV and AVI: RIFF chunks that tile the file, with the chunks each kind needs."""
    header = _read_exact(stream, 12, "the RIFF header")
    declared = struct.unpack("<I", header[4:8])[0] + 8
    if declared > size:
        raise _NotMedia("its declared length is longer than the file")
    stream.seek(declared)
    if stream.read(1024).strip(b"\x00") or size - declared > 1024:
        raise _NotMedia("there is other data after its end")
    kind = header[8:12]
    seen: list[bytes] = []
    position = 12
    while position + 8 <= declared:
        stream.seek(position)
        chunk_id, length = struct.unpack("<4sI", _read_exact(stream, 8, "a chunk header"))
        if not _is_fourcc(chunk_id):
            raise _NotMedia(f"a chunk at byte {position} has no valid name")
        if kind == b"WAVE" and chunk_id == b"fmt ":
            channels, rate = struct.unpack("<HI", _read_exact(stream, 8, "the format")[2:8])
            if not (1 <= channels <= 32 and 1000 <= rate <= 768_000):
                raise _NotMedia("its audio format is impossible")
        if chunk_id == b"LIST":
            seen.append(_read_exact(stream, 4, "a list"))
        seen.append(chunk_id)
        position += 8 + length + (length & 1)
    if position > declared + 1:
        raise _NotMedia("a chunk runs past the end of the file")
    needed = [b"fmt ", b"data"] if kind == b"WAVE" else [b"hdrl", b"movi"]
    if any(name not in seen for name in needed):
        raise _NotMedia("it has no " + " or ".join(n.decode().strip() for n in needed) + " chunk")


def _walk_boxes(stream: IO[bytes], size: int) -> None:
    """MP4, MOV and M4A: ISO base media boxes that tile the file, with a movie box."""
    position = 0
    seen: set[bytes] = set()
    while position < size:
        stream.seek(position)
        length, kind = struct.unpack(">I4s", _read_exact(stream, 8, "a box header"))
        if not _is_fourcc(kind):
            raise _NotMedia(f"a box at byte {position} has no valid name")
        if length == 1:
            length = struct.unpack(">Q", _read_exact(stream, 8, "a box length"))[0]
            if length < 16:
                raise _NotMedia(f"the box at byte {position} has an impossible length")
        elif length == 0:
            length = size - position
        elif length < 8:
            raise _NotMedia(f"the box at byte {position} has an impossible length")
        if position + length > size:
            raise _NotMedia(f"the {kind.decode()!r} box runs past the end of the file")
        seen.add(kind)
        position += length
    if b"moov" not in seen and b"moof" not in seen:
        raise _NotMedia("it has no movie header")


def _walk_ogg(stream: IO[bytes], size: int) -> None:
    """Ogg: pages, each starting 'OggS', one after another to the end of the file."""
    position = 0
    while position < size:
        stream.seek(position)
        header = _read_exact(stream, 27, "a page header")
        if header[:4] != b"OggS" or header[4] != 0:
            raise _NotMedia(f"there is no Ogg page at byte {position}")
        segments = _read_exact(stream, header[26], "a page's segment table")
        position += 27 + header[26] + sum(segments)
    if position != size:
        raise _NotMedia("the last page runs past the end of the file")


def _ebml_number(stream: IO[bytes], *, keep_marker: bool) -> tuple[int, int, bool]:
    """An EBML variable-length number: its value, its length in bytes, and whether all its
    value bits are set (an 'unknown' size)."""
    first = _read_exact(stream, 1, "an element")[0]
    if first == 0:
        raise _NotMedia("an element has an impossible length")
    length = 8 - first.bit_length() + 1
    rest = _read_exact(stream, length - 1, "an element")
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in rest:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


def _walk_ebml(stream: IO[bytes], size: int) -> None:
    """WebM: an EBML header saying 'webm' or 'matroska', then the Segment, to the end."""
    stream.seek(4)
    header_size, header_length, _ = _ebml_number(stream, keep_marker=False)
    body_start = 4 + header_length
    if body_start + header_size > size or header_size > 4096:
        raise _NotMedia("its header is damaged")
    end = body_start + header_size
    doc_type = b""
    position = body_start
    while position < end:
        stream.seek(position)
        element, id_length, _ = _ebml_number(stream, keep_marker=True)
        length, size_length, _ = _ebml_number(stream, keep_marker=False)
        if element == 0x4282:
            doc_type = _read_exact(stream, length, "the document type")
        position += id_length + size_length + length
    if doc_type.rstrip(b"\x00") not in (b"webm", b"matroska"):
        raise _NotMedia("its header does not say it is WebM")
    stream.seek(end)
    element, id_length, _ = _ebml_number(stream, keep_marker=True)
    if element != 0x18538067:
        raise _NotMedia("its header is not followed by a segment")
    length, size_length, unknown = _ebml_number(stream, keep_marker=False)
    if not unknown and end + id_length + size_length + length != size:
        raise _NotMedia("its segment does not end where the file ends")


_MP3_BITRATES = {
    # (MPEG-1?, layer) -> kbit/s by index 1..14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MP3_FRAMES_CHECKED = 4


def _mp3_frame_length(header: bytes) -> int:
    if header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        raise _NotMedia("there is no audio frame where one should be")
    version = (header[1] >> 3) & 3
    layer = 4 - ((header[1] >> 1) & 3)
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    if version == 1 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        raise _NotMedia("an audio frame header is impossible")
    mpeg1 = version == 3
    bitrate = _MP3_BITRATES[(mpeg1, layer)][bitrate_index - 1] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    samples = 1152 if layer == 2 or mpeg1 else 576
    return samples // 8 * bitrate // rate + padding


def _walk_mp3(stream: IO[bytes], size: int) -> None:
    """MP3: after any ID3 tag, audio frames that follow one another."""
    position = 0
    head = _read_exact(stream, 10, "the header")
    if head.startswith(b"ID3"):
        if head[3] > 4 or any(byte & 0x80 for byte in head[6:10]):
            raise _NotMedia("its ID3 tag is damaged")
        tag = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        position = 10 + tag + (10 if head[5] & 0x10 else 0)
    frames = 0
    while position < size and frames < _MP3_FRAMES_CHECKED:
        stream.seek(position)
        header = stream.read(4)
        if len(header) < 4 or (frames and header[:3] == b"TAG"):
            break
        position += _mp3_frame_length(header)
        frames += 1
    if frames == 0 or position > size:
        raise _NotMedia("it holds no complete audio frames")


def _inspect_zip(stream: IO[bytes], size: int) -> FileType:
    try:
        package = check_package(stream, size)
    except PackageError as error:
        raise FileTypeError(str(error)) from None
    if package.odf_mimetype in _ODF_TYPES:
        return _ODF_TYPES[package.odf_mimetype]
    if package.ooxml:
        for prefix, file_type in _OOXML_MAIN.items():
            if prefix.rstrip("/") in package.folders:
                return file_type
    raise FileTypeError(
        f"Zip archives cannot be uploaded. Upload a {ALLOWED_DESCRIPTION} file instead"
    )
