"""The grading form's question rows print, without crispy's field template, the markup that
crispy-forms-gds prints for them: empty, filled, and with one or two errors."""

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test.html import parse_html

from epa.forms import BaseQuestionFormSet, QuestionForm


class Questions(QuestionForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("notes") == "two errors":
            self.add_error("notes", "First problem")
            self.add_error("notes", "Second problem & more")
        return cleaned


QuestionRows = forms.formset_factory(Questions, formset=BaseQuestionFormSet)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"question": "What did you do?", "notes": 'A <b>"note"</b>\nover lines'},
        {"question": "x" * 2001, "notes": ""},
        {"question": "Fine", "notes": "two errors"},
    ],
    ids=["empty", "filled", "one error", "two errors"],
)
def test_a_question_row_prints_what_crispy_prints(data):
    posted = {"q-TOTAL_FORMS": "1", "q-INITIAL_FORMS": "0"}
    posted |= {f"q-0-{name}": value for name, value in (data or {}).items()}
    rows = QuestionRows(posted if data else None, prefix="q", rows=1, minimum=0, method="Talk")
    rows.is_valid()
    row = rows.forms[0]
    crispy = "".join(render_to_string("epa/_field.html", {"field": field}) for field in row)
    plain = render_to_string("epa/_question_row.html", {"row": row})
    assert parse_html(plain) == parse_html(crispy)
    assert row["question"].label == "Question 1"
    if data and data["notes"] == "two errors":
        assert 'aria-describedby="id_q-0-notes_1_error id_q-0-notes_2_error"' in plain
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
    # Session, user, the assessment with its method and EPA, its questions, the method's
    # grading criteria, the unread count.
    with django_assert_num_queries(6):
        assert 'id="id_questions-5-question"' in client.get(url).content.decode()
    data = assessment_post(one, questions=3)
    data["questions-1-question"] = "y" * 2001
    data["questions-0-notes"] = "Answered well"
    html = client.post(url, data).content.decode()
    assert (
        '<div id="div_id_questions-1-question" class="govuk-form-group govuk-form-group--error">'
        in html
    )
    assert 'aria-describedby="id_questions-1-question_1_error"' in html
    assert "at most 2000 characters (it has 2001)" in html
    assert 'href="#id_questions-1-question"' in html  # in the error summary
    assert "Tell me about widget 3" in html
    assert "Answered well</textarea>" in html
