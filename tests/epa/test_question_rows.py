"""The grading form's question rows print, without crispy's field template, the markup that
crispy-forms-gds prints for them: empty, filled, and with one or two errors."""

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test.html import parse_html


class Questions(forms.Form):
    question_1 = forms.CharField(label="Question 1", required=False, max_length=20)
    notes_1 = forms.CharField(
        label="Notes on the answer to question 1",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("notes_1") == "two errors":
            self.add_error("notes_1", "First problem")
            self.add_error("notes_1", "Second problem & more")
        return cleaned


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"question_1": "What did you do?", "notes_1": 'A <b>"note"</b>\nover lines'},
        {"question_1": "x" * 21, "notes_1": ""},
        {"question_1": "Fine", "notes_1": "two errors"},
    ],
    ids=["empty", "filled", "one error", "two errors"],
)
def test_a_question_row_prints_what_crispy_prints(data):
    form = Questions(data)
    form.is_valid()
    row = [form["question_1"], form["notes_1"]]
    crispy = "".join(render_to_string("epa/_field.html", {"field": field}) for field in row)
    plain = render_to_string("epa/_question_row.html", {"row": row})
    assert parse_html(plain) == parse_html(crispy)
    if data and data["notes_1"] == "two errors":
        assert 'aria-describedby="id_notes_1_1_error id_notes_1_2_error"' in plain
        assert "govuk-form-group--error" in plain


def test_the_grading_form_keeps_the_questions_and_marks_the_one_too_long(
    client, epa, assessor, django_assert_num_queries
):
    from django.urls import reverse

    from tests.epa.test_views import assessment_post

    client.force_login(assessor)
    one = epa.assessments.order_by("method__number").first()
    url = reverse("epa:assessment_record", args=[epa.pk, one.pk])
    client.get(url)  # the user's role and permissions, now cached
    with django_assert_num_queries(7):
        assert 'id="id_question_6"' in client.get(url).content.decode()
    data = assessment_post(one, questions=3)
    data["question_2"] = "y" * 2001
    data["notes_1"] = "Answered well"
    html = client.post(url, data).content.decode()
    assert '<div id="div_id_question_2" class="govuk-form-group govuk-form-group--error">' in html
    assert 'aria-describedby="id_question_2_1_error"' in html
    assert "at most 2000 characters (it has 2001)" in html
    assert 'href="#id_question_2"' in html  # in the error summary
    assert "Tell me about widget 3" in html
    assert "Answered well</textarea>" in html
