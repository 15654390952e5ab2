import datetime

import pytest

from standards.importing import parse_official
from standards.plain_text import plain_text, same_words
from tests.standards.samples import official_json


def test_entities_and_html_become_paragraphs_and_list_lines():
    escaped = (
        "&lt;p&gt;Apprentices &amp;amp; employers:&lt;/p&gt;&lt;ul&gt;&lt;li&gt;first&#160; "
        "point&lt;/li&gt;&lt;li&gt;second&lt;/li&gt;&lt;/ul&gt;&lt;p&gt;See "
        '&lt;a href="https://example.invalid"&gt;the rules&lt;/a&gt;.&lt;/p&gt;'
    )
    assert plain_text(escaped) == (
        "Apprentices & employers:\n\n- first point\n- second\n\nSee the rules."
    )


def test_plain_text_keeps_its_inner_spaces_line_breaks_and_bullets():
    text = "  Use techniques  to engage:\n\n- one\n- two & three  "
    assert plain_text(text) == "Use techniques  to engage:\n\n- one\n- two & three"
    assert plain_text("Health &amp; safety") == "Health & safety"


def test_a_script_is_never_kept_as_markup():
    assert "<" not in plain_text("&lt;p&gt;Hi&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;")


def test_same_words_ignores_spacing_and_entities_only():
    assert same_words("a  b&amp;c", "a b&c")
    assert not same_words("a b", "a c")


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2019-08-20T00:00:00 +00:00", datetime.date(2019, 8, 20)),
        ("2024-07-16T00:00:00", datetime.date(2024, 7, 16)),
        ("2024-07-16T00:00:00.000Z", datetime.date(2024, 7, 16)),
        ("2024-07-16", datetime.date(2024, 7, 16)),
        ("", None),
        (None, None),
    ],
)
def test_every_date_form_of_the_api_is_read(db, written, read):
    data = parse_official(official_json(approvedForDelivery=written))
    assert data.fields.get("approved_for_delivery") == read


def test_numbers_written_as_text_and_empty_numbers(db):
    data = parse_official(official_json(minimumHoursForCompliance="326", ePALength=None))
    assert data.fields["off_the_job_minimum_hours"] == 326
    assert "epa_length_months" not in data.fields
    empty = parse_official(official_json(minimumHoursForCompliance=""))
    assert "off_the_job_minimum_hours" not in empty.fields


@pytest.mark.parametrize("version", ["", None])
def test_a_record_without_a_version_is_refused_with_a_reason(db, version):
    from standards.validation import InvalidImport

    with pytest.raises(InvalidImport, match="is not a published version of a standard"):
        parse_official(official_json(version=version, status="Proposal in development"))
