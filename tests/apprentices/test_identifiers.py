import io

import pytest

from apprentices import filetypes
from apprentices.identifiers import (
    Finding,
    describe,
    file_text,
    find_identifiers,
    find_in_passages,
)
from tests.apprentices import samples


def kind_of(data: bytes):
    return filetypes.detect(io.BytesIO(data), len(data))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("We met at her flat in LS6 2QA last week.", "a postcode"),
        ("His PNC is 2019/0123456A.", "a Police National Computer (PNC) number"),
        ("Case X123456 was discussed.", "a case reference number (CRN)"),
        ("DOB: 04/07/1989", "a date of birth"),
        ("born on 4 July 1989", "a date of birth"),
        ("NI number AB 12 34 56 C", "a National Insurance number"),
        ("Call 07700 900123", "a phone number"),
        ("email j.smith@example.org", "an email address"),
        ("Her NI number is AB123456C.", "a National Insurance number"),
        ("mobile +44 7700 900123", "a phone number"),
    ],
)
def test_likely_identifiers_are_named(text, kind):
    assert [finding.kind for finding in find_identifiers(text)] == [kind]


# Each of these passed the check on main (issue 15, finding 8).
@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("I visited Mr Smith at home.", "a person's name", "Mr Smith"),
        ("Mrs J. Patel attended with her son.", "a person's name", "Mrs J. Patel"),
        ("Dr Amara Okafor signed the report.", "a person's name", "Dr Amara Okafor"),
        ("The victim, Jane Doe, was not present.", "a person's name", "Jane Doe"),
        ("the offender Mark Bloggs reported late", "a person's name", "Mark Bloggs"),
        ("The person on probation is Kelly.", "a person's name", "Kelly"),
        ("He lives at 14 Acacia Avenue with his partner.", "a street address", "14 Acacia Avenue"),
        ("Flat 3, 22 Mill Hill Road", "a street address", "Flat 3, 22 Mill Hill Road"),
        (
            "His date of birth is 12 March 1985.",
            "a date of birth",
            "date of birth is 12 March 1985",
        ),
        ("born on the 3rd of May 1990", "a date of birth", "born on the 3rd of May 1990"),
        ("DoB 1990-05-03", "a date of birth", "DoB 1990-05-03"),
        ("Prison number A1234BC at HMP Leeds", "a prison (NOMIS) number", "A1234BC"),
        ("Ring (0114) 496 0000 before", "a phone number", "(0114) 496 0000"),
    ],
)
def test_names_addresses_dates_of_birth_and_numbers_are_found(text, kind, found):
    findings = find_identifiers(text)
    assert Finding(kind, found) in findings, findings


@pytest.mark.parametrize(
    "text",
    [
        "I used K1 and S12 in a 60 minute supervision in 2024, duty 9, with my manager.",
        "The victim was not present. The offender I supervised attended on time.",
        "I referred the case to Victim Support and the Offender Manager.",
        "We discussed the Victim Contact Scheme and Court reports in 2023.",
        "Supervision lasted 45 minutes on 12 March 2025.",
    ],
)
def test_ordinary_reflection_has_no_findings(text):
    assert find_identifiers(text) == []


def test_each_identifier_is_reported_once_across_texts():
    assert len(find_identifiers("LS6 2QA", "again LS6 2QA")) == 1


def test_findings_say_where_they_are():
    findings = find_identifiers("Met Mr Smith.")
    assert describe(findings) == "a person's name (Mr Smith)"
    located = [Finding("a person's name", "Mr Smith", "page 2")]
    assert describe(located) == "a person's name (Mr Smith, page 2)"


def passages(data: bytes, file_type):
    return [(p.where, p.text) for p in file_text(io.BytesIO(data), file_type).passages]


def test_text_of_each_pdf_page_is_read():
    data = samples.pdf("A fictional account.", "I met Mr Smith at 14 Acacia Avenue.")
    found = find_in_passages(file_text(io.BytesIO(data), filetypes.PDF).passages)
    assert {(f.kind, f.text, f.where) for f in found} == {
        ("a person's name", "Mr Smith", "page 2"),
        ("a street address", "14 Acacia Avenue", "page 2"),
    }


def test_paragraphs_of_a_word_document_are_read():
    data = samples.docx("A fictional reflection.", "The victim, Jane Doe, was present.")
    found = find_in_passages(file_text(io.BytesIO(data), filetypes.DOCX).passages)
    assert found == [Finding("a person's name", "Jane Doe", "paragraph 2")]


def test_paragraphs_of_an_opendocument_text_are_read():
    data = samples.odt("Fictional.", "Call 07700 900123.")
    found = find_in_passages(file_text(io.BytesIO(data), filetypes.ODT).passages)
    assert found == [Finding("a phone number", "07700 900123", "paragraph 2")]


def test_lines_of_a_text_file_are_read():
    data = b"Notes\n\nPrison number A1234BC\n"
    found = find_in_passages(file_text(io.BytesIO(data), filetypes.TEXT).passages)
    assert found == [Finding("a prison (NOMIS) number", "A1234BC", "line 3")]


def test_files_without_readable_text_give_no_passages():
    assert passages(samples.PNG, filetypes.PNG) == []
    assert passages(b"%PDF-1.7 not really", filetypes.PDF) == []


def test_pages_past_the_limit_are_named_as_not_read(monkeypatch):
    monkeypatch.setattr("apprentices.identifiers.MAX_PDF_PAGES", 2)
    text = file_text(io.BytesIO(samples.pdf("One", "Two", "Mr Smith", "Four")), filetypes.PDF)
    assert [p.where for p in text.passages] == ["page 1", "page 2"]
    assert text.unread == "pages 3 to 4"


def test_a_file_whose_text_cannot_be_read_says_so():
    text = file_text(io.BytesIO(b"%PDF-1.7 not really"), filetypes.PDF)
    assert text.passages == ()
    assert text.unread == "its text (it could not be read)"


def test_reading_a_pdf_stops_at_its_time_limit_and_says_what_was_not_read(monkeypatch):
    monkeypatch.setattr("apprentices.identifiers.MAX_PDF_SECONDS", -1)
    text = file_text(io.BytesIO(samples.pdf("Mr Smith", "Two")), filetypes.PDF)
    assert text.passages == ()
    assert text.unread == "pages 1 to 2"


def test_cells_of_a_spreadsheet_are_read():
    data = samples.xlsx("Session notes", "Offender: Mark Bloggs")
    assert kind_of(data) is filetypes.XLSX
    found = find_in_passages(file_text(io.BytesIO(data), filetypes.XLSX).passages)
    assert found == [Finding("a person's name", "Mark Bloggs", "sheet 1, cell A2")]


def test_slides_of_a_presentation_are_read():
    data = samples.pptx("Case study", "Met Ms Okafor at 3 Mill Lane")
    assert kind_of(data) is filetypes.PPTX
    found = find_in_passages(file_text(io.BytesIO(data), filetypes.PPTX).passages)
    assert found == [
        Finding("a person's name", "Ms Okafor", "slide 2"),
        Finding("a street address", "3 Mill Lane", "slide 2"),
    ]


def test_names_can_be_left_out_where_colleagues_are_named_as_a_matter_of_course():
    text = "Discussed targets with Mr Patel, her manager, at LS6 2QA."
    assert [f.kind for f in find_identifiers(text)] == ["a person's name", "a postcode"]
    assert [f.kind for f in find_identifiers(text, names=False)] == ["a postcode"]
