"""Spotting likely personal identifiers in evidence text and in the text of uploaded files.

Probation evidence must not identify people on probation or victims. This finds shapes
that often do (names after a title or a word like "victim", street addresses, postcodes,
dates of birth, case, PNC, prison (NOMIS) and National Insurance numbers, phone numbers,
email addresses) so the apprentice can remove them or confirm they are not personal data.
It reads the reflection, and the text of uploaded PDFs (pypdf), Word, Excel and PowerPoint
files, OpenDocument files and plain text, saying where in the file each finding is (page,
paragraph, cell, slide, line). It is a prompt for a human, not a guarantee: see the README
for what it cannot find.
"""

from __future__ import annotations

import logging
import re
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from apprentices import filetypes

logger = logging.getLogger(__name__)

# Reading a file's text stops here; the README says so.
MAX_PDF_PAGES = 300
MAX_PDF_SECONDS = 15
MAX_TEXT_CHARS = 2_000_000


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str
    where: str = ""

    @property
    def key(self) -> str:
        # Confirming "not personal" covers the same text wherever it appears.
        return f"{self.kind}: {self.text}"

    def __str__(self) -> str:
        return f"{self.kind} ({self.text}{', ' + self.where if self.where else ''})"


@dataclass(frozen=True)
class Passage:
    """A piece of a file's text and where it is, in words ("page 2", "paragraph 14")."""

    where: str
    text: str


NAME = "a person's name"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH},?\s+\d{{2,4}}|"
    rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*"
_NAME = rf"(?:[A-Z]\.?[ \t]+)*{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?"
_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Rev|Lady|Lord)"
_ROLES = (
    r"(?i:victim|offender|perpetrator|defendant|prisoner|suspect|complainant|witness|"
    r"service[ \t]+user|person[ \t]+on[ \t]+probation|PoP|client|claimant|ex-partner|partner|"
    r"wife|husband|girlfriend|boyfriend|mother|father|son|daughter|brother|sister|named|"
    r"called|known[ \t]+as|aka)"
)
# Capitalised words after a role word that are not names.
_NOT_NAMES = {
    "A", "An", "The", "I", "He", "She", "They", "We", "It", "His", "Her", "Their", "This",
    "That", "Who", "When", "And", "But", "In", "On", "At", "To", "Of", "As", "If", "So",
    "Support", "Supervisor", "Manager", "Management", "Liaison", "Services", "Service",
    "Contact", "Scheme", "Unit", "Team", "Officer", "Programme", "Impact", "Statement",
    "Personal", "Code", "Court", "Supervision", "Plan", "Assessment", "Awareness", "Care",
    "Centre", "Safety", "Engagement", "Hub", "Worker", "Practitioner", "Probation",
}  # fmt: skip
_STREET = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Cres|Court|Ct|"
    r"Place|Pl|Gardens|Gdns|Grove|Terrace|Hill|Park|Square|Sq|Walk|Row|Mews|View|Rise|"
    r"Green|Parade|Estate|Vale|Wharf|Yard)"
)


def _phone_digits(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return len(digits) in (10, 11) or (digits.startswith("44") and len(digits) in (12, 13))


def _is_name(text: str) -> bool:
    first = text.split()[0].rstrip(".")
    return first not in _NOT_NAMES and len(text) > 2


# (kind, pattern, group holding the identifier, check on that text)
_PATTERNS: list[tuple[str, re.Pattern[str], int, Callable[[str], bool] | None]] = [
    # UK postcode, e.g. SW1A 1AA, M1 1AE, B33 8TH, CR2 6XH, DN55 1PT.
    (
        "a postcode",
        re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.I),
        0,
        None,
    ),
    # Police National Computer (PNC) ID, e.g. 2019/0123456A or 19/123456Z.
    (
        "a Police National Computer (PNC) number",
        re.compile(r"\b(?:\d{2}|\d{4})/\d{1,7}[A-Z]\b", re.I),
        0,
        None,
    ),
    # Probation case reference (CRN), e.g. X123456.
    ("a case reference number (CRN)", re.compile(r"\b[A-Z]\d{6}\b"), 0, None),
    # Prison number (NOMIS), e.g. A1234BC.
    ("a prison (NOMIS) number", re.compile(r"\b[A-Z]\d{4}[A-Z]{2}\b"), 0, None),
    # National Insurance number, e.g. QQ 12 34 56 C.
    (
        "a National Insurance number",
        re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.I),
        0,
        None,
    ),
    # A date of birth: "DOB", "date of birth" or "born" followed by a date.
    (
        "a date of birth",
        re.compile(
            r"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|born)(?:\s*(?:is|was|on|the|:|-))*\s*" + _DATE,
            re.I,
        ),
        0,
        None,
    ),
    (
        "a phone number",
        re.compile(
            r"(?<![\d/])(?:\+44[\s-]?(?:\(0\)[\s-]?)?\d{2,5}|\(0\d{2,5}\)|0\d{2,5})"
            r"(?:[\s-]?\d{3,4}){1,2}(?![\d/])"
        ),
        0,
        _phone_digits,
    ),
    ("an email address", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"), 0, None),
    # A street address: a house number and a named street, e.g. "14 Acacia Avenue".
    (
        "a street address",
        re.compile(
            r"\b(?:(?:Flat|Apartment|Apt)\.?\s+\d+[A-Za-z]?,?\s+)?\d{1,4}[A-Za-z]?,?[ \t]+"
            rf"(?:{_NAME_WORD}[ \t]+){{1,3}}{_STREET}\b"
        ),
        0,
        None,
    ),
    ("a street address", re.compile(r"\b(?:Flat|Apartment)\s+\d+[A-Za-z]?\b"), 0, None),
    # A titled name, e.g. "Mr Smith", "Mrs J. Patel", "Dr Amara Okafor".
    (
        NAME,
        re.compile(rf"\b({_TITLES}\.?[ \t]+{_NAME})"),
        1,
        None,
    ),
    # A name after a word like "victim" or "offender", e.g. "the victim, Jane Doe".
    (
        NAME,
        re.compile(rf"\b{_ROLES}(?:[ \t]*[,:-]|[ \t]+(?:is|was|called|named))?[ \t]+({_NAME})"),
        1,
        _is_name,
    ),
]


def _findings_in(text: str, where: str = "") -> list[Finding]:
    """The findings in one text, in the order they appear in it."""
    found: list[tuple[int, Finding]] = []
    for kind, pattern, group, check in _PATTERNS:
        for match in pattern.finditer(text or ""):
            value = " ".join(match.group(group).split())
            if check is None or check(value):
                found.append((match.start(group), Finding(kind, value, where)))
    return [finding for _, finding in sorted(found, key=lambda item: item[0])]


def find_identifiers(*texts: str, names: bool = True) -> list[Finding]:
    """Every likely identifier in the texts, in order, each reported once; without names
    where naming colleagues is expected and there is no box to confirm (review records)."""
    found = find_in_passages(Passage("", text) for text in texts)
    return found if names else [finding for finding in found if finding.kind != NAME]


def find_in_passages(passages: Iterable[Passage]) -> list[Finding]:
    """Every likely identifier in the passages, with where it first appears, each once."""
    findings: dict[str, Finding] = {}
    for passage in passages:
        for finding in _findings_in(passage.text, passage.where):
            findings.setdefault(finding.key, finding)
    return list(findings.values())


def describe(findings: list[Finding]) -> str:
    return "; ".join(str(f) for f in findings)


@dataclass(frozen=True)
class FileText:
    """What was read of a file's text, and what was not ("pages 120 to 300"), if anything."""

    passages: tuple[Passage, ...] = ()
    unread: str = ""


def file_text(stream: IO[bytes], file_type: filetypes.FileType) -> FileText:
    """The text of an uploaded file, piece by piece with where each piece is; nothing for
    types whose text is not read (images, audio, video)."""
    readers: dict[filetypes.FileType, Callable[[IO[bytes]], FileText]] = {
        filetypes.PDF: _pdf_text,
        filetypes.DOCX: _docx_text,
        filetypes.XLSX: _xlsx_text,
        filetypes.PPTX: _pptx_text,
        filetypes.ODT: _odf_text,
        filetypes.ODS: _odf_text,
        filetypes.ODP: _odf_text,
        filetypes.TEXT: _plain_text,
    }
    reader = readers.get(file_type)
    if reader is None:
        return FileText()
    stream.seek(0)
    try:
        return _capped(reader(stream))
    except (PyPdfError, zipfile.BadZipFile, DefusedXmlException, ParseError, KeyError,
            ValueError, TypeError, OSError, RecursionError) as error:  # fmt: skip
        # The file passed the type checks, so this is text pypdf or the XML parser could not
        # get out: the apprentice is told it was not checked.
        logger.warning(
            "Identifier check: could not read the text of a %s: %r", file_type.label, error
        )
        return FileText(unread="its text (it could not be read)")
    finally:
        stream.seek(0)


def _capped(text: FileText) -> FileText:
    kept: list[Passage] = []
    total = 0
    for passage in text.passages:
        total += len(passage.text)
        if total > MAX_TEXT_CHARS:
            return FileText(tuple(kept), f"the text from {passage.where} on")
        kept.append(passage)
    return text


def _pdf_text(stream: IO[bytes]) -> FileText:
    reader = PdfReader(stream, strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    count = len(reader.pages)
    deadline = time.monotonic() + MAX_PDF_SECONDS
    passages: list[Passage] = []
    for number, page in enumerate(reader.pages[:MAX_PDF_PAGES], start=1):
        if time.monotonic() > deadline:
            return FileText(tuple(passages), _pages(number, count))
        passages.append(Passage(f"page {number}", page.extract_text() or ""))
    unread = _pages(MAX_PDF_PAGES + 1, count) if count > MAX_PDF_PAGES else ""
    return FileText(tuple(passages), unread)


def _pages(first: int, last: int) -> str:
    return f"page {first}" if first == last else f"pages {first} to {last}"


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCX_PARTS = (
    ("word/document.xml", "paragraph"),
    ("word/footnotes.xml", "footnote paragraph"),
    ("word/endnotes.xml", "endnote paragraph"),
    ("word/comments.xml", "comment paragraph"),
)


def _docx_text(stream: IO[bytes]) -> FileText:
    passages: list[Passage] = []
    with zipfile.ZipFile(stream) as archive:
        names = {name.lower(): name for name in archive.namelist()}
        parts = list(_DOCX_PARTS) + [
            (name, "header" if "header" in name else "footer")
            for name in sorted(names)
            if re.fullmatch(r"word/(header|footer)\d*\.xml", name)
        ]
        for part, label in parts:
            if part not in names:
                continue
            root = fromstring(archive.read(names[part]))
            for number, paragraph in enumerate(root.iter(f"{_W}p"), start=1):
                text = "".join(node.text or "" for node in paragraph.iter(f"{_W}t"))
                if text.strip():
                    passages.append(Passage(f"{label} {number}", text))
    return FileText(tuple(passages))


_SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def _numbered(names: dict[str, str], pattern: str) -> list[tuple[int, str]]:
    """Members like ppt/slides/slide12.xml, in the order of their numbers."""
    found = [
        (int(m.group(1)), real) for low, real in names.items() if (m := re.fullmatch(pattern, low))
    ]
    return sorted(found)


def _xlsx_text(stream: IO[bytes]) -> FileText:
    passages: list[Passage] = []
    with zipfile.ZipFile(stream) as archive:
        names = {name.lower(): name for name in archive.namelist()}
        shared: list[str] = []
        if "xl/sharedstrings.xml" in names:
            root = fromstring(archive.read(names["xl/sharedstrings.xml"]))
            shared = [
                "".join(node.text or "" for node in item.iter(f"{_SHEET}t"))
                for item in root.iter(f"{_SHEET}si")
            ]
        for number, name in _numbered(names, r"xl/worksheets/sheet(\d+)\.xml"):
            for cell in fromstring(archive.read(name)).iter(f"{_SHEET}c"):
                kind, value = cell.get("t"), cell.find(f"{_SHEET}v")
                if kind == "s" and value is not None and (value.text or "").isdigit():
                    index = int(value.text or 0)
                    text = shared[index] if index < len(shared) else ""
                elif kind == "inlineStr":
                    text = "".join(node.text or "" for node in cell.iter(f"{_SHEET}t"))
                elif kind == "str" and value is not None:
                    text = value.text or ""
                else:
                    continue
                if text.strip():
                    passages.append(Passage(f"sheet {number}, cell {cell.get('r', '?')}", text))
    return FileText(tuple(passages))


def _pptx_text(stream: IO[bytes]) -> FileText:
    passages: list[Passage] = []
    with zipfile.ZipFile(stream) as archive:
        names = {name.lower(): name for name in archive.namelist()}
        parts = [
            (f"slide {n}", name) for n, name in _numbered(names, r"ppt/slides/slide(\d+)\.xml")
        ] + [
            (f"speaker notes {n}", name)
            for n, name in _numbered(names, r"ppt/notesslides/notesslide(\d+)\.xml")
        ]
        for where, name in parts:
            root = fromstring(archive.read(name))
            for paragraph in root.iter(f"{_DRAWING}p"):
                text = "".join(node.text or "" for node in paragraph.iter(f"{_DRAWING}t"))
                if text.strip():
                    passages.append(Passage(where, text))
    return FileText(tuple(passages))


_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _odf_text(stream: IO[bytes]) -> FileText:
    with zipfile.ZipFile(stream) as archive:
        root = fromstring(archive.read("content.xml"))
    passages: list[Passage] = []
    number = 0
    for element in root.iter():
        if element.tag in (f"{_ODF_TEXT}p", f"{_ODF_TEXT}h"):
            number += 1
            text = "".join(element.itertext())
            if text.strip():
                passages.append(Passage(f"paragraph {number}", text))
    return FileText(tuple(passages))


def _plain_text(stream: IO[bytes]) -> FileText:
    text = stream.read(MAX_TEXT_CHARS * 4).decode("utf-8", "replace")
    return FileText(
        tuple(
            Passage(f"line {number}", line)
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        )
    )
