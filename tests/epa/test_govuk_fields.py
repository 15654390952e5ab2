"""The grading form's fields printed by epa.templatetags.govuk_fields print the markup that
crispy-forms-gds prints for them (epa/_field.html), parsed: question rows, text inputs,
textareas with and without a hint, radios and hidden inputs, empty, filled and with one or
two errors."""

import pytest
from django import forms
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test.html import parse_html

from epa.forms import BaseQuestionFormSet, QuestionForm
from epa.templatetags.govuk_fields import govuk_field, govuk_hidden


class Questions(QuestionForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("notes") == "two errors":
            self.add_error("notes", "First problem")
            self.add_error("notes", "Second problem & more")
        return cleaned


QuestionRows = forms.formset_factory(Questions, formset=BaseQuestionFormSet)


def crispy(field):
    return render_to_string("epa/_field.html", {"field": field})


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
    plain = "".join(govuk_field(field) for field in row)
    assert parse_html(plain) == parse_html("".join(crispy(field) for field in row))
    assert row["question"].label == "Question 1"
    if data and data["notes"] == "two errors":
        assert 'aria-describedby="id_q-0-notes_1_error id_q-0-notes_2_error"' in plain
        assert "govuk-form-group--error" in plain


class Kinds(forms.Form):
    """A field of each kind the grading form prints with govuk_fields."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    minutes = forms.IntegerField(
        label="Minutes",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
    )
    referred = forms.CharField(
        label="Evidence referred to",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Which items of the pack the apprentice's assessor saw.",
    )
    judgement = forms.CharField(label="Judgement", widget=forms.Textarea(attrs={"rows": 5}))
    met = forms.TypedChoiceField(
        label="PQ1 pass: Presents a case & its record",
        choices=[("yes", "Met"), ("no", "Not met")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    grade = forms.ChoiceField(
        label="Grade",
        choices=[("pass", "Pass"), ("fail", "Fail")],
        widget=forms.RadioSelect,
        help_text="The method's grade.",
    )

    def clean(self):
        cleaned = super().clean()
        for name in ("referred", "judgement", "grade"):
            if self.data.get(name) == "two errors":
                self.add_error(name, "First problem")
                self.add_error(name, "Second <problem>")
        return cleaned


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"version": "3", "minutes": "90", "referred": 'Items 1 & "2"', "judgement": "Good"},
        {"version": "3", "minutes": "x", "met": "no", "grade": "fail"},
        {"version": "3", "minutes": "0", "met": "yes", "referred": "two errors"},
        {"judgement": "two errors", "grade": "two errors", "met": "maybe"},
    ],
    ids=["unbound", "all missing", "filled", "chosen", "hint and two errors", "two errors"],
)
@pytest.mark.parametrize("name", ["minutes", "referred", "judgement", "met", "grade"])
def test_each_kind_of_field_prints_what_crispy_prints(data, name):
    form = Kinds(data, initial={"minutes": 45})
    form.is_valid()
    assert parse_html(govuk_field(form[name])) == parse_html(crispy(form[name]))


@pytest.mark.parametrize("data", [None, {"version": "3"}, {"version": "x"}])
def test_hidden_inputs_print_what_django_prints(data):
    form = Kinds(data, initial={"version": 2})
    form.is_valid()
    assert govuk_hidden(form["version"]) == str(form["version"])
    rows = QuestionRows(None, prefix="q", rows=3, minimum=0, method="Talk")
    assert govuk_hidden(rows.management_form) == str(rows.management_form)


def test_a_tampered_management_form_prints_as_django_prints_it():
    rows = QuestionRows({}, prefix="q", rows=3, minimum=0, method="Talk")
    rows.is_valid()
    page = Template("{% load govuk_fields %}{{ form|govuk_hidden }}")
    printed = page.render(Context({"form": rows.management_form}))
    assert printed == str(rows.management_form)
    assert "This field is required" in printed


def test_labels_and_hints_are_text_where_crispy_prints_them_as_html():
    class Marked(forms.Form):
        said = forms.CharField(label="Uses <b>bold</b>", help_text="A <i>hint</i>")
        met = forms.ChoiceField(
            label="K1 <script>", choices=[("y", "Met")], widget=forms.RadioSelect
        )

    form = Marked()
    assert "Uses &lt;b&gt;bold&lt;/b&gt;" in govuk_field(form["said"])
    assert "A &lt;i&gt;hint&lt;/i&gt;" in govuk_field(form["said"])
    assert "K1 &lt;script&gt;" in govuk_field(form["met"])


def test_a_widget_printed_by_crispy_is_refused():
    class Dated(forms.Form):
        day = forms.DateField(widget=forms.DateInput)

    with pytest.raises(TypeError, match="DateInput"):
        govuk_field(Dated()["day"])


def test_the_grading_form_keeps_the_questions_and_marks_the_one_too_long(
    client, epa, assessor, django_assert_num_queries
):
    from django.urls import reverse

    from tests.epa.test_views import assessment_post

    client.force_login(assessor)
    one = epa.assessments.order_by("method__number").first()
    url = reverse("epa:assessment_record", args=[epa.pk, one.pk])
    client.get(url)  # the user's role and permissions, the assessment and the fields: cached
    # Session, user, the revisions the form is cached under, the unread count.
    with django_assert_num_queries(4):
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
