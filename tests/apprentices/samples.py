"""Small sample files, real or disguised, made in memory for upload tests.

The builders (pdf, docx, odt, jpeg, wav, mp4, ...) make real files of each allowed type;
tests/apprentices/test_hostile_files.py turns them into the hostile ones.
"""

import io
import random
import re
import struct
import wave
import zipfile
import zlib

from PIL import Image


def pdf_text_page(text: str) -> bytes:
    """A page content stream showing the text in Helvetica, one line per line."""
    lines = [
        line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        for line in text.split("\n")
    ]
    shown = b" T* ".join(f"({line}) Tj".encode("latin-1") for line in lines)
    return b"BT /F1 12 Tf 14 TL 72 720 Td " + shown + b" ET"


def stream_object(data: bytes, extra: bytes = b"", *, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data)
        extra += b"/Filter/FlateDecode"
    return b"<<%s/Length %d>>stream\n%s\nendstream" % (extra, len(data), data)


def pdf(
    *pages: str,
    catalog: bytes = b"",
    objects: dict[int, bytes] | None = None,
    compressed: dict[int, bytes] | None = None,
    header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
) -> bytes:
    """A real PDF: catalog 1, page tree 2, font 3, then a page and its content per text.

    `objects` adds numbered objects; `compressed` puts objects in a compressed object
    stream, with a cross-reference stream as PDF 1.5 has it."""
    pages = pages or ("",)
    numbered: dict[int, bytes] = {}
    kids = []
    for index, text in enumerate(pages):
        page, content = 10 + 2 * index, 11 + 2 * index
        kids.append(b"%d 0 R" % page)
        numbered[page] = (
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents %d 0 R"
            b"/Resources<</Font<</F1 3 0 R>>>>>>" % content
        )
        numbered[content] = stream_object(pdf_text_page(text))
    numbered[1] = b"<</Type/Catalog/Pages 2 0 R%s>>" % catalog
    numbered[2] = b"<</Type/Pages/Kids[%s]/Count %d>>" % (b" ".join(kids), len(kids))
    numbered[3] = b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"
    numbered.update(objects or {})
    body = bytearray(header)
    offsets: dict[int, tuple[int, int, int]] = {}
    for number in sorted(numbered):
        offsets[number] = (1, len(body), 0)
        body += b"%d 0 obj\n%s\nendobj\n" % (number, numbered[number])
    if not compressed:
        size = max(offsets) + 1
        xref = len(body)
        body += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for number in range(1, size):
            kind, offset, _ = offsets.get(number, (0, 0, 0))
            body += b"%010d 00000 %s \n" % (offset, b"n" if kind else b"f")
        body += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
        return bytes(body)
    stream_number = max([*numbered, *compressed]) + 1
    index_part, data_part = b"", b""
    for position, (number, value) in enumerate(sorted(compressed.items())):
        index_part += b"%d %d " % (number, len(data_part))
        data_part += value + b"\n"
        offsets[number] = (2, stream_number, position)
    offsets[stream_number] = (1, len(body), 0)
    body += b"%d 0 obj\n%s\nendobj\n" % (
        stream_number,
        stream_object(
            index_part + data_part,
            b"/Type/ObjStm/N %d/First %d" % (len(compressed), len(index_part)),
            compress=True,
        ),
    )
    xref_number = stream_number + 1
    offsets[xref_number] = (1, len(body), 0)
    size = xref_number + 1
    rows = b"".join(
        struct.pack(">BIH", *offsets.get(number, (0, 0, 0 if number else 65535)))
        for number in range(size)
    )
    body += b"%d 0 obj\n%s\nendobj\n" % (
        xref_number,
        stream_object(rows, b"/Type/XRef/Size %d/W[1 4 2]/Root 1 0 R" % size),
    )
    body += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number][1]
    return bytes(body)


def pdf_update(base: bytes, objects: dict[int, bytes]) -> bytes:
    """An incremental update appended to a PDF: new versions of objects, a new cross-reference
    section and a trailer pointing back to the previous one."""
    previous = int(re.findall(rb"startxref\s+(\d+)", base)[-1])
    size = int(re.findall(rb"/Size (\d+)", base)[-1])
    body = bytearray(base)
    offsets = {}
    for number, value in sorted(objects.items()):
        offsets[number] = len(body)
        body += b"%d 0 obj\n%s\nendobj\n" % (number, value)
    xref = len(body)
    body += b"xref\n"
    for number, offset in sorted(offsets.items()):
        body += b"%d 1\n%010d 00000 n \n" % (number, offset)
    size = max(size, max(offsets) + 1)
    body += b"trailer\n<</Size %d/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        previous,
        xref,
    )
    return bytes(body)


def noise(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


PDF = pdf("A fictional reflective account.")


def image(kind: str = "JPEG", *, size: tuple[int, int] = (16, 12), exif: bool = False) -> bytes:
    """A real picture; with `exif`, a camera's metadata and a GPS position in it."""
    picture = Image.new("RGB", size, (200, 30, 30))
    options = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "Fictional Camera Co"
        data[0x0131] = "Phone 12"
        data[0x8825] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
        options["exif"] = data
    buffer = io.BytesIO()
    picture.save(buffer, kind, **options)
    return buffer.getvalue()


JPEG = image("JPEG")
PNG = image("PNG")
TEXT = b"Reflective account of a supervision session.\nNo names.\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


def zipped(members: dict[str, bytes | str], *, stored: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            kind = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def docx(
    *paragraphs: str,
    content_types: str = "",
    relationships: str = "",
    extra: dict[str, bytes | str] | None = None,
    stored: tuple[str, ...] = (),
) -> bytes:
    """A real Word document whose body is the paragraphs; `stored` members not compressed."""
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs)
    return zipped(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                '2006/content-types"><Default Extension="rels" ContentType="application/'
                'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                f'ContentType="application/xml"/><Override PartName="/word/document.xml" '
                f'ContentType="{DOCX_MAIN}"/>{content_types}</Types>'
            ),
            "_rels/.rels": (
                f'<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
                f'Type="{OFFICE_DOC}" Target="word/document.xml"/></Relationships>'
            ),
            "word/_rels/document.xml.rels": (
                f'<?xml version="1.0"?><Relationships xmlns="{RELS}">{relationships}'
                "</Relationships>"
            ),
            "word/document.xml": (
                f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>{body}</w:body>'
                "</w:document>"
            ),
            **(extra or {}),
        },
        stored=stored,
    )


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def xlsx(*cells: str) -> bytes:
    """A workbook whose first column holds the texts, shared strings as Excel writes them."""
    strings = "".join(f"<si><t>{text}</t></si>" for text in cells)
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>{n - 1}</v></c></row>' for n in range(1, len(cells) + 1)
    )
    return zipped(
        {
            "[Content_Types].xml": "<Types/>",
            "xl/workbook.xml": f'<workbook xmlns="{SHEET_NS}"/>',
            "xl/sharedStrings.xml": f'<sst xmlns="{SHEET_NS}">{strings}</sst>',
            "xl/worksheets/sheet1.xml": (
                f'<worksheet xmlns="{SHEET_NS}"><sheetData>{rows}</sheetData></worksheet>'
            ),
        }
    )


def pptx(*slides: str) -> bytes:
    """A presentation with one paragraph of text on each slide."""
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": "<Types/>",
        "ppt/presentation.xml": "<presentation/>",
    }
    for n, text in enumerate(slides, start=1):
        members[f"ppt/slides/slide{n}.xml"] = (
            f'<sld xmlns:a="{DRAWING_NS}"><a:p><a:r><a:t>{text}</a:t></a:r></a:p></sld>'
        )
    return zipped(members)


ODF_TEXT = "application/vnd.oasis.opendocument.text"
ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


def odt(
    *paragraphs: str,
    manifest_entries: str = "",
    body_extra: str = "",
    extra: dict[str, bytes | str] | None = None,
) -> bytes:
    """A real OpenDocument text whose body is the paragraphs."""
    text = "".join(f"<text:p>{paragraph}</text:p>" for paragraph in paragraphs)
    return zipped(
        {
            "mimetype": ODF_TEXT,
            "META-INF/manifest.xml": (
                f'<?xml version="1.0"?><manifest:manifest xmlns:manifest="{MANIFEST_NS}">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODF_TEXT}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" '
                f'manifest:media-type="text/xml"/>{manifest_entries}</manifest:manifest>'
            ),
            "content.xml": (
                f'<?xml version="1.0"?><office:document-content xmlns:office="{ODF_OFFICE}" '
                f'xmlns:text="{ODF_TEXT_NS}" xmlns:script="urn:oasis:names:tc:opendocument:'
                'xmlns:script:1.0" xmlns:xlink="http://www.w3.org/1999/xlink">'
                f"{body_extra}<office:body><office:text>{text}</office:text></office:body>"
                "</office:document-content>"
            ),
            **(extra or {}),
        },
        stored=("mimetype",),
    )


def wav(seconds: float = 0.1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buffer.getvalue()


def riff(kind: bytes, *chunks: bytes) -> bytes:
    body = kind + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def chunk(name: bytes, data: bytes) -> bytes:
    return name + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def avi() -> bytes:
    header = chunk(b"LIST", b"hdrl" + chunk(b"avih", b"\x00" * 56))
    return riff(b"AVI ", header, chunk(b"LIST", b"movi" + chunk(b"00dc", b"\x00" * 10)))


def box(kind: bytes, data: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(data)) + kind + data


def mp4(brand: bytes = b"isom") -> bytes:
    return (
        box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand)
        + box(b"moov", box(b"mvhd", b"\x00" * 100))
        + box(b"mdat", b"\x00" * 64)
    )


def ogg_page(payload: bytes, sequence: int, flags: int = 0) -> bytes:
    segments = [255] * (len(payload) // 255) + [len(payload) % 255]
    header = b"OggS\x00" + bytes([flags]) + struct.pack("<qIII", 0, 1, sequence, 0)
    return header + bytes([len(segments)]) + bytes(segments) + payload


def ogg() -> bytes:
    return ogg_page(b"\x01vorbis" + b"\x00" * 23, 0, 2) + ogg_page(b"\x00" * 300, 1, 4)


def ebml(element: bytes, data: bytes) -> bytes:
    return (
        element + bytes([0x80 | len(data)]) + data
        if len(data) < 127
        else (element + b"\x01" + struct.pack(">Q", len(data))[1:] + data)
    )


def webm() -> bytes:
    header = ebml(b"\x1a\x45\xdf\xa3", ebml(b"\x42\x86", b"\x01") + ebml(b"\x42\x82", b"webm"))
    return header + ebml(b"\x18\x53\x80\x67", ebml(b"\x15\x49\xa9\x66", b"\x00" * 20))


MP3_FRAME = b"\xff\xfb\x90\x00" + b"\x00" * 413  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz


def mp3(frames: int = 6, *, id3: bool = True) -> bytes:
    tag = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 if id3 else b""
    return tag + MP3_FRAME * frames


def office(
    main: str = "word/document.xml", *, macro: bool = False, extra: dict | None = None
) -> bytes:
    buffer = io.BytesIO()
    content_type = "macroEnabled.main+xml" if macro else "document.main+xml"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", f'<Types><Override ContentType="{content_type}"/></Types>'
        )
        archive.writestr(main, "<document>fictional</document>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * (20 * 1024 * 1024))
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()
