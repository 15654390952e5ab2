"""Forms for off-the-job training and progress reviews (GOV.UK Design System)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from crispy_forms_gds.layout import HTML, Field, Size
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.utils import dateformat, timezone

from apprentices.forms import _helper, date_field
from apprentices.identifiers import describe, find_identifiers
from apprentices.models import Apprentice
from progress.models import OffTheJobEntry, ProgressReview, ReviewTarget
from progress.reviews import Record
from psp.forms import limited_text, name_required_errors


@limited_text
class OffTheJobEntryForm(forms.ModelForm):
    """An apprentice logs off-the-job training, optionally linked to evidence and KSBs."""

    date = date_field("Date of the training", help_text="For example, 14 5 2025")
    hours = forms.DecimalField(
        label="Hours",
        min_value=Decimal("0.25"),
        max_value=Decimal("24"),
        max_digits=4,
        decimal_places=2,
        help_text="For example, 2.5 for two and a half hours",
        # A text box, as GOV.UK advises for numbers: type="number" takes no error styling.
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the hours of training",
            "invalid": "Enter the hours as a number, like 2.5",
            "min_value": "The hours must be at least 0.25 (15 minutes)",
            "max_value": "The hours must be 24 or fewer: one entry is one day's training",
            "max_digits": "Enter the hours as a number up to 24, like 2.5",
            "max_decimal_places": "Enter the hours with at most 2 decimal places, like 2.25",
        },
    )

    class Meta:
        model = OffTheJobEntry
        fields = ["date", "hours", "activity", "description", "evidence", "ksbs"]
        labels = {
            "activity": "Type of training",
            "description": "What you did and learned",
            "evidence": "Related evidence (optional)",
            "ksbs": "KSBs it helped you develop (optional)",
        }
        widgets = {"activity": forms.RadioSelect, "ksbs": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, apprentice: Apprentice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apprentice = apprentice
        fields = cast(dict[str, Any], self.fields)
        fields["activity"].choices = OffTheJobEntry.Activity.choices
        fields["evidence"].queryset = apprentice.evidence.current().order_by("-activity_date")
        fields["evidence"].empty_label = "None"
        fields["ksbs"].queryset = apprentice.standard_version.ksbs.in_standard_order()
        fields["ksbs"].label_from_instance = lambda ksb: f"{ksb.code}: {ksb.text}"
        fields["description"].error_messages["required"] = "Say what you did and learned"
        fields["activity"].error_messages["required"] = "Choose the type of training"
        self.helper = _helper(
            "Save training",
            Field("date"),
            Field.text("hours", field_width=5),
            Field.radios("activity", legend_size=Size.SMALL),
            Field.textarea("description", rows=4),
            Field.select("evidence"),
            Field.checkboxes("ksbs", legend_size=Size.SMALL, small=True),
        )

    def clean_date(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise ValidationError("The date of the training must be today or in the past")
        if value < self.apprentice.start_date:
            raise ValidationError(
                "The date of the training must be on or after the start of the apprenticeship, "
                f"{dateformat.format(self.apprentice.start_date, 'j F Y')}"
            )
        return value


@limited_text
class OffTheJobQueryForm(forms.Form):
    query = forms.CharField(
        label="What does the apprentice need to clarify?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the apprentice needs to clarify"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Query the entry", Field.textarea("query", rows=3))


def number_field(
    label: str,
    *,
    help_text: str,
    whole: bool,
    min_value: Decimal,
    max_value: Decimal,
    messages: dict[str, str],
    required: bool = True,
) -> forms.Field:
    """A number typed in a GOV.UK text input (`type="number"` takes no error styling and
    changes the value on scroll), with the limits said in plain words."""
    widget = forms.TextInput(
        attrs={"inputmode": "numeric" if whole else "decimal", "spellcheck": "false"}
    )
    if whole:
        return forms.IntegerField(
            label=label,
            help_text=help_text,
            required=required,
            min_value=int(min_value),
            max_value=int(max_value),
            widget=widget,
            error_messages=messages,
        )
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=min_value,
        max_value=max_value,
        max_digits=6,
        decimal_places=1,
        widget=widget,
        error_messages={
            "max_decimal_places": f"Enter the {label.lower()} with at most 1 decimal place",
            "max_digits": messages["invalid"],
            **messages,
        },
    )


@limited_text
class OffTheJobPlanForm(forms.ModelForm):
    """What the off-the-job requirement is worked out from, and how often reviews are held."""

    contracted_hours_per_week = number_field(
        "Contracted hours a week",
        help_text="Paid working hours a week in the apprentice's contract, without overtime. "
        "For example, 37.5",
        whole=False,
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal(168),
        messages={
            "invalid": "Enter the contracted hours as a number, like 37.5",
            "min_value": "Contracted hours must be more than 0, or leave the box empty",
            "max_value": "Contracted hours must be 168 or fewer (the hours in a week)",
        },
    )
    practical_period_weeks = number_field(
        "Planned duration of the practical period, in weeks",
        help_text="Leave empty to use the weeks from the start date to the planned gateway date.",
        whole=True,
        required=False,
        min_value=Decimal(1),
        max_value=Decimal(520),
        messages={
            "invalid": "Enter the duration as a whole number of weeks, like 60",
            "min_value": "The duration must be at least 1 week, or leave the box empty",
            "max_value": "The duration must be 520 weeks (10 years) or fewer",
        },
    )
    prior_learning_reduction = number_field(
        "Reduction for prior learning",
        help_text="Off-the-job training the apprentice does not need because of prior "
        "learning. 0 if none.",
        whole=False,
        min_value=Decimal(0),
        max_value=Decimal("99999.9"),
        messages={
            "required": "Enter the reduction for prior learning, or 0 if there is none",
            "invalid": "Enter the reduction as a number, like 40 or 12.5",
            "min_value": "The reduction cannot be less than 0",
            "max_value": "The reduction must be 99999.9 or less",
        },
    )
    review_interval_weeks = number_field(
        "Weeks between progress reviews",
        help_text="The next review is suggested this many weeks after the last one.",
        whole=True,
        min_value=Decimal(1),
        max_value=Decimal(52),
        messages={
            "required": "Enter the weeks between progress reviews, like 12",
            "invalid": "Enter the weeks between reviews as a whole number, like 12",
            "min_value": "Reviews must be at least 1 week apart",
            "max_value": "Reviews must be at most 52 weeks (a year) apart",
        },
    )

    class Meta:
        model = Apprentice
        fields = [
            "contracted_hours_per_week",
            "practical_period_weeks",
            "prior_learning_reduction",
            "prior_learning_unit",
            "review_interval_weeks",
        ]
        labels = {
            "contracted_hours_per_week": "Contracted hours a week",
            "practical_period_weeks": "Planned duration of the practical period, in weeks",
            "prior_learning_reduction": "Reduction for prior learning",
            "prior_learning_unit": "The reduction is in",
            "review_interval_weeks": "Weeks between progress reviews",
        }
        widgets = {"prior_learning_unit": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["prior_learning_unit"]).choices = [
            ("hours", "Hours"),
            ("percent", "Percent of the requirement"),
        ]
        self.helper = _helper(
            "Save",
            Field.text("contracted_hours_per_week", field_width=4),
            Field.text("practical_period_weeks", field_width=4),
            Field.text("prior_learning_reduction", field_width=5),
            Field.radios("prior_learning_unit", inline=True),
            Field.text("review_interval_weeks", field_width=3),
        )
        name_required_errors(self)

    def _post_clean(self) -> None:
        # Only this form's fields and their constraints: the model's clean() checks the
        # version's start window, which is the apprentice form's to validate, not this one's.
        exclude = self._get_validation_exclusions()  # type: ignore[attr-defined]
        self.instance = construct_instance(self, self.instance, self._meta.fields)
        try:
            self.instance.clean_fields(exclude=exclude)
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reduction = cleaned.get("prior_learning_reduction")
        if cleaned.get("prior_learning_unit") == "percent" and reduction and reduction > 100:
            self.add_error("prior_learning_reduction", "A percentage reduction must be 100 or less")
        return cleaned


@limited_text
class ReviewScheduleForm(forms.Form):
    due_on = date_field("Review date", help_text="For example, 5 3 2026")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Schedule review", Field("due_on"))


NEW_TARGET_ROWS = 3
NEW_COMMENT_ROWS = 3


@limited_text
class ReviewRecordForm(forms.Form):
    """The reviewer's record: progress against last time's targets, new targets and
    KSB-specific comments. Blank rows are ignored; saving again adds more rows."""

    held_on = date_field("Date the review was held", help_text="For example, 5 3 2026")
    summary = forms.CharField(
        label="Progress since the last review",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Summarise the progress since the last review"},
    )

    def __init__(
        self,
        *args: Any,
        review: ProgressReview,
        previous_targets: list[ReviewTarget],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.previous_targets = previous_targets
        self.ksbs = list(review.apprentice.standard_version.ksbs.in_standard_order())
        self.initial.setdefault("held_on", review.held_on or timezone.localdate())
        self.initial.setdefault("summary", review.summary)
        layout: list[Any] = [Field("held_on"), Field.textarea("summary", rows=6)]
        for target in previous_targets:
            self.fields[f"progress_{target.pk}"] = forms.ChoiceField(
                label=f"Progress against: {target.text}",
                choices=ReviewTarget.Progress.choices,
                widget=forms.RadioSelect,
                initial=target.progress or None,
                error_messages={"required": f"Record progress against: {target.text}"},
            )
            self.fields[f"progress_note_{target.pk}"] = forms.CharField(
                label="Comment",
                required=False,
                initial=target.progress_note,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            layout += [
                Field.radios(f"progress_{target.pk}", inline=True),
                Field.textarea(f"progress_note_{target.pk}", rows=2),
            ]
        if previous_targets:
            layout.insert(2, HTML('<h2 class="govuk-heading-m">Targets set last time</h2>'))
        targets = [(t.text, t.due_on) for t in review.targets.all()]
        layout.append(HTML('<h2 class="govuk-heading-m">New targets</h2>'))
        for n in range(1, len(targets) + NEW_TARGET_ROWS + 1):
            text, due_on = targets[n - 1] if n <= len(targets) else ("", None)
            self.fields[f"target_{n}"] = forms.CharField(
                label=f"Target {n}",
                required=False,
                initial=text,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"target_due_{n}"] = date_field(f"Target {n} date", required=False)
            self.initial.setdefault(f"target_due_{n}", due_on)
            layout += [Field.textarea(f"target_{n}", rows=2), Field(f"target_due_{n}")]
        self.target_rows = len(targets) + NEW_TARGET_ROWS
        comments = [(c.ksb_id, c.comment) for c in review.ksb_comments.all()]
        choices = [("", "Choose a KSB")] + [(k.pk, f"{k.code}: {k.text[:90]}") for k in self.ksbs]
        if self.ksbs:
            layout.append(HTML('<h2 class="govuk-heading-m">Comments on KSBs</h2>'))
        for n in range(1, (len(comments) + NEW_COMMENT_ROWS + 1) if self.ksbs else 1):
            ksb_id, comment = comments[n - 1] if n <= len(comments) else ("", "")
            self.fields[f"ksb_{n}"] = forms.TypedChoiceField(
                label=f"KSB {n}",
                required=False,
                choices=choices,
                coerce=int,
                empty_value=None,
                initial=ksb_id,
            )
            self.fields[f"ksb_comment_{n}"] = forms.CharField(
                label=f"Comment on KSB {n}",
                required=False,
                initial=comment,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            layout += [Field.select(f"ksb_{n}"), Field.textarea(f"ksb_comment_{n}", rows=2)]
        self.comment_rows = len(comments) + NEW_COMMENT_ROWS if self.ksbs else 0
        self.helper = _helper("Save and ask for signatures", *layout)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        held_on = cleaned.get("held_on")
        if held_on and held_on > timezone.localdate():
            self.add_error("held_on", "The date the review was held must be today or in the past")
        for n in range(1, self.target_rows + 1):
            if cleaned.get(f"target_due_{n}") and not cleaned.get(f"target_{n}", "").strip():
                self.add_error(f"target_{n}", f"Describe target {n}, or remove its date")
        seen: set[int] = set()
        for n in range(1, self.comment_rows + 1):
            ksb, comment = cleaned.get(f"ksb_{n}"), cleaned.get(f"ksb_comment_{n}", "").strip()
            if comment and not ksb:
                self.add_error(f"ksb_{n}", f"Choose the KSB comment {n} is about")
            if ksb and not comment:
                self.add_error(f"ksb_comment_{n}", f"Write the comment on KSB {n}")
            if ksb and ksb in seen:
                self.add_error(f"ksb_{n}", "Write one comment for each KSB")
            if ksb:
                seen.add(ksb)
        texts = [cleaned.get("summary", "")] + [
            cleaned.get(name, "")
            for name in self.fields
            if name.startswith(("target_", "ksb_comment_", "progress_note_"))
            and isinstance(cleaned.get(name), str)
        ]
        # A review names the apprentice's colleagues (Mr Patel, their manager) as a matter of
        # course, and has no box to confirm a finding, so names are not looked for here.
        findings = find_identifiers(*texts, names=False)
        if findings:
            self.add_error("summary", f"This may identify someone: {describe(findings)}. Remove it")
        return cleaned

    def record(self) -> Any:
        data = self.cleaned_data
        by_id = {ksb.pk: ksb for ksb in self.ksbs}
        return Record(
            held_on=data["held_on"],
            summary=data["summary"],
            progress={
                t.pk: (data[f"progress_{t.pk}"], data.get(f"progress_note_{t.pk}", ""))
                for t in self.previous_targets
            },
            targets=[
                (data[f"target_{n}"].strip(), data.get(f"target_due_{n}"))
                for n in range(1, self.target_rows + 1)
                if data.get(f"target_{n}", "").strip()
            ],
            comments={
                by_id[data[f"ksb_{n}"]]: data[f"ksb_comment_{n}"].strip()
                for n in range(1, self.comment_rows + 1)
                if data.get(f"ksb_{n}") in by_id
            },
        )


@limited_text
class ReviewSignForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have read this review and agree it is an accurate record",
        error_messages={"required": "Confirm you have read the review and agree with it"},
    )

    def __init__(self, *args: Any, ask_name: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: list[Any] = []
        if ask_name:
            self.fields["name"] = forms.CharField(
                label="Your full name",
                max_length=200,
                error_messages={"required": "Enter your full name"},
            )
            fields.append(Field.text("name", field_width=20))
        fields.append(Field.checkbox("confirm"))
        self.helper = _helper("Sign the review", *fields)


@limited_text
class SigningLinkForm(forms.Form):
    """Send a signing link to the signing contact on the employer's record: the address is
    never typed here, so whoever sends the link cannot send it to themselves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Email a signing link")
        # Its page has another form whose button would have the same id.
        self.helper.inputs[-1].id = "submit-signing-link"
