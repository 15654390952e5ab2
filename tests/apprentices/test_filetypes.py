import io

import pytest

from apprentices.filetypes import DOCX, JPEG, PDF, PNG, PPTX, TEXT, XLSX, FileTypeError, detect
from tests.apprentices import samples


def kind_of(data: bytes):
    return detect(io.BytesIO(data), len(data))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.PDF, PDF),
        (samples.PNG, PNG),
        (samples.JPEG, JPEG),
        (samples.TEXT, TEXT),
        (samples.office(), DOCX),
        (samples.office("xl/workbook.xml"), XLSX),
        (samples.office("ppt/presentation.xml"), PPTX),
    ],
    ids=["pdf", "png", "jpeg", "text", "docx", "xlsx", "pptx"],
)
def test_allowed_files_are_recognised_by_their_content(data, expected):
    assert kind_of(data) is expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (samples.HTML, "web page markup or script"),
        (samples.SVG, "web page markup or script"),
        (samples.EXE, "Programs and executable files cannot be uploaded"),
        (b"#!/bin/sh\nrm -rf /\n", "Scripts cannot be uploaded"),
        (samples.OLE, "Older Office files"),
        (samples.office(macro=True), "macro-enabled"),
        (samples.office(extra={"word/vbaProject.bin": b"x"}), "contains macros"),
        (samples.zip_bomb(), "zip bomb"),
        (samples.plain_zip(), "Zip archives cannot be uploaded"),
        (samples.PDF.replace(b"%%EOF", b""), "The PDF is incomplete"),
        (
            samples.PDF.replace(
                b"trailer", b"/OpenAction<</S/JavaScript/JS(app.alert(1))>> trailer"
            ),
            "JavaScript",
        ),
        (samples.PNG + b"PK\x03\x04 hidden zip", "hidden after the picture"),
        (samples.PNG[:-12], "The PNG image is incomplete"),
        (samples.PDF + b"<script>alert(1)</script>", "may be disguised"),
        (b"\x00\x01\x02\x03" * 50, "This type of file cannot be uploaded"),
    ],
    ids=[
        "empty",
        "html",
        "svg",
        "exe",
        "shebang",
        "ole",
        "docm",
        "vba",
        "zip-bomb",
        "zip",
        "truncated-pdf",
        "pdf-js",
        "png-polyglot",
        "truncated-png",
        "pdf-html-polyglot",
        "binary",
    ],
)
def test_refused_files_get_a_clear_reason(data, message):
    with pytest.raises(FileTypeError, match=message):
        kind_of(data)


def test_html_named_as_pdf_is_still_html():
    # The name never matters: only the content is looked at.
    with pytest.raises(FileTypeError, match="markup"):
        kind_of(samples.HTML)
