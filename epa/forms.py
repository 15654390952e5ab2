"""Forms for gateway and end-point assessment (GOV.UK Design System)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any, cast

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from apprentices.filetypes import FileTypeError
from apprentices.forms import date_field
from apprentices.models import Apprentice
from apprentices.uploads import CheckedUpload, check_upload
from epa.grading import AssessmentRecord, Decision, method_grade_choices
from epa.models import (
    ConflictOfInterest,
    EpaResult,
    GatewayItem,
    MethodAssessment,
    MethodSubmission,
)
from psp.forms import gds_helper, limited_text, name_required_errors
from psp.models import Organisation, User
from psp.roles import Role


@limited_text
class EnglishMathsForm(forms.Form):
    english_maths = forms.ChoiceField(
        label="How is the English and maths requirement met?",
        choices=GatewayItem.EnglishMaths.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the English and maths requirement is met"},
    )
    details = forms.CharField(
        label="Evidence",
        help_text="Qualification, awarding body, date and certificate number, or the EHC plan.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the evidence for English and maths"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            "Confirm English and maths",
            Field.radios("english_maths"),
            Field.textarea("details"),
            size=Size.SMALL,
        )


@limited_text
class GatewayDecisionForm(forms.Form):
    """Accept or reject each gateway item, with a reason for a rejection."""

    gateway_date = date_field("Gateway date", help_text="Usually today. For example, 3 2 2026")

    def __init__(self, *args: Any, items: list[GatewayItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.initial.setdefault("gateway_date", timezone.localdate())
        for item in items:
            self.fields[f"decision_{item.pk}"] = forms.ChoiceField(
                label=item.text,
                choices=[("accepted", "Accept"), ("rejected", "Reject")],
                widget=forms.RadioSelect,
                error_messages={"required": f"Accept or reject: {item.text}"},
            )
            self.fields[f"reason_{item.pk}"] = forms.CharField(
                label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
        layout = []
        for item in items:
            layout += [
                Field.radios(f"decision_{item.pk}", legend_size=Size.SMALL, inline=True),
                Field.textarea(f"reason_{item.pk}"),
            ]
        self.helper = gds_helper("Save decisions", Field("gateway_date"), *layout, size=Size.SMALL)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for item in self.items:
            if (
                cleaned.get(f"decision_{item.pk}") == "rejected"
                and not cleaned.get(f"reason_{item.pk}", "").strip()
            ):
                self.add_error(f"reason_{item.pk}", f"Give a reason for rejecting: {item.text}")
        date = cleaned.get("gateway_date")
        if date and date > timezone.localdate():
            self.add_error("gateway_date", "The gateway date cannot be in the future")
        return cleaned

    def decisions(self) -> dict[int, tuple[str, str]]:
        return {
            item.pk: (
                self.cleaned_data[f"decision_{item.pk}"],
                self.cleaned_data.get(f"reason_{item.pk}", ""),
            )
            for item in self.items
        }

    def decision(self) -> dict[str, Any]:
        """The arguments of gateway.decide_gateway, beyond the attempt and who decides."""
        return {"decisions": self.decisions(), "gateway_date": self.cleaned_data["gateway_date"]}


@limited_text
class AssignAssessorForm(forms.Form):
    assessor = forms.ModelChoiceField(
        label="Independent assessor",
        queryset=User.objects.none(),
        empty_label="Choose an assessor",
        error_messages={"required": "Choose an assessor"},
    )

    def __init__(self, *args: Any, epao_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assessor"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            groups__name=Role.ASSESSOR.label, organisation_id=epao_id or 0, is_active=True
        ).order_by("last_name", "first_name")
        self.helper = gds_helper("Assign assessor", Field.select("assessor"), size=Size.SMALL)


@limited_text
class ScheduleForm(forms.Form):
    date = date_field("Date", help_text="For example, 17 3 2026")
    time = forms.TimeField(
        label="Start time",
        help_text="24-hour clock, for example 09:30 or 14:00",
        error_messages={"invalid": "Enter a time like 09:30 or 14:00"},
        widget=forms.TimeInput(format="%H:%M", attrs={"class": "govuk-input--width-5"}),
    )
    location = forms.CharField(label="Place or online link", max_length=500)
    adjustments = forms.CharField(
        label="Reasonable adjustments",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="As agreed by the EPAO, for example extra time or a break.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            "Save schedule",
            Field("date"),
            Field.text("time", field_width=5),
            Field.text("location"),
            Field.textarea("adjustments"),
            size=Size.SMALL,
        )
        name_required_errors(self)

    @classmethod
    def for_assessment(cls, data: Any, assessment: MethodAssessment) -> ScheduleForm:
        """The form for (re)scheduling `assessment`, showing its schedule if it has one."""
        initial = {}
        if assessment.scheduled_for:
            local = timezone.localtime(assessment.scheduled_for)
            initial = {
                "date": local.date(),
                "time": local.time(),
                "location": assessment.location,
                "adjustments": assessment.adjustments,
            }
        return cls(data, initial=initial)

    def scheduled_for(self) -> datetime.datetime:
        return timezone.make_aware(
            datetime.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        )

    def schedule(self) -> dict[str, Any]:
        """The keyword arguments of `grading.schedule`."""
        return {
            "scheduled_for": self.scheduled_for(),
            "location": self.cleaned_data["location"],
            "adjustments": self.cleaned_data["adjustments"],
        }


@limited_text
class QuestionForm(forms.Form):
    """One row of the questions an assessor asked: the question, and notes on the answer."""

    question = forms.CharField(required=False, max_length=2000)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BaseQuestionFormSet(forms.BaseFormSet):
    """The rows of questions of an assessment: those recorded, then empty ones up to `rows`.
    A row left empty is no question; the EPA plan sets how many there must be."""

    def __init__(self, *args: Any, rows: int, minimum: int, method: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra = max(rows - len(self.initial or []), 0)
        self.minimum = minimum
        self.method = method

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        number = (index or 0) + 1
        form.fields["question"].label = f"Question {number}"
        form.fields["notes"].label = f"Notes on the answer to question {number}"

    def clean(self) -> None:
        # What was typed counts, valid or not: a question refused for its own reason (too
        # long) is not also "missing".
        typed = [
            form
            for form in self.forms
            if str(form.data.get(form.add_prefix("question"), "")).strip()
        ]
        if len(typed) < self.minimum:
            message = (
                f"The EPA plan needs at least {self.minimum} questions for {self.method}: "
                f"you recorded {len(typed)}. Add the questions you asked"
            )
            # On the first empty question, which shows the error and takes the focus.
            empty = next((form for form in self.forms if form not in typed), None)
            if empty is None:  # the page sent no empty row
                raise ValidationError(message)
            empty.add_error("question", message)

    def asked(self) -> list[tuple[str, str]]:
        """The (question, notes) of each row with a question, in order."""
        rows = [
            (form.cleaned_data.get("question", "").strip(), form.cleaned_data.get("notes", ""))
            for form in self.forms
        ]
        return [(question, notes.strip()) for question, notes in rows if question]


QuestionFormSet = cast(
    type[BaseQuestionFormSet],
    forms.formset_factory(QuestionForm, formset=BaseQuestionFormSet, extra=0),
)


@limited_text
class AssessmentForm(forms.Form):
    """The assessor's record of one method: questions, judgement and grade or criteria."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput)
    assessed_on = date_field("Date of the assessment")
    duration_minutes = forms.IntegerField(
        label="Actual duration in minutes",
        min_value=1,
        max_value=600,
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-4", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={
            "required": "Enter how long the assessment took, in minutes",
            "invalid": "Enter the duration as a whole number of minutes, like 90",
            "min_value": "The duration must be at least 1 minute",
            "max_value": "The duration must be 600 minutes (10 hours) or fewer",
        },
    )
    evidence_referred = forms.CharField(
        label="Evidence referred to",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Which items of the gateway pack the apprentice used.",
    )
    judgement = forms.CharField(
        label="Judgement",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write your judgement"},
    )

    def __init__(
        self,
        *args: Any,
        assessment: MethodAssessment,
        rows: int,
        questions: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        """`questions`: the (question, notes) recorded so far, shown in the first rows."""
        super().__init__(*args, **kwargs)
        self.assessment = assessment
        self.helper = gds_helper()  # the template lays out the fields
        method = assessment.method
        plan = assessment.epa.plan
        self.minimum = method.minimum_questions or 0
        self.questions = QuestionFormSet(
            self.data if self.is_bound else None,
            prefix="questions",
            initial=[{"question": q, "notes": notes} for q, notes in questions or []],
            rows=rows,
            minimum=self.minimum,
            method=method.name,
        )
        # In GradingCriterion's order (method, id), by id within the one method: ordering by
        # the method joins its table.
        criteria = method.grading_criteria.order_by("id")
        self.criteria = list(criteria) if plan.grading_imported else []
        for criterion in self.criteria:
            self.fields[f"pass_{criterion.pk}"] = forms.TypedChoiceField(
                label=f"{criterion.code} pass: {criterion.pass_descriptor}",
                choices=[("yes", "Met"), ("no", "Not met")],
                coerce=lambda v: v == "yes",
                widget=forms.RadioSelect,
                error_messages={"required": f"Decide {criterion.code} (pass)"},
            )
            if criterion.distinction_descriptor:
                self.fields[f"distinction_{criterion.pk}"] = forms.TypedChoiceField(
                    label=f"{criterion.code} distinction: {criterion.distinction_descriptor}",
                    choices=[("yes", "Met"), ("no", "Not met")],
                    coerce=lambda v: v == "yes",
                    widget=forms.RadioSelect,
                    error_messages={"required": f"Decide {criterion.code} (distinction)"},
                )
        if not self.criteria:
            self.fields["grade"] = forms.ChoiceField(
                label="Grade for this method",
                choices=[(g, g.capitalize()) for g in method_grade_choices(method, plan)],
                widget=forms.RadioSelect,
                error_messages={"required": "Choose a grade for the method"},
            )
            self.fields["grade_justification"] = forms.CharField(
                label="Why this grade",
                help_text="The EPA plan's grading criteria are not imported, so explain the grade.",
                widget=forms.Textarea(attrs={"rows": 4}),
                error_messages={"required": "Explain the grade"},
            )
        # In the order of the page, so that the error summary lists errors in that order.
        self.order_fields(["assessed_on", "duration_minutes", "evidence_referred", "judgement"])

    def is_valid(self) -> bool:
        """Valid when its fields and every row of questions are (both checked, so both show
        their errors)."""
        return all([super().is_valid(), self.questions.is_valid()])

    @property
    def has_errors(self) -> bool:
        return self.is_bound and not self.is_valid()

    def error_summary(self) -> SimpleNamespace:
        """The form and its rows of questions as one form for the error summary
        (gds/layout/error_summary.html): every field in the order of the page, the rows
        after the duration."""
        fields = self.visible_fields()
        at = [field.name for field in fields].index("duration_minutes") + 1
        return SimpleNamespace(
            helper=self.helper,
            errors=self.has_errors,
            non_field_errors=[*self.non_field_errors(), *self.questions.non_form_errors()],
            visible_fields=[
                *fields[:at],
                *(field for row in self.questions for field in row),
                *fields[at:],
            ],
        )

    def criterion_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (
                c,
                self[f"pass_{c.pk}"],
                self[f"distinction_{c.pk}"] if c.distinction_descriptor else None,
            )
            for c in self.criteria
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["questions"] = self.questions.asked() if self.questions.is_valid() else []
        date = cleaned.get("assessed_on")
        if date and date > timezone.localdate():
            self.add_error("assessed_on", "The date of the assessment cannot be in the future")
        return cleaned

    @classmethod
    def for_assessment(cls, data: Any, assessment: MethodAssessment) -> AssessmentForm:
        """The form showing what is recorded of `assessment` so far, with room for two
        more questions than recorded (and at least the method's minimum and six rows)."""
        # Question's order (assessment, number), by number within the one assessment:
        # ordering by the assessment joined its EPA and method to the query.
        questions = list(assessment.questions.order_by("number"))
        rows = max((assessment.method.minimum_questions or 0) + 2, len(questions) + 2, 6)
        initial = {
            "seen_version": assessment.version,
            "assessed_on": assessment.assessed_on,
            "duration_minutes": assessment.duration_minutes,
            "evidence_referred": assessment.evidence_referred,
            "judgement": assessment.judgement,
            "grade": assessment.grade,
            "grade_justification": assessment.grade_justification,
        }
        return cls(
            data,
            initial=initial,
            assessment=assessment,
            rows=rows,
            questions=[(q.text, q.notes) for q in questions],
        )

    def record(self) -> AssessmentRecord:
        data = self.cleaned_data
        return AssessmentRecord(
            assessed_on=data["assessed_on"],
            duration_minutes=data["duration_minutes"],
            questions=data["questions"],
            evidence_referred=data["evidence_referred"],
            judgement=data["judgement"],
            decisions=self.decisions(),
            grade=data.get("grade", ""),
            grade_justification=data.get("grade_justification", ""),
        )

    def decisions(self) -> list[Decision]:
        return [
            Decision(
                criterion=c,
                pass_met=self.cleaned_data[f"pass_{c.pk}"],
                distinction_met=self.cleaned_data.get(f"distinction_{c.pk}"),
            )
            for c in self.criteria
        ]


@limited_text
class ModerationForm(forms.Form):
    """A decision on each method result, then on the grades as a whole."""

    decision = forms.ChoiceField(
        label="Your decision on the grades",
        choices=[
            ("confirm", "Confirm the grades: the result becomes final"),
            ("return", "Return them to the assessor"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Confirm the grades or return them"},
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you return the grades.",
    )

    def __init__(self, *args: Any, assessments: list[MethodAssessment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assessments = assessments
        layout = []
        for a in assessments:
            name = a.method.name
            self.fields[f"agree_{a.pk}"] = forms.ChoiceField(
                label=f"{name}: do you agree with the grade {a.final_grade}?",
                choices=[("yes", "Agree"), ("no", "Do not agree")],
                widget=forms.RadioSelect,
                error_messages={"required": f"Say whether you agree with the grade for {name}"},
            )
            self.fields[f"why_{a.pk}"] = forms.CharField(
                label=f"Why not ({name})",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Required when you do not agree.",
            )
            layout += [
                Field.radios(f"agree_{a.pk}", legend_size=Size.SMALL, inline=True),
                Field.textarea(f"why_{a.pk}"),
            ]
        self.order_fields([*(f for a in assessments for f in (f"agree_{a.pk}", f"why_{a.pk}"))])
        self.helper = gds_helper(
            "Save moderation",
            *layout,
            Field.radios("decision"),
            Field.textarea("comment"),
            size=Size.SMALL,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        disagreed = []
        for a in self.assessments:
            if cleaned.get(f"agree_{a.pk}") == "no":
                disagreed.append(a.method.name)
                if not cleaned.get(f"why_{a.pk}", "").strip():
                    self.add_error(
                        f"why_{a.pk}",
                        f"Say why you do not agree with the grade for {a.method.name}",
                    )
        if cleaned.get("decision") == "confirm" and disagreed:
            self.add_error(
                "decision",
                f"You do not agree with the grade for {', '.join(disagreed)}: return the grades "
                "to the assessor instead",
            )
        if cleaned.get("decision") == "return" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say why you are returning the grades")
        return cleaned

    def moderation(self) -> dict[str, Any]:
        """The keyword arguments of `grading.moderate`."""
        return {
            "confirm": self.cleaned_data["decision"] == "confirm",
            "comment": self.cleaned_data["comment"],
            "methods": self.methods(),
        }

    def methods(self) -> dict[int, tuple[bool, str]]:
        return {
            a.pk: (
                self.cleaned_data[f"agree_{a.pk}"] == "yes",
                self.cleaned_data.get(f"why_{a.pk}", ""),
            )
            for a in self.assessments
        }


@limited_text
class ResitForm(forms.Form):
    kind = forms.ChoiceField(
        label="Resit or retake?",
        choices=[
            (MethodAssessment.Kind.RESIT.value, MethodAssessment.Kind.RESIT.label),
            (MethodAssessment.Kind.RETAKE.value, MethodAssessment.Kind.RETAKE.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose resit or retake"},
    )
    methods = forms.MultipleChoiceField(
        label="Failed methods to assess again",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one failed method"},
    )

    def __init__(self, *args: Any, failed: list[MethodAssessment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["methods"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(a.method_id), a.method.name) for a in failed]
        self.helper = gds_helper(
            "Record resit or retake",
            Field.radios("kind"),
            Field.checkboxes("methods"),
            size=Size.SMALL,
        )

    def resit(self) -> dict[str, Any]:
        """The keyword arguments of `grading.record_resit`."""
        return {
            "kind": self.cleaned_data["kind"],
            "method_ids": [int(m) for m in self.cleaned_data["methods"]],
        }


@limited_text
class AmendmentForm(forms.Form):
    """Corrected method grades and overall grade: nothing is chosen for the user, and the
    overall grade must be the one the plan's rule gives for the method grades."""

    reason = forms.CharField(
        label="Reason for the amendment",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for the amendment"},
    )

    def __init__(
        self,
        *args: Any,
        methods: list[tuple[int, str, list[str]]],
        grades: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.methods = methods
        layout = []
        for number, name, scale in methods:
            self.fields[f"method_{number}"] = forms.ChoiceField(
                label=f"Corrected grade: {name}",
                choices=[("", "Choose a grade"), *((g, g.capitalize()) for g in scale)],
                error_messages={"required": f"Choose the corrected grade for {name}"},
            )
            layout.append(Field.select(f"method_{number}"))
        self.fields["overall_after"] = forms.ChoiceField(
            label="Corrected overall grade",
            choices=[("", "Choose a grade"), *((g, g.capitalize()) for g in grades)],
            error_messages={"required": "Choose the corrected overall grade"},
        )
        self.order_fields([*(f"method_{n}" for n, _, _ in methods), "overall_after", "reason"])
        self.helper = gds_helper(
            "Record amendment",
            *layout,
            Field.select("overall_after"),
            Field.textarea("reason"),
            size=Size.SMALL,
        )
        name_required_errors(self)

    @classmethod
    def for_result(cls, data: Any, result: EpaResult) -> AmendmentForm:
        """The form amending `result`: a grade for each method the result graded."""
        plan = result.epa.plan
        methods = [(m.number, m.name, method_grade_choices(m, plan)) for m in plan.methods.all()]
        methods = [m for m in methods if str(m[0]) in result.method_grades]
        return cls(data, methods=methods, grades=list(plan.overall_grades))

    def method_grades(self) -> dict[int, str]:
        return {number: self.cleaned_data[f"method_{number}"] for number, _, _ in self.methods}

    def amendment(self) -> dict[str, Any]:
        """The keyword arguments of `grading.amend_result`."""
        return {
            "method_grades": self.method_grades(),
            "overall_after": self.cleaned_data["overall_after"],
            "reason": self.cleaned_data["reason"],
        }


@limited_text
class ConflictForm(forms.Form):
    """An assessor's declaration of a conflict of interest."""

    kind = forms.ChoiceField(
        label="Who is the conflict of interest with?",
        choices=ConflictOfInterest.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who the conflict of interest is with"},
    )
    organisation = forms.ModelChoiceField(
        label="Employer or training provider",
        queryset=Organisation.objects.filter(
            kind__in=[Organisation.Kind.EMPLOYER, Organisation.Kind.TRAINING_PROVIDER]
        ),
        required=False,
        empty_label="Choose an organisation",
        help_text="For a conflict with an employer or a training provider.",
    )
    uln = forms.CharField(
        label="Apprentice's unique learner number (ULN)",
        required=False,
        max_length=10,
        help_text="For a conflict with a named apprentice of your EPAO: 10 digits.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
    )
    starts_on = date_field("Start date", help_text="When it began. For example, 1 9 2024")
    ends_on = date_field("End date", help_text="Leave empty if it has not ended.", required=False)
    details = forms.CharField(
        label="What was the involvement?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the involvement was"},
    )

    def __init__(self, *args: Any, assessor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assessor = assessor
        self.helper = gds_helper(
            "Declare conflict of interest",
            Field.radios("kind"),
            Field.select("organisation"),
            Field.text("uln", field_width=10),
            Field("starts_on"),
            Field("ends_on"),
            Field.textarea("details"),
            size=Size.SMALL,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        organisation = cleaned.get("organisation")
        wanted = {
            ConflictOfInterest.Kind.EMPLOYER: Organisation.Kind.EMPLOYER,
            ConflictOfInterest.Kind.PROVIDER: Organisation.Kind.TRAINING_PROVIDER,
        }
        if kind in wanted:
            label = "an employer" if kind == ConflictOfInterest.Kind.EMPLOYER else "a provider"
            if organisation is None:
                self.add_error("organisation", f"Choose {label}")
            elif organisation.kind != wanted[kind]:
                self.add_error("organisation", f"{organisation} is not {label}")
            cleaned["apprentice"] = None
        elif kind == ConflictOfInterest.Kind.APPRENTICE:
            uln = cleaned.get("uln", "").strip()
            apprentice = (
                Apprentice.objects.filter(
                    uln=uln, epao_id=self.assessor.organisation_id or 0
                ).first()
                if uln
                else None
            )
            if not uln:
                self.add_error("uln", "Enter the apprentice's ULN")
            elif apprentice is None:
                self.add_error("uln", f"No apprentice of your EPAO has the ULN {uln}")
            cleaned["apprentice"], cleaned["organisation"] = apprentice, None
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and start > timezone.localdate():
            self.add_error("starts_on", "The start date cannot be in the future")
        if start and end and end < start:
            self.add_error("ends_on", "The end date must be on or after the start date")
        return cleaned

    def conflict(self) -> dict[str, Any]:
        """The declared conflict's fields, beyond the assessor who declares it."""
        names = ("kind", "organisation", "apprentice", "starts_on", "ends_on", "details")
        return {name: self.cleaned_data[name] for name in names}


class SubmissionForm(forms.Form):
    kind = forms.ChoiceField(
        label="What are you handing in?",
        choices=MethodSubmission.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what you are handing in"},
    )
    upload = forms.FileField(
        label="File",
        help_text="A PDF, an office document or an image.",
        error_messages={"required": "Choose a file to hand in"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper("Hand in", Field.radios("kind"), Field("upload"), size=Size.SMALL)

    def clean_upload(self) -> CheckedUpload:
        upload = self.cleaned_data["upload"]
        try:
            return check_upload(upload)
        except FileTypeError as error:
            raise ValidationError(f"{upload.name}: {error}") from None


class ConflictEndForm(forms.Form):
    """The day an assessor's declared involvement ended."""

    ends_on = date_field("When did it end?", help_text="For example, 31 3 2026")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper("End the conflict of interest", Field("ends_on"), size=Size.SMALL)


@limited_text
class ConflictWithdrawForm(forms.Form):
    """Why a declaration was made in error."""

    reason = forms.CharField(
        label="Why was it declared in error?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the declaration was made in error"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            "Withdraw the declaration", Field.textarea("reason"), size=Size.SMALL
        )
