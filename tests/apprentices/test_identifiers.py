import pytest

from apprentices.identifiers import find_identifiers


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
    ],
)
def test_likely_identifiers_are_named(text, kind):
    assert [finding.kind for finding in find_identifiers(text)] == [kind]


def test_ordinary_reflection_has_no_findings():
    text = "I used K1 and S12 in a 60 minute supervision in 2024, duty 9, with my manager."
    assert find_identifiers(text) == []


def test_each_identifier_is_reported_once_across_texts():
    assert len(find_identifiers("LS6 2QA", "again LS6 2QA")) == 1
